# Integration tests of the splitbed command.
$(BUILD)/tests/test_cli: $(OBJ)/tests/integration/test_cli.o $(OBJ)/tests/lib/runproc.o
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(CHECK_LIBS)
ifneq ($(wildcard backends-sim/hv/hvctl.h),)
INTEGRATION_TESTS += $(BUILD)/tests/test_cli
endif
