# The splitbed command's Qubes parts: `splitbed qubesdb`, and starting
# dom0's Qubes daemons for a Qubes VM.  ($^ of harness/module.mk's link
# rule collects these prerequisites too.)
HARNESS_QUBES_SRCS := harness/cmd_qubesdb.c harness/cmd_qrexec.c harness/qubes_vm.c frontends/qubesdb_proto.c \
	frontends/os/hosted/libc.c backends-sim/qubes/qrexec_policy.c
$(BUILD)/bin/splitbed: $(patsubst %.c,$(OBJ)/%.o,$(HARNESS_QUBES_SRCS))
