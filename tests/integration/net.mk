# The network path end to end: the daemons, splitbed-netback, the guest apps.
$(BUILD)/tests/test_net_run: $(OBJ)/tests/integration/test_net_run.o $(OBJ)/tests/lib/runproc.o
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(CHECK_LIBS)

INTEGRATION_TESTS += $(BUILD)/tests/test_net_run
