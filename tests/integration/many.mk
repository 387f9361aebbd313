# Many guests on one simulator, each with a disk and a vif, at once.
$(BUILD)/tests/test_many_guests: $(OBJ)/tests/integration/test_many_guests.o $(OBJ)/tests/lib/runproc.o $(OBJ)/tests/lib/scratch.o
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(CHECK_LIBS)

ifneq ($(wildcard backends-sim/hv/hvctl.h),)
INTEGRATION_TESTS += $(BUILD)/tests/test_many_guests
endif

# splitbed run --fault: each fault and what the frontend does.
$(BUILD)/tests/test_run_faults: $(OBJ)/tests/integration/test_run_faults.o $(OBJ)/tests/lib/runproc.o $(OBJ)/tests/lib/scratch.o
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(CHECK_LIBS)

ifneq ($(wildcard backends-sim/hv/hvctl.h),)
INTEGRATION_TESTS += $(BUILD)/tests/test_run_faults
endif

# Hot-plug: block-/network-attach, -detach, -list on a running simulator.
$(BUILD)/tests/test_hotplug: $(OBJ)/tests/integration/test_hotplug.o $(OBJ)/tests/lib/runproc.o $(OBJ)/tests/lib/scratch.o
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(CHECK_LIBS)

ifneq ($(wildcard backends-sim/hv/hvctl.h),)
INTEGRATION_TESTS += $(BUILD)/tests/test_hotplug
endif

# The toolstack's pipelined xenstore transactions against splitbed-xenstored.
$(BUILD)/tests/test_xs_batch: $(OBJ)/tests/integration/test_xs_batch.o $(OBJ)/harness/xs_batch.o \
    $(OBJ)/tests/lib/runproc.o $(OBJ)/tests/lib/scratch.o
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(CHECK_LIBS) -lxenstore

ifneq ($(wildcard backends-sim/hv/hvctl.h),)
INTEGRATION_TESTS += $(BUILD)/tests/test_xs_batch
endif
