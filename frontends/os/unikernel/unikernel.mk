# The PVH unikernel home of os.h, and guest images built from the same
# portable sources as the Linux processes: every app in GUEST_APPS becomes
# $(BUILD)/unikernel/NAME.xen (`make unikernel`).
#
# Other modules keep appending to FRONTEND_SRCS, GUEST_APPS and
# APP_SRCS_<name> after this file is read, so the prerequisite lists are
# expanded a second time, once every module is in.
.SECONDEXPANSION:

UK_DIR   := frontends/os/unikernel
UK_OUT   := $(BUILD)/unikernel
UK_OBJ   := $(UK_OUT)/obj
UK_LDS   := $(UK_DIR)/unikernel.ld
OS_UK_SRCS := $(addprefix $(UK_DIR)/,boot.S traps.S cpu.c hypercall.c console.c \
	fmt.c libc.c strings.c mem.c events.c clock.c grants.c gntmap.c xenstore.c)

# No libc, no PIC (linked at 1 MiB, identity-mapped), no red zone (the
# event upcall runs on the interrupted stack), no stack protector (no TLS).
UK_CFLAGS := -std=gnu11 $(WARN) -O2 -g -ffreestanding -nostdlib -fno-pic -fno-pie \
	-mno-red-zone -fno-stack-protector -fno-asynchronous-unwind-tables \
	-fcf-protection=none -DSPLITBED_FREESTANDING -DSPLITBED_UNIKERNEL -MMD -MP
UK_CPPFLAGS := -I. -Ifrontends
UK_LDFLAGS := -nostdlib -static -Wl,-T,$(UK_LDS) -Wl,--build-id=none \
	-Wl,-z,noexecstack -Wl,-z,max-page-size=4096

uk_objs = $(patsubst %.c,$(UK_OBJ)/%.o,$(patsubst %.S,$(UK_OBJ)/%.o,$(1)))
UK_OS_OBJS = $(call uk_objs,$(OS_UK_SRCS))
UK_FRONTEND_OBJS = $(call uk_objs,$(FRONTEND_SRCS))
UNIKERNEL_APPS = $(GUEST_APPS)
UNIKERNEL_IMAGES = $(patsubst %,$(UK_OUT)/%.xen,$(UNIKERNEL_APPS))

$(UK_OBJ)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(UK_CFLAGS) $(UK_CPPFLAGS) -c $< -o $@

$(UK_OBJ)/%.o: %.S
	@mkdir -p $(@D)
	$(CC) $(UK_CFLAGS) $(UK_CPPFLAGS) -c $< -o $@

# main.c once per app: the name it gives argv[0] and its log lines.
$(UK_OBJ)/main/%.o: $(UK_DIR)/main.c
	@mkdir -p $(@D)
	$(CC) $(UK_CFLAGS) $(UK_CPPFLAGS) -DUK_APP_NAME='"$*"' -c $< -o $@

$(UK_OUT)/%.xen: $$(call uk_objs,$$(APP_SRCS_$$*)) $(UK_OBJ)/main/%.o \
		$$(UK_OS_OBJS) $$(UK_FRONTEND_OBJS) $(UK_LDS)
	@mkdir -p $(@D)
	$(CC) $(UK_LDFLAGS) -o $@ $(filter %.o,$^)

.PHONY: unikernel
unikernel: $$(UNIKERNEL_IMAGES)

# Keep the objects between runs (make would delete them as intermediates).
.PRECIOUS: $(UK_OBJ)/%.o $(UK_OBJ)/main/%.o
