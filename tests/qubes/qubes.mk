# `make test-qubes QUBES_SRC=DIR`: Qubes OS's own libvchan-xen, qubesdb
# and qrexec, built from DIR under $(BUILD)/qubes/, paired with ours and
# with each other on the simulator (tests/qubes/run.sh).  Without
# QUBES_SRC it says so and succeeds.  Needs root (a private mount
# namespace for /run/qubes and /var/log/qubes).
QUBES_SRC ?=
.PHONY: test-qubes
test-qubes: all
	QUBES_SRC="$(QUBES_SRC)" BUILD="$(BUILD)" bash tests/qubes/run.sh
