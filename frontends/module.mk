# Portable frontend drivers, their Linux OS layer, and the guest apps.
#
# FRONTEND_SRCS   portable driver sources (also built freestanding)
# OS_LINUX_SRCS   frontends/os/linux/*.c: os.h over libxengntshr/evtchn/xenstore
# GUEST_APPS      app names; each app NAME has APP_SRCS_NAME (portable .c
#                 files defining app_main) and is linked as a Linux process
#                 into $(BUILD)/libexec/splitbed/NAME
# Modules append to these; frontends/*/module.mk are included too.

FRONTEND_SRCS +=
OS_LINUX_SRCS +=
GUEST_APPS +=

OS_LINUX_LDLIBS = -lxengnttab -lxenevtchn -lxenstore

# The archives' rules are in the top Makefile, after every module has
# listed its sources.

define guest_app_rule
$(BUILD)/libexec/splitbed/$(1): $$(patsubst %.c,$$(OBJ)/%.o,$$(APP_SRCS_$(1))) $$(FRONTEND_LIB) $$(OS_LINUX_LIB)
	@mkdir -p $$(@D)
	$$(CC) $$(LDFLAGS) -o $$@ $$(patsubst %.c,$$(OBJ)/%.o,$$(APP_SRCS_$(1))) $$(OS_LINUX_LIB) $$(FRONTEND_LIB) $$(OS_LINUX_LIB) $$(OS_LINUX_LDLIBS)
ALL_TARGETS += $(BUILD)/libexec/splitbed/$(1)
INSTALL_LIBEXEC += $(BUILD)/libexec/splitbed/$(1)
endef

# What a program of its own, built against an installed splitbed, links
# against: the portable drivers, the Linux OS layer, and their headers
# (see lib/pkgconfig/splitbed.pc).
INSTALL_HEADERS += frontends/os.h frontends/xen_public.h frontends/xenbus.h frontends/blkfront.h frontends/netfront.h \
  frontends/tarfs.h frontends/blkdev_bytes.h frontends/os/linux/os_linux.h
INSTALL_ARCHIVES += $(FRONTEND_LIB) $(OS_LINUX_LIB)
