# `make test-xen`: the unikernel images on a real Xen 4.17 with a Debian
# dom0, nested in QEMU (TCG).  Not part of `make test`; .ci/run may call
# it after.  Needs network access to Debian's archive the first time.
# With QUBES_SRC (as for test-qubes) it also runs a Qubes VM against
# Qubes' own dom0 daemons; without it that scenario is skipped.
QUBES_SRC ?=
.PHONY: test-xen
test-xen: all $$(UNIKERNEL_IMAGES) $(BUILD)/tests/vchan-peer
	QUBES_SRC="$(QUBES_SRC)" sh tests/xen/run.sh $(BUILD)
