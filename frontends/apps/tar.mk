# The tar guest apps: the archive on a virtual disk, through blkfront.
TAR_APP_COMMON := frontends/apps/tar_disk.c frontends/apps/blk_opts.c
GUEST_APPS += tar-ls tar-cat
APP_SRCS_tar-ls  := frontends/apps/tar_ls.c $(TAR_APP_COMMON)
APP_SRCS_tar-cat := frontends/apps/tar_cat.c $(TAR_APP_COMMON)
FREESTANDING_SRCS += frontends/apps/tar_ls.c frontends/apps/tar_cat.c frontends/apps/tar_disk.c

# tar-cat as the reader of the original Qubes report would have been: it
# hands blkfront's zero-copy path a buffer one sector into a page.  Only
# for tests that prove the simulator refuses it; never installed.
TAR_SEED_BUG_APP := $(BUILD)/libexec/splitbed/tar-cat-seed-bug
$(TAR_SEED_BUG_APP): $(patsubst %.c,$(OBJ)/%.o,$(APP_SRCS_tar-cat)) \
    $(OBJ)/frontends/blkdev_bytes_seed_bug.o $(FRONTEND_LIB) $(OS_LINUX_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $(patsubst %.c,$(OBJ)/%.o,$(APP_SRCS_tar-cat)) \
	  $(OBJ)/frontends/blkdev_bytes_seed_bug.o $(OS_LINUX_LIB) $(FRONTEND_LIB) $(OS_LINUX_LIB) $(OS_LINUX_LDLIBS)
ALL_TARGETS += $(TAR_SEED_BUG_APP)
