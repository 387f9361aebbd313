# The seeded world: invariants over a sweep of seeds, exact replay, and
# broken variants caught.
$(BUILD)/tests/test_replay: $$(OBJ)/tests/unit/test_replay.o $$(WORLD_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(CHECK_LIBS)
UNIT_TESTS += $(BUILD)/tests/test_replay

# The net world: netfront and netback under the seeded scheduler.
$(BUILD)/tests/test_networld: $$(OBJ)/tests/unit/test_networld.o $$(WORLD_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(CHECK_LIBS)

UNIT_TESTS += $(BUILD)/tests/test_networld
