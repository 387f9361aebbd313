# splitbed-xenstored: the xenstore core (library without I/O), the
# in-process client, and the Unix-socket daemon.

XS_DIR := backends-sim/xenstored
XS_CORE_SRCS := $(addprefix $(XS_DIR)/,xsc_path.c xsc_perms.c xsc_tree.c \
  xsc_watch.c xsc_ops.c xsc_txn.c xsc_domain.c xsc_dispatch.c xsc_control.c xsc_core.c \
  xsc_frame.c xsc_client.c)
XS_SERVER_SRCS := $(XS_DIR)/xsc_server.c $(XS_DIR)/splitbed_xenstored.c \
  $(XS_DIR)/xsc_domexc.c backends-sim/procdom/procdom.c
# VIRQ_DOM_EXC comes through our libxenevtchn's code, linked in.
XS_EVTCHN_OBJS := $(patsubst %.c,$(OBJ)/libxen-plain/%.o,backends-sim/libxen/evtchn.c \
  backends-sim/libxen/client.c backends-sim/hv/wire/evpage.c)

XS_LIB := $(BUILD)/lib/libsplitbed-xenstore.a
XENSTORED_BIN := $(BUILD)/bin/splitbed-xenstored

$(XS_LIB): $(patsubst %.c,$(OBJ)/%.o,$(XS_CORE_SRCS))
	@mkdir -p $(@D)
	rm -f $@; ar rcs $@ $^

$(XENSTORED_BIN): $(patsubst %.c,$(OBJ)/%.o,$(XS_SERVER_SRCS)) $(XS_LIB) $(XS_EVTCHN_OBJS) $$(HVCTL_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ -lxentoollog -lpthread

ALL_TARGETS += $(XS_LIB) $(XENSTORED_BIN)
INSTALL_BIN += $(XENSTORED_BIN)

FUZZERS += fuzz_xs_wire
FUZZ_SRCS_fuzz_xs_wire := tests/fuzz/fuzz_xs_wire.c $(XS_CORE_SRCS)
FUZZ_CORPUS_fuzz_xs_wire := fixtures/corpora/fuzz_xs_wire

# make bench: XS_READ and watch-fire round trips beside a raw echo.
$(BUILD)/bench/bench_xenstored: $(OBJ)/tests/bench/bench_xenstored.o \
    $(OBJ)/tests/bench/bench_result.o | $(XENSTORED_BIN)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^)
BENCHES += $(BUILD)/bench/bench_xenstored

# The differential target: the core beside Debian's C xenstored, whose
# shim is built (with gcc, no sanitizers: it is preloaded into the
# reference daemon) next to the fuzzer.
FUZZERS += fuzz_xs_diff
FUZZ_SRCS_fuzz_xs_diff := tests/fuzz/fuzz_xs_diff.c tests/lib/xsdiff.c tests/lib/xsref.c $(XS_CORE_SRCS)
FUZZ_CORPUS_fuzz_xs_diff := fixtures/corpora/fuzz_xs_diff
build-fuzz/fuzz_xs_diff: build-fuzz/xsref_shim.so
build-fuzz/xsref_shim.so: tests/xsref/xsref_shim.c
	@mkdir -p build-fuzz
	gcc -std=gnu11 $(WARN) -O2 -shared -fPIC -D_GNU_SOURCE -o $@ $< -ldl
