# The network path end to end: the daemons, splitbed-netback, the guest apps.
$(BUILD)/tests/test_net_run: $(OBJ)/tests/integration/test_net_run.o $(OBJ)/tests/lib/runproc.o $(OBJ)/tests/lib/scratch.o
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(CHECK_LIBS)

INTEGRATION_TESTS += $(BUILD)/tests/test_net_run

# One netback serving a hostile guest and a good one.
$(BUILD)/tests/test_net_hostile_guest: $(OBJ)/tests/integration/test_net_hostile_guest.o
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ -lxengnttab -lxenevtchn -lxenstore

$(BUILD)/tests/test_net_hostile: $(OBJ)/tests/integration/test_net_hostile.o $(OBJ)/tests/lib/runproc.o $(OBJ)/tests/lib/scratch.o \
    | $(BUILD)/tests/test_net_hostile_guest
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(CHECK_LIBS)

INTEGRATION_TESTS += $(BUILD)/tests/test_net_hostile
