# splitbed-netback: the userspace netback (simulator or real dom0).
# The ring core and xenbus side build without any Xen library, for unit
# tests and fuzz targets; the daemon adds the real libraries and backings.
NETBACK_CORE_SRCS := backends-sim/netback/nb_queue.c backends-sim/netback/nb_vif.c \
    backends-sim/netback/nb_csum.c
NETBACK_CORE_OBJS := $(patsubst %.c,$(OBJ)/%.o,$(NETBACK_CORE_SRCS))

NETBACK_SRCS := $(NETBACK_CORE_SRCS) backends-sim/netback/nb_xen.c \
    backends-sim/netback/nb_backing.c backends-sim/netback/nb_faults.c \
    backends-sim/netback/nb_main.c backends-sim/netback/nb_record.c \
    backends-sim/recorder/corpus_dir.c
NETBACK := $(BUILD)/libexec/splitbed/splitbed-netback

$(NETBACK): $(patsubst %.c,$(OBJ)/%.o,$(NETBACK_SRCS))
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ -lxenstore -lxengnttab -lxenevtchn -lpcap

ALL_TARGETS += $(NETBACK)
INSTALL_LIBEXEC += $(NETBACK)
