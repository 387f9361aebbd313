# The Linux-process home of os.h: over the real libxengntshr (part of
# libxengnttab), libxenevtchn and libxenstore.  main.c gives every guest
# app its main().
OS_LINUX_SRCS += \
	frontends/os/linux/host.c \
	frontends/os/linux/log.c \
	frontends/os/hosted/libc.c \
	frontends/os/hosted/pages.c \
	frontends/os/hosted/hybrid_poll.c \
	frontends/os/linux/grants.c \
	frontends/os/linux/gntmap.c \
	frontends/os/linux/evtchn.c \
	frontends/os/linux/xenstore.c \
	frontends/os/linux/wait.c \
	frontends/os/linux/main.c

