# qrexec on the simulator: qubes-hello --stay under `splitbed run`,
# `splitbed qrexec` into it, qrexec-vm, and a dom0 that breaks the
# control protocol (tests/qrexec-hostile).
$(BUILD)/tests/qrexec-hostile: $(OBJ)/tests/integration/qrexec_hostile.o \
    $(OBJ)/tests/integration/hostile_peer.o $(FRONTEND_LIB) $(OS_LINUX_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(OS_LINUX_LIB) $(FRONTEND_LIB) $(OS_LINUX_LIB) $(OS_LINUX_LDLIBS)

$(BUILD)/tests/test_qrexec: $$(OBJ)/tests/integration/test_qrexec.o $$(QUBES_SIM_OBJS) | \
    $$(BUILD)/tests/qrexec-hostile $$(BUILD)/libexec/splitbed/qubes-hello \
    $$(BUILD)/libexec/splitbed/qrexec-vm $$(BUILD)/libexec/splitbed/splitbed-qrexec \
    $$(BUILD)/libexec/splitbed/splitbed-qubesdb $$(BUILD)/libexec/splitbed/splitbed-blkback \
    $$(BUILD)/bin/splitbed $$(BUILD)/bin/splitbed-hvd $$(BUILD)/bin/splitbed-xenstored \
    $$(LIBXEN_DIR)/libxengnttab.so.1 $$(LIBXEN_DIR)/libxenevtchn.so.1
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $< $(QUBES_SIM_OBJS) $(CHECK_LIBS)
INTEGRATION_TESTS += $(BUILD)/tests/test_qrexec
