# blkfront's unit tests: decision table and ring handling against a scripted
# backend in the same address space (test_blkfront_host.c).
# blkfront's own list (frontends/blkfront.mk) is named as $$(...), read
# once every module has been.
BLKFRONT_TEST_SRCS = tests/unit/test_blkfront.c tests/unit/test_blkfront_host.c tests/unit/page_pool.c \
	frontends/os/hosted/libc.c frontends/os/hosted/pages.c frontends/xenbus.c $(BLKFRONT_SRCS)

$(BUILD)/tests/test_blkfront: $$(patsubst %.c,$$(OBJ)/%.o,$$(BLKFRONT_TEST_SRCS))
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(CHECK_LIBS)
UNIT_TESTS += $(BUILD)/tests/test_blkfront
