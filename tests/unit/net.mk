# The network path's unit tests: netfront and netback's xenbus side and
# ring core in one process over test_net_host.
NET_TEST_HOST = $(OBJ)/tests/unit/test_net_host.o $(OBJ)/tests/unit/page_pool.o \
  $(OBJ)/frontends/os/hosted/libc.o

$(BUILD)/tests/test_net_path: $$(OBJ)/tests/unit/test_net_path.o $$(NET_TEST_HOST) \
    $$(OBJ)/frontends/netfront.o $$(NETBACK_CORE_OBJS)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(CHECK_LIBS)

UNIT_TESTS += $(BUILD)/tests/test_net_path

# libFuzzer targets: netback's tx (and rx) ring handling and netfront's
# response handling, on the in-process host; seeds in fixtures/corpora/.
FUZZERS += fuzz_netback_tx fuzz_netfront_rx
FUZZ_SRCS_fuzz_netback_tx := tests/fuzz/fuzz_netback_tx.c backends-sim/netback/nb_queue.c backends-sim/netback/nb_csum.c
FUZZ_CORPUS_fuzz_netback_tx := fixtures/corpora/fuzz_netback_tx
FUZZ_SRCS_fuzz_netfront_rx = tests/fuzz/fuzz_netfront_rx.c tests/unit/test_net_host.c \
	tests/unit/page_pool.c frontends/os/hosted/libc.c frontends/netfront.c \
	$(NETBACK_CORE_SRCS)
FUZZ_CORPUS_fuzz_netfront_rx := fixtures/corpora/fuzz_netfront_rx
FUZZERS += fuzz_netfront_negotiate
FUZZ_SRCS_fuzz_netfront_negotiate = tests/fuzz/fuzz_netfront_negotiate.c tests/unit/test_net_host.c \
	tests/unit/page_pool.c frontends/os/hosted/libc.c frontends/netfront.c $(NETBACK_CORE_SRCS)
FUZZ_CORPUS_fuzz_netfront_negotiate := fixtures/corpora/fuzz_netfront_negotiate
# The host side of a vif: what a process feeds `fd:N`, read as frames.
FUZZERS += fuzz_net_backing
FUZZ_SRCS_fuzz_net_backing := tests/fuzz/fuzz_net_backing.c backends-sim/netback/nb_backing.c
FUZZ_LIBS_fuzz_net_backing := -lpcap
FUZZ_CORPUS_fuzz_net_backing := fixtures/corpora/fuzz_net_backing

$(BUILD)/tests/test_net_backing: $(OBJ)/tests/unit/test_net_backing.o $(OBJ)/backends-sim/netback/nb_backing.o \
    $(OBJ)/tests/lib/scratch.o $(OBJ)/tests/lib/runproc.o
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ -lpcap $(CHECK_LIBS)

UNIT_TESTS += $(BUILD)/tests/test_net_backing

# netback's xenbus side facing a frontend that writes anything into its
# xenstore directory; seeds in fixtures/corpora/fuzz_netback_xenbus.
FUZZERS += fuzz_netback_xenbus
FUZZ_SRCS_fuzz_netback_xenbus = tests/fuzz/fuzz_netback_xenbus.c tests/unit/test_net_host.c \
	tests/unit/page_pool.c frontends/os/hosted/libc.c $(NETBACK_CORE_SRCS)
FUZZ_CORPUS_fuzz_netback_xenbus := fixtures/corpora/fuzz_netback_xenbus
