# libFuzzer targets for vchan (a hostile server, a hostile client), the
# VM's QubesDB client and its qrexec agent (a dom0 that sends anything),
# on an in-memory os.h (tests/fuzz/vchan_fuzz_host.c).
VCHAN_FUZZ_SRCS := tests/fuzz/vchan_fuzz_host.c frontends/vchan.c frontends/xenbus.c \
	frontends/os/hosted/libc.c
FUZZERS += fuzz_vchan_client fuzz_vchan_server fuzz_qubesdb_client fuzz_qrexec_agent
FUZZ_SRCS_fuzz_vchan_client := tests/fuzz/fuzz_vchan_client.c $(VCHAN_FUZZ_SRCS)
FUZZ_SRCS_fuzz_vchan_server := tests/fuzz/fuzz_vchan_server.c $(VCHAN_FUZZ_SRCS)
FUZZ_SRCS_fuzz_qubesdb_client := tests/fuzz/fuzz_qubesdb_client.c $(VCHAN_FUZZ_SRCS) \
	frontends/qubesdb.c frontends/qubesdb_proto.c frontends/qubesdb_store.c \
	frontends/qubesdb_link.c
FUZZ_SRCS_fuzz_qrexec_agent := tests/fuzz/fuzz_qrexec_agent.c $(VCHAN_FUZZ_SRCS) \
	frontends/qrexec_agent.c frontends/qrexec_proto.c

# dom0's side facing a hostile VM: splitbed-qubesdb's and splitbed-qrexec's
# handling of what the VM sends, without their sockets and poll loops.
FUZZERS += fuzz_qubesdb_daemon
FUZZ_SRCS_fuzz_qubesdb_daemon := tests/fuzz/fuzz_qubesdb_daemon.c $(VCHAN_FUZZ_SRCS) \
	backends-sim/qubes/qubesdb_vm.c frontends/qubesdb_proto.c frontends/qubesdb_store.c \
	frontends/qubesdb_link.c
FUZZERS += fuzz_qrexec_daemon
FUZZ_SRCS_fuzz_qrexec_daemon := tests/fuzz/fuzz_qrexec_daemon.c $(VCHAN_FUZZ_SRCS) \
	backends-sim/qubes/qrexec_vm.c backends-sim/qubes/qrexec_policy.c \
	backends-sim/qubes/qrexec_service.c frontends/qrexec_proto.c
FUZZ_IGNORE_fuzz_qubesdb_daemon := tests/fuzz/qubes_daemon.ignore
FUZZ_IGNORE_fuzz_qrexec_daemon := tests/fuzz/qubes_daemon.ignore
