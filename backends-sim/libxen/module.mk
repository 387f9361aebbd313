# Drop-in libxengnttab.so.1 and libxenevtchn.so.1 (same sonames, symbols
# and symbol versions as Debian 12's).  They load into programs we did not
# build, so they are compiled without sanitizers even in SAN=1 builds: own
# objects under $(OBJ)/libxen-plain/, own link command without $(LDFLAGS).
LIBXEN_DIR := $(BUILD)/lib/splitbed
LIBXEN_COMMON := backends-sim/libxen/client.c backends-sim/hv/wire/packet.c
LIBXENGNTTAB_SRCS := backends-sim/libxen/gnttab.c backends-sim/libxen/gntshr.c \
    backends-sim/libxen/gntdev.c $(LIBXEN_COMMON)
LIBXENEVTCHN_SRCS := backends-sim/libxen/evtchn.c backends-sim/hv/wire/evpage.c $(LIBXEN_COMMON)
LIBXEN_CFLAGS = -std=gnu11 $(WARN) $(CFLAGS) -fPIC -fvisibility=default -D_GNU_SOURCE -MMD -MP

$(OBJ)/libxen-plain/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(LIBXEN_CFLAGS) $(CPPFLAGS) -c $< -o $@

$(LIBXEN_DIR)/libxengnttab.so.1: $(patsubst %.c,$(OBJ)/libxen-plain/%.o,$(LIBXENGNTTAB_SRCS)) backends-sim/libxen/libxengnttab.map
	@mkdir -p $(@D)
	$(CC) -shared -Wl,-soname,libxengnttab.so.1 -Wl,--version-script=backends-sim/libxen/libxengnttab.map \
	  -Wl,-z,defs -o $@ $(filter %.o,$^) -lxentoollog -lpthread

$(LIBXEN_DIR)/libxenevtchn.so.1: $(patsubst %.c,$(OBJ)/libxen-plain/%.o,$(LIBXENEVTCHN_SRCS)) backends-sim/libxen/libxenevtchn.map
	@mkdir -p $(@D)
	$(CC) -shared -Wl,-soname,libxenevtchn.so.1 -Wl,--version-script=backends-sim/libxen/libxenevtchn.map \
	  -Wl,-z,defs -o $@ $(filter %.o,$^) -lxentoollog -lpthread

# libxenctrl's carrier: hypercalls (libxencall) and the two handles
# xc_interface_open also opens.
LIBXENCALL_SRCS := backends-sim/libxen/xencall.c $(LIBXEN_COMMON)
LIBXENFOREIGNMEMORY_SRCS := backends-sim/libxen/foreignmemory.c $(LIBXEN_COMMON)
LIBXENDEVICEMODEL_SRCS := backends-sim/libxen/devicemodel.c $(LIBXEN_COMMON)

$(LIBXEN_DIR)/libxencall.so.1: $(patsubst %.c,$(OBJ)/libxen-plain/%.o,$(LIBXENCALL_SRCS)) backends-sim/libxen/libxencall.map
	@mkdir -p $(@D)
	$(CC) -shared -Wl,-soname,libxencall.so.1 -Wl,--version-script=backends-sim/libxen/libxencall.map \
	  -Wl,-z,defs -o $@ $(filter %.o,$^) -lxentoollog -lpthread

$(LIBXEN_DIR)/libxenforeignmemory.so.1: $(patsubst %.c,$(OBJ)/libxen-plain/%.o,$(LIBXENFOREIGNMEMORY_SRCS)) backends-sim/libxen/libxenforeignmemory.map
	@mkdir -p $(@D)
	$(CC) -shared -Wl,-soname,libxenforeignmemory.so.1 -Wl,--version-script=backends-sim/libxen/libxenforeignmemory.map \
	  -Wl,-z,defs -o $@ $(filter %.o,$^) -lxentoollog -lpthread

$(LIBXEN_DIR)/libxendevicemodel.so.1: $(patsubst %.c,$(OBJ)/libxen-plain/%.o,$(LIBXENDEVICEMODEL_SRCS)) backends-sim/libxen/libxendevicemodel.map
	@mkdir -p $(@D)
	$(CC) -shared -Wl,-soname,libxendevicemodel.so.1 -Wl,--version-script=backends-sim/libxen/libxendevicemodel.map \
	  -Wl,-z,defs -o $@ $(filter %.o,$^) -lxentoollog -lpthread

LIBXEN_ALL := $(LIBXEN_DIR)/libxengnttab.so.1 $(LIBXEN_DIR)/libxenevtchn.so.1 \
    $(LIBXEN_DIR)/libxencall.so.1 $(LIBXEN_DIR)/libxenforeignmemory.so.1 \
    $(LIBXEN_DIR)/libxendevicemodel.so.1
ALL_TARGETS += $(LIBXEN_ALL)
INSTALL_LIB += $(LIBXEN_ALL)
