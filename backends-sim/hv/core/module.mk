# The simulated hypervisor core (a library without I/O).  splitbed-hvd
# and the unit tests link the archive; its in-process host is the
# world's (HVHOST_SRCS).
HV_CORE_SRCS := backends-sim/hv/core/hv.c backends-sim/hv/core/trace.c \
    backends-sim/hv/core/gnttab.c backends-sim/hv/core/gntmap.c \
    backends-sim/hv/core/evtchn.c

HV_CORE_LIB := $(BUILD)/lib/libsplitbed-hv.a

$(HV_CORE_LIB): $(patsubst %.c,$(OBJ)/%.o,$(HV_CORE_SRCS))
	@mkdir -p $(@D)
	rm -f $@; ar rcs $@ $^

ALL_TARGETS += $(HV_CORE_LIB)

# libFuzzer target: operation streams against the in-process host.
FUZZERS += fuzz_hv_core
FUZZ_SRCS_fuzz_hv_core = tests/fuzz/fuzz_hv_core.c $(HV_CORE_SRCS) $(HVHOST_SRCS)
FUZZ_IGNORE_fuzz_hv_core := tests/fuzz/fuzz_hv_core.ignore
FUZZ_FLAGS_fuzz_hv_core := -fsanitize-ignorelist=tests/fuzz/fuzz_hv_core.nosan
FUZZ_CORPUS_fuzz_hv_core := fixtures/corpora/fuzz_hv_core
