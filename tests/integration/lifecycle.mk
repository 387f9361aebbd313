# A guest's lifecycle with Debian's xl as dom0: shutdown and reboot
# answered by the guest, the domain reaped by its run.
$(BUILD)/tests/test_lifecycle: $$(OBJ)/tests/integration/test_lifecycle.o $$(OBJ)/tests/lib/runproc.o \
    $$(OBJ)/tests/lib/scratch.o | \
    $$(BUILD)/bin/splitbed $$(BUILD)/bin/splitbed-hvd $$(BUILD)/bin/splitbed-xenstored \
    $$(GUEST_INIT_BIN) $$(LIBXEN_ALL)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(CHECK_LIBS)
INTEGRATION_TESTS += $(BUILD)/tests/test_lifecycle
