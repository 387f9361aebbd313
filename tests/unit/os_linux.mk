# The Linux OS layer's parts that need no Xen (parsing, logging, grant refusals).
OS_LINUX_TEST_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,tests/unit/test_os_linux.c \
	frontends/os/hosted/libc.c frontends/os/hosted/pages.c frontends/os/linux/log.c frontends/os/linux/grants.c \
	frontends/os/linux/host.c frontends/os/hosted/hybrid_poll.c)

$(BUILD)/tests/test_os_linux: $$(OS_LINUX_TEST_OBJS)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(OS_LINUX_LDLIBS) $(CHECK_LIBS)
UNIT_TESTS += $(BUILD)/tests/test_os_linux
