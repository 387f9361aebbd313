# vchan (frontends/vchan.c) on the simulator: against itself and against
# Debian's real libxenvchan (tests/vchan-peer, built by hv.mk), in both
# roles, with rings inside the shared page and in pages of their own, and
# against a server that breaks the protocol.
$(BUILD)/tests/vchan-hostile: $(OBJ)/tests/integration/vchan_hostile.o $(OS_LINUX_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $< $(OS_LINUX_LIB) $(OS_LINUX_LDLIBS)


$(BUILD)/tests/test_vchan: $$(OBJ)/tests/integration/test_vchan.o $$(QUBES_SIM_OBJS) | \
    $$(BUILD)/tests/vchan-peer $$(BUILD)/tests/vchan-hostile $$(BUILD)/libexec/splitbed/vchan-stream \
    $$(BUILD)/bin/splitbed $$(BUILD)/bin/splitbed-hvd $$(BUILD)/bin/splitbed-xenstored \
    $$(LIBXEN_DIR)/libxengnttab.so.1 $$(LIBXEN_DIR)/libxenevtchn.so.1
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $< $(QUBES_SIM_OBJS) $(CHECK_LIBS)
INTEGRATION_TESTS += $(BUILD)/tests/test_vchan
