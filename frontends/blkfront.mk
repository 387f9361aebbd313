# blkfront, the portable block frontend, and the libFuzzer targets on the
# in-memory host of its unit tests.
BLKFRONT_SRCS := frontends/blkfront.c frontends/blkfront_ring.c frontends/blkfront_sync.c
FRONTEND_SRCS += $(BLKFRONT_SRCS)

BLKFRONT_FUZZ_SRCS := tests/unit/test_blkfront_host.c tests/unit/page_pool.c \
  frontends/os/hosted/libc.c frontends/os/hosted/pages.c frontends/xenbus.c $(BLKFRONT_SRCS)
FUZZERS += fuzz_blkfront_rsp fuzz_xenbus_negotiate
FUZZ_SRCS_fuzz_blkfront_rsp := tests/fuzz/fuzz_blkfront_rsp.c $(BLKFRONT_FUZZ_SRCS)
FUZZ_CORPUS_fuzz_blkfront_rsp := fixtures/corpora/fuzz_blkfront_rsp
FUZZ_IGNORE_fuzz_blkfront_rsp := tests/fuzz/fuzz_blkfront_rsp.ignore
FUZZ_SRCS_fuzz_xenbus_negotiate := tests/fuzz/fuzz_xenbus_negotiate.c $(BLKFRONT_FUZZ_SRCS)
FUZZ_CORPUS_fuzz_xenbus_negotiate := fixtures/corpora/fuzz_xenbus_negotiate
# The synchronous helpers and the request paths under them, driven by any
# sequence of calls against a backend that may stall.
FUZZERS += fuzz_blkfront_sync
FUZZ_SRCS_fuzz_blkfront_sync := tests/fuzz/fuzz_blkfront_sync.c $(BLKFRONT_FUZZ_SRCS)
FUZZ_CORPUS_fuzz_blkfront_sync := fixtures/corpora/fuzz_blkfront_sync
