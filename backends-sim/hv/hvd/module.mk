# splitbed-hvd: the daemon hosting the hypervisor core for processes.
# HVD_WIRE_SRCS is the protocol code every client shares (the drop-in
# libraries compile their own copy without sanitizers).
HVD_WIRE_SRCS := backends-sim/hv/wire/packet.c backends-sim/hv/wire/evpage.c
HVD_SRCS := backends-sim/hv/hvd/main.c backends-sim/hv/hvd/loop.c \
    backends-sim/hv/hvd/domains.c backends-sim/hv/hvd/connections.c backends-sim/hv/hvd/dispatch.c \
    backends-sim/hv/hvd/callpage.c \
    backends-sim/hv/hvd/memory.c backends-sim/hv/hvd/gnt.c backends-sim/hv/hvd/evt.c \
    backends-sim/hv/hvd/ctl.c backends-sim/hv/hvd/lifecycle.c backends-sim/hv/hvd/hypercall.c \
    backends-sim/hv/hvd/domctl.c backends-sim/hv/hvd/sysctl.c backends-sim/hv/hvd/dominfo.c \
    backends-sim/hv/hvd/hcall_names.c backends-sim/procdom/procdom.c $(HVD_WIRE_SRCS)

$(BUILD)/bin/splitbed-hvd: $(patsubst %.c,$(OBJ)/%.o,$(HVD_SRCS)) $$(HV_CORE_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^

ALL_TARGETS += $(BUILD)/bin/splitbed-hvd
INSTALL_BIN += $(BUILD)/bin/splitbed-hvd

# libFuzzer target: hostile clients' packets into the daemon's handling.
FUZZERS += fuzz_hvd_client
FUZZ_SRCS_fuzz_hvd_client = tests/fuzz/fuzz_hvd_client.c $(filter-out backends-sim/hv/hvd/main.c,$(HVD_SRCS)) \
	$(HV_CORE_SRCS)
FUZZ_CORPUS_fuzz_hvd_client := fixtures/corpora/fuzz_hvd_client
