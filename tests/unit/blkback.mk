# blkback's unit tests: the request core and the xenbus side, in process.
BLKBACK_UNIT_HARNESS = $(OBJ)/tests/unit/blkback_harness.o

$(BUILD)/tests/test_blkback_ring: $$(OBJ)/tests/unit/test_blkback_ring.o $$(BLKBACK_UNIT_HARNESS) \
    $$(BLKBACK_CORE_OBJS) $$(BLKBACK_TEST_OBJS)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(CHECK_LIBS) -lpthread

UNIT_TESTS += $(BUILD)/tests/test_blkback_ring

# The xenbus side over the world's peers: xenstore and hypervisor cores,
# and blkback's environment on them.
$(BUILD)/tests/test_blkback_vbd: $$(OBJ)/tests/unit/test_blkback_vbd.o \
    $$(patsubst %.c,$$(OBJ)/%.o,backends-sim/world/bbenv.c $$(HVHOST_SRCS)) \
    $$(BLKBACK_XENBUS_OBJS) $$(BLKBACK_CORE_OBJS) $$(BLKBACK_TEST_OBJS) $$(HV_CORE_LIB) $$(XS_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(CHECK_LIBS)

UNIT_TESTS += $(BUILD)/tests/test_blkback_vbd
