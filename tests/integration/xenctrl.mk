# Debian's libxenctrl programs (xl, lsevtchn, vchan-socket-proxy) on the
# simulator through our hypercall carrier.
$(BUILD)/tests/fmem-peer: tests/integration/fmem_peer.c
	@mkdir -p $(@D)
	$(CC) -std=gnu11 $(WARN) $(CFLAGS) -D_GNU_SOURCE -o $@ $< -lxenforeignmemory

$(BUILD)/tests/test_xenctrl_tools: $$(OBJ)/tests/integration/test_xenctrl_tools.o $$(OBJ)/tests/lib/runproc.o $$(OBJ)/tests/lib/scratch.o | \
    $$(BUILD)/tests/fmem-peer $$(BUILD)/bin/splitbed $$(BUILD)/bin/splitbed-hvd $$(BUILD)/bin/splitbed-xenstored \
    $$(LIBXEN_ALL)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(CHECK_LIBS)
INTEGRATION_TESTS += $(BUILD)/tests/test_xenctrl_tools
