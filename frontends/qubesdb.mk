# QubesDB: its messages, a key/value table, the framing over vchan, and
# the VM's client (frontends/qubesdb.h).  dom0's daemon, in
# backends-sim/qubes/, uses the same pieces.
QUBESDB_SRCS := frontends/qubesdb.c frontends/qubesdb_proto.c frontends/qubesdb_store.c \
	frontends/qubesdb_link.c
FRONTEND_SRCS += $(QUBESDB_SRCS)
INSTALL_HEADERS += frontends/qubesdb.h frontends/qubesdb_proto.h frontends/qubesdb_store.h \
	frontends/qubesdb_link.h

# qubes-hello: the seed's unikernel — QubesDB, then a file from the tar disk.
GUEST_APPS += qubes-hello
APP_SRCS_qubes-hello := frontends/apps/qubes_hello.c frontends/apps/tar_disk.c \
	frontends/apps/blk_opts.c
FREESTANDING_SRCS += frontends/apps/qubes_hello.c

# qubesdb-watch: a VM's view of its QubesDB, changes as they come.
GUEST_APPS += qubesdb-watch
APP_SRCS_qubesdb-watch := frontends/apps/qubesdb_watch.c
FREESTANDING_SRCS += frontends/apps/qubesdb_watch.c
