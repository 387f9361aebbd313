# `make test-xen`: the unikernel images on a real Xen 4.17 with a Debian
# dom0, nested in QEMU (TCG).  Not part of `make test`; .ci/run may call
# it after.  Needs network access to Debian's archive the first time.
.PHONY: test-xen
test-xen: all $$(UNIKERNEL_IMAGES)
	sh tests/xen/run.sh $(BUILD)
