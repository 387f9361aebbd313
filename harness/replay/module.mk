# The seeded world (one process: hypervisor core, xenstore, blkback,
# blkfront over frontends/os/world), its replay tool and its fuzz target.
# Read after backends-sim/ and frontends/, so their source lists are set.
OS_WORLD_SRCS := $(addprefix frontends/os/world/,host.c grants.c evtchn.c xenstore.c) \
  frontends/os/hosted/libc.c frontends/os/hosted/pages.c
WORLD_SRCS := $(addprefix harness/replay/,choice.c hvhost.c bbenv.c toolstack.c world.c \
  sched.c workload.c)
# Everything a world is made of, as sources: the fuzz target compiles them
# itself.
WORLD_ALL_SRCS := $(WORLD_SRCS) harness/domain_layout.c $(OS_WORLD_SRCS) frontends/xenbus.c $(BLKFRONT_SRCS) \
  $(BLKBACK_XENBUS_SRCS) $(BLKBACK_CORE_SRCS) $(XS_CORE_SRCS) $(HV_CORE_SRCS)

WORLD_LIB := $(BUILD)/lib/libsplitbed-world.a
$(WORLD_LIB): $(patsubst %.c,$(OBJ)/%.o,$(WORLD_ALL_SRCS))
	@mkdir -p $(@D)
	rm -f $@; ar rcs $@ $^

REPLAY_BIN := $(BUILD)/libexec/splitbed/splitbed-replay
$(REPLAY_BIN): $(OBJ)/harness/replay/replay_main.o $(WORLD_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^

ALL_TARGETS += $(WORLD_LIB) $(REPLAY_BIN)
INSTALL_LIBEXEC += $(REPLAY_BIN)

# libFuzzer: the input bytes are the schedule and the fault plan.
FUZZERS += fuzz_interleave_blk
FUZZ_SRCS_fuzz_interleave_blk := tests/fuzz/fuzz_interleave_blk.c $(WORLD_ALL_SRCS)
FUZZ_CORPUS_fuzz_interleave_blk := fixtures/corpora/fuzz_interleave_blk
