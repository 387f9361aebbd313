# The tar reader and what serves it bytes, plus the tar guest apps.
FRONTEND_SRCS += frontends/tarfs.c frontends/blkdev_bytes.c

# libFuzzer target over an in-memory device; seeds in fixtures/corpora/fuzz_tarfs.
FUZZERS += fuzz_tarfs
FUZZ_SRCS_fuzz_tarfs = tests/fuzz/fuzz_tarfs.c frontends/tarfs.c tests/unit/test_tarfs_host.c
