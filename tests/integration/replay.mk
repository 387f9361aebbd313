# `splitbed replay` as a user runs it.
$(BUILD)/tests/test_replay_cli: $(OBJ)/tests/integration/test_replay_cli.o $(OBJ)/tests/lib/runproc.o $(OBJ)/tests/lib/scratch.o
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(CHECK_LIBS)
ifneq ($(wildcard backends-sim/hv/hvctl.h),)
INTEGRATION_TESTS += $(BUILD)/tests/test_replay_cli
endif
