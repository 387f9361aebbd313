# The in-process world (one process: hypervisor core, xenstore, blkback,
# blkfront over the os.h home in home/), its replay tool and its fuzz
# target.  The lists of other modules are named with = and $$(...), so
# they are read once every module has set them.
OS_WORLD_SRCS := $(addprefix backends-sim/world/home/,host.c grants.c gntmap.c evtchn.c xenstore.c) \
  frontends/os/hosted/libc.c frontends/os/hosted/pages.c
# The in-process host of the hypervisor core, also linked by its unit
# tests and fuzz target.
HVHOST_SRCS := backends-sim/world/hvhost.c
WORLD_SRCS := $(HVHOST_SRCS) $(addprefix backends-sim/world/,choice.c evq.c trace_log.c world_core.c world_sched.c bbenv.c toolstack_nodes.c world.c \
  sched.c workload.c nbenv.c networld.c net_workload.c)
# Everything a world is made of, as sources: the fuzz target compiles them
# itself.
WORLD_ALL_SRCS = $(WORLD_SRCS) backends-sim/world/domain_layout.c $(OS_WORLD_SRCS) frontends/xenbus.c $(BLKFRONT_SRCS) \
  $(BLKBACK_XENBUS_SRCS) $(BLKBACK_CORE_SRCS) $(XS_CORE_SRCS) $(HV_CORE_SRCS) \
  frontends/netfront.c $(NETBACK_CORE_SRCS)

WORLD_LIB := $(BUILD)/lib/libsplitbed-world.a
$(WORLD_LIB): $$(patsubst %.c,$$(OBJ)/%.o,$$(WORLD_ALL_SRCS))
	@mkdir -p $(@D)
	rm -f $@; ar rcs $@ $^

REPLAY_BIN := $(BUILD)/libexec/splitbed/splitbed-replay
$(REPLAY_BIN): $(OBJ)/backends-sim/world/replay_main.o $(WORLD_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^

ALL_TARGETS += $(WORLD_LIB) $(REPLAY_BIN)
INSTALL_LIBEXEC += $(REPLAY_BIN)

# libFuzzer: the input bytes are the schedule and the fault plan.
FUZZERS += fuzz_interleave_blk
FUZZ_SRCS_fuzz_interleave_blk = tests/fuzz/fuzz_interleave_blk.c $(WORLD_ALL_SRCS)
FUZZ_CORPUS_fuzz_interleave_blk := fixtures/corpora/fuzz_interleave_blk
# The input is a schedule, read a choice at a time: comparisons with its
# bytes teach the fuzzer nothing, so they are not traced.
FUZZ_IGNORE_fuzz_interleave_blk := tests/fuzz/fuzz_interleave_blk.ignore
FUZZ_FLAGS_fuzz_interleave_blk := -fno-sanitize-coverage=trace-cmp

# The same for the net path: netfront and netback in the net world.
FUZZERS += fuzz_interleave_net
FUZZ_SRCS_fuzz_interleave_net = tests/fuzz/fuzz_interleave_net.c $(WORLD_ALL_SRCS)
FUZZ_CORPUS_fuzz_interleave_net := fixtures/corpora/fuzz_interleave_net
FUZZ_IGNORE_fuzz_interleave_net := tests/fuzz/fuzz_interleave_net.ignore
FUZZ_FLAGS_fuzz_interleave_net := -fno-sanitize-coverage=trace-cmp
