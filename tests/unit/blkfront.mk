# blkfront's unit tests: decision table and ring handling against a scripted
# backend in the same address space (test_blkfront_host.c).
BLKFRONT_TEST_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,tests/unit/test_blkfront.c \
	tests/unit/test_blkfront_host.c frontends/os/hosted/libc.c \
	frontends/os/hosted/pages.c frontends/xenbus.c frontends/blkfront.c \
	frontends/blkfront_ring.c frontends/blkfront_sync.c)

$(BUILD)/tests/test_blkfront: $(BLKFRONT_TEST_OBJS)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(CHECK_LIBS)
UNIT_TESTS += $(BUILD)/tests/test_blkfront
