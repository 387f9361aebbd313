# The network path's unit tests: netfront and netback's xenbus side and
# ring core in one process over test_net_host.
NET_TEST_HOST = $(OBJ)/tests/unit/test_net_host.o

$(BUILD)/tests/test_net_path: $(OBJ)/tests/unit/test_net_path.o $(NET_TEST_HOST) \
    $(OBJ)/frontends/netfront.o $(NETBACK_CORE_OBJS)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(CHECK_LIBS)

UNIT_TESTS += $(BUILD)/tests/test_net_path
