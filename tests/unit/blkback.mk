# blkback's unit tests: the request core and the xenbus side, in process.
BLKBACK_UNIT_HARNESS = $(OBJ)/tests/unit/blkback_harness.o

$(BUILD)/tests/test_blkback_ring: $$(OBJ)/tests/unit/test_blkback_ring.o $$(BLKBACK_UNIT_HARNESS) \
    $$(BLKBACK_CORE_OBJS) $$(BLKBACK_TEST_OBJS)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(CHECK_LIBS) -lpthread

UNIT_TESTS += $(BUILD)/tests/test_blkback_ring

$(BUILD)/tests/test_blkback_vbd: $$(OBJ)/tests/unit/test_blkback_vbd.o $$(OBJ)/tests/unit/blkback_fakexs.o \
    $$(BLKBACK_XENBUS_OBJS) $$(BLKBACK_CORE_OBJS) $$(BLKBACK_TEST_OBJS)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(CHECK_LIBS)

UNIT_TESTS += $(BUILD)/tests/test_blkback_vbd
