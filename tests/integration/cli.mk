# Integration tests of the splitbed command.
$(BUILD)/tests/test_cli: $(OBJ)/tests/integration/test_cli.o $(OBJ)/tests/lib/runproc.o $(OBJ)/tests/lib/scratch.o | \
    $$(QUBESDB_DAEMON) $$(QREXEC_DAEMON) $$(GUID_DAEMON)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(CHECK_LIBS)
ifneq ($(wildcard backends-sim/hv/hvctl.h),)
INTEGRATION_TESTS += $(BUILD)/tests/test_cli
endif

# A guest's crossings into other domains, refused.
$(BUILD)/tests/test_identity: $(OBJ)/tests/integration/test_identity.o $(OBJ)/tests/lib/runproc.o $(OBJ)/tests/lib/scratch.o | \
    $(BUILD)/tests/hv-peer $(BUILD)/bin/splitbed $(BUILD)/bin/splitbed-hvd $(BUILD)/bin/splitbed-xenstored
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(CHECK_LIBS)
ifneq ($(wildcard backends-sim/hv/hvctl.h),)
INTEGRATION_TESTS += $(BUILD)/tests/test_identity
endif

# A guest at every per-domain limit beside one that keeps working.
$(BUILD)/tests/limits-hog: tests/integration/limits_hog.c
	@mkdir -p $(@D)
	$(CC) -std=gnu11 $(WARN) $(CFLAGS) -D_GNU_SOURCE -o $@ $< -lxengnttab -lxenevtchn -lxenstore

$(BUILD)/tests/test_limits: $(OBJ)/tests/integration/test_limits.o $(OBJ)/tests/lib/runproc.o $(OBJ)/tests/lib/scratch.o | \
    $(BUILD)/tests/limits-hog $(BUILD)/tests/hv-peer $(BUILD)/bin/splitbed \
    $(BUILD)/bin/splitbed-hvd $(BUILD)/bin/splitbed-xenstored
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(CHECK_LIBS)
ifneq ($(wildcard backends-sim/hv/hvctl.h),)
INTEGRATION_TESTS += $(BUILD)/tests/test_limits
endif
