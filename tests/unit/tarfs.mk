# The tar reader's unit tests: every fixture over an in-memory device, and
# the byte-to-sector adapter at every alignment (normal and seed-bug build).
TARFS_OBJS = $(patsubst %.c,$(OBJ)/%.o,$(TARFS_SRCS))
TARFS_TEST_HOST = $(OBJ)/tests/unit/test_tarfs_host.o $(OBJ)/frontends/os/hosted/libc.o \
  $(OBJ)/frontends/os/hosted/pages.o
$(TARFS_TEST_HOST): CPPFLAGS += -DSPLITBED_SRCDIR_DEFAULT='"$(CURDIR)"'

$(BUILD)/tests/test_tarfs: $$(OBJ)/tests/unit/test_tarfs.o $$(TARFS_TEST_HOST) $$(TARFS_OBJS)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(CHECK_LIBS)

$(BUILD)/tests/test_tarfs_align: $$(OBJ)/tests/unit/test_tarfs_align.o $$(TARFS_TEST_HOST) \
    $$(TARFS_OBJS) $$(OBJ)/frontends/blkdev_bytes.o
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(CHECK_LIBS)

# The same test program over the adapter built with the seed bug: the
# device must refuse the misplaced buffer.
$(OBJ)/frontends/blkdev_bytes_seed_bug.o: frontends/blkdev_bytes.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(CPPFLAGS) -DBLKDEV_BYTES_SEED_BUG -c $< -o $@
$(OBJ)/tests/unit/test_tarfs_align_seed_bug.o: tests/unit/test_tarfs_align.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(CPPFLAGS) -DBLKDEV_BYTES_SEED_BUG -c $< -o $@
$(BUILD)/tests/test_tarfs_seed_bug: $$(OBJ)/tests/unit/test_tarfs_align_seed_bug.o $$(TARFS_TEST_HOST) \
    $$(TARFS_OBJS) $$(OBJ)/frontends/blkdev_bytes_seed_bug.o
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(CHECK_LIBS)

UNIT_TESTS += $(BUILD)/tests/test_tarfs $(BUILD)/tests/test_tarfs_align $(BUILD)/tests/test_tarfs_seed_bug
