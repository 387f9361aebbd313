# Userspace blkback: serves raw images to blkif frontends through the real
# Xen userspace libraries (xengnttab, xenevtchn, xenstore).
#
# BLKBACK_CORE_SRCS  the request core and its helpers: no daemon, no Xen
#                    library; unit tests and the fuzz target link these.
# BLKBACK_TEST_SRCS  the memfd grant mapper the tests use as a frontend.

BLKBACK_CORE_SRCS := backends-sim/blkback/ring.c backends-sim/blkback/image.c \
                     backends-sim/blkback/log.c
BLKBACK_TEST_SRCS := backends-sim/blkback/mapper_memfd.c
BLKBACK_CORE_OBJS = $(patsubst %.c,$(OBJ)/%.o,$(BLKBACK_CORE_SRCS))
BLKBACK_TEST_OBJS = $(patsubst %.c,$(OBJ)/%.o,$(BLKBACK_TEST_SRCS))

# The request core under libFuzzer (tests/fuzz/fuzz_blkback_req.c).
FUZZERS += fuzz_blkback_req
FUZZ_SRCS_fuzz_blkback_req := tests/fuzz/fuzz_blkback_req.c $(BLKBACK_CORE_SRCS) $(BLKBACK_TEST_SRCS)
FUZZ_CORPUS_fuzz_blkback_req := fixtures/corpora/fuzz_blkback_req
# The same core against a frontend that rewrites the ring while it is
# served (tests/fuzz/fuzz_blkback_race.c).
FUZZERS += fuzz_blkback_race
FUZZ_SRCS_fuzz_blkback_race := tests/fuzz/fuzz_blkback_race.c $(BLKBACK_CORE_SRCS) $(BLKBACK_TEST_SRCS)
FUZZ_CORPUS_fuzz_blkback_race := fixtures/corpora/fuzz_blkback_race

# The xenbus side (vbd, backend) under libFuzzer, over the world's
# xenstore and hypervisor cores (tests/fuzz/fuzz_blkback_xenbus.c).
FUZZERS += fuzz_blkback_xenbus
FUZZ_SRCS_fuzz_blkback_xenbus = tests/fuzz/fuzz_blkback_xenbus.c backends-sim/world/bbenv.c \
  $(HVHOST_SRCS) $(BLKBACK_XENBUS_SRCS) $(BLKBACK_CORE_SRCS) $(XS_CORE_SRCS) $(HV_CORE_SRCS)
FUZZ_CORPUS_fuzz_blkback_xenbus := fixtures/corpora/fuzz_blkback_xenbus
FUZZ_IGNORE_fuzz_blkback_xenbus := tests/fuzz/fuzz_blkback_xenbus.ignore

# The daemon.
BLKBACK_SRCS := $(BLKBACK_CORE_SRCS) backends-sim/blkback/params.c \
                backends-sim/blkback/vbd.c backends-sim/blkback/backend.c \
                backends-sim/blkback/mapper_gnttab.c backends-sim/blkback/xen_host.c \
                backends-sim/blkback/faults.c backends-sim/blkback/main.c \
                backends-sim/blkback/record.c backends-sim/recorder/corpus_dir.c \
                frontends/os/hosted/hybrid_poll.c
BLKBACK_XENBUS_SRCS := backends-sim/blkback/params.c backends-sim/blkback/vbd.c \
                       backends-sim/blkback/backend.c
BLKBACK_XENBUS_OBJS = $(patsubst %.c,$(OBJ)/%.o,$(BLKBACK_XENBUS_SRCS))
BLKBACK_BIN = $(BUILD)/libexec/splitbed/splitbed-blkback

$(BLKBACK_BIN): $(patsubst %.c,$(OBJ)/%.o,$(BLKBACK_SRCS))
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ -lxengnttab -lxenevtchn -lxenstore

ALL_TARGETS += $(BLKBACK_BIN)
INSTALL_LIBEXEC += $(BLKBACK_BIN)
