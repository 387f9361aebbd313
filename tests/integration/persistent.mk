# Read-only grants end to end: the Linux OS layer's grants against
# splitbed-hvd, and blkfront's zero-copy writes through splitbed-blkback
# with and without persistent grants.  Two small guest programs over the
# Linux OS layer play the guest.
$(BUILD)/tests/os-grant-guest: $(OBJ)/tests/integration/os_grant_guest.o $(OS_LINUX_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $< $(OS_LINUX_LIB) $(OS_LINUX_LDLIBS)

$(BUILD)/tests/blk-write-guest: $(OBJ)/tests/integration/blk_write_guest.o $(FRONTEND_LIB) $(OS_LINUX_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $< $(OS_LINUX_LIB) $(FRONTEND_LIB) $(OS_LINUX_LIB) $(OS_LINUX_LDLIBS)

$(BUILD)/tests/test_persistent_grants: $(OBJ)/tests/integration/test_persistent_grants.o \
    $(OBJ)/tests/lib/runproc.o $(OBJ)/tests/lib/scratch.o | $(BUILD)/tests/os-grant-guest $(BUILD)/tests/blk-write-guest \
    $(BUILD)/tests/hv-peer
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(CHECK_LIBS)
INTEGRATION_TESTS += $(BUILD)/tests/test_persistent_grants
