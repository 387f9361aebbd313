# The tar reader, and what serves it bytes from a block device.
TARFS_SRCS := frontends/tarfs.c frontends/tarfs_header.c frontends/tarfs_pax.c \
    frontends/tarfs_sparse.c frontends/tarfs_member.c frontends/tarfs_lookup.c
FRONTEND_SRCS += $(TARFS_SRCS) frontends/blkdev_bytes.c

# libFuzzer target over an in-memory device; seeds in fixtures/corpora/fuzz_tarfs.
FUZZERS += fuzz_tarfs
FUZZ_SRCS_fuzz_tarfs = tests/fuzz/fuzz_tarfs.c $(TARFS_SRCS) tests/unit/test_tarfs_host.c \
	frontends/os/hosted/libc.c frontends/os/hosted/pages.c

# The same reader over the byte-to-sector adapter and a device with
# blkfront's zero-copy rules; seeds in fixtures/corpora/fuzz_tarfs_blkdev.
FUZZERS += fuzz_tarfs_blkdev
FUZZ_SRCS_fuzz_tarfs_blkdev = tests/fuzz/fuzz_tarfs_blkdev.c $(TARFS_SRCS) frontends/blkdev_bytes.c \
	tests/unit/test_tarfs_host.c frontends/os/hosted/libc.c frontends/os/hosted/pages.c
