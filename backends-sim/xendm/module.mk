# splitbed-xen-dm: a device model for libxl on a real Xen host that
# serves a guest's backendtype=qdisk disks with splitbed-blkback and its
# vifs with splitbed-netback (docs/real-xen.md).  Installed beside the
# backends, which it runs.
XENDM_SRCS := backends-sim/xendm/dm_args.c backends-sim/xendm/dm_qmp.c \
              backends-sim/xendm/dm_vifs.c backends-sim/xendm/dm_main.c
XENDM_BIN = $(BUILD)/libexec/splitbed/splitbed-xen-dm

$(XENDM_BIN): $(patsubst %.c,$(OBJ)/%.o,$(XENDM_SRCS)) | $$(BLKBACK_BIN) $$(NETBACK)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ -lxenstore

ALL_TARGETS += $(XENDM_BIN)
INSTALL_LIBEXEC += $(XENDM_BIN)
