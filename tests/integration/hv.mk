# Integration tests of splitbed-hvd and the drop-in libraries, with real
# processes: hv-peer is built against Debian's real xengnttab/xenevtchn
# headers and libraries (not ours) and runs on ours via LD_LIBRARY_PATH.
HV_TEST_HARNESS = $(OBJ)/tests/integration/test_hv_harness.o $(OBJ)/tests/lib/scratch.o \
  $(OBJ)/tests/lib/runproc.o $(HVCTL_LIB)
HV_PROC_TESTS := test_hv_proc_grants test_hv_proc_evtchn test_hv_proc_abi test_hv_proc_isolation

$(BUILD)/tests/hv-peer: tests/integration/test_hv_peer.c
	@mkdir -p $(@D)
	$(CC) -std=gnu11 $(WARN) $(CFLAGS) -D_GNU_SOURCE -o $@ $< -lxengnttab -lxenevtchn

define hv_proc_test_rule
$(BUILD)/tests/$(1): $$$$(OBJ)/tests/integration/$(1).o $$$$(HV_TEST_HARNESS) | $$$$(BUILD)/tests/hv-peer \
    $$$$(BUILD)/bin/splitbed-hvd $$$$(LIBXEN_ALL)
	@mkdir -p $$(@D)
	$$(CC) $$(LDFLAGS) -o $$@ $$< $$(HV_TEST_HARNESS) $$(CHECK_LIBS)
INTEGRATION_TESTS += $(BUILD)/tests/$(1)
endef
$(foreach t,$(HV_PROC_TESTS),$(eval $(call hv_proc_test_rule,$(t))))

# Debian's real libxenvchan between two domains, through `splitbed exec`
# on our hvd and the simulator's xenstored.
$(BUILD)/tests/vchan-peer: tests/integration/test_hv_vchan_peer.c
	@mkdir -p $(@D)
	$(CC) -std=gnu11 $(WARN) $(CFLAGS) -D_GNU_SOURCE -o $@ $< -lxenvchan

$(BUILD)/tests/test_hv_proc_vchan: $$(OBJ)/tests/integration/test_hv_proc_vchan.o $$(HV_TEST_HARNESS) | \
    $$(BUILD)/tests/vchan-peer $$(BUILD)/bin/splitbed-hvd $$(BUILD)/bin/splitbed $$(BUILD)/bin/splitbed-xenstored \
    $$(LIBXEN_DIR)/libxengnttab.so.1 $$(LIBXEN_DIR)/libxenevtchn.so.1
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $< $(HV_TEST_HARNESS) $(CHECK_LIBS)
INTEGRATION_TESTS += $(BUILD)/tests/test_hv_proc_vchan
