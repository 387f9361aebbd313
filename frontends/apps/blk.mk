# blkfront (portable) and the block guest apps: blk-info, blk-verify, blk-bench.
BLKFRONT_SRCS := frontends/blkfront.c frontends/blkfront_ring.c frontends/blkfront_sync.c
FRONTEND_SRCS += $(BLKFRONT_SRCS)
# frontends/module.mk is read before this file, so its archive rule saw an
# empty list; name the objects here too ($^ collects both).
$(FRONTEND_LIB): $(patsubst %.c,$(BUILD)/obj/%.o,$(BLKFRONT_SRCS))

GUEST_APPS += blk-info blk-verify blk-bench
APP_SRCS_blk-info   := frontends/apps/blk_info.c frontends/apps/blk_opts.c
APP_SRCS_blk-verify := frontends/apps/blk_verify.c frontends/apps/blk_opts.c
APP_SRCS_blk-bench  := frontends/apps/blk_bench.c frontends/apps/blk_opts.c
FREESTANDING_SRCS += frontends/apps/blk_info.c frontends/apps/blk_opts.c \
	frontends/apps/blk_verify.c frontends/apps/blk_bench.c

# libFuzzer targets on the in-memory host of blkfront's unit tests.
BLKFRONT_FUZZ_SRCS := tests/unit/test_blkfront_host.c frontends/os/hosted/libc.c \
  frontends/os/hosted/pages.c frontends/xenbus.c $(BLKFRONT_SRCS)
FUZZERS += fuzz_blkfront_rsp fuzz_xenbus_negotiate
FUZZ_SRCS_fuzz_blkfront_rsp := tests/fuzz/fuzz_blkfront_rsp.c $(BLKFRONT_FUZZ_SRCS)
FUZZ_CORPUS_fuzz_blkfront_rsp := fixtures/corpora/fuzz_blkfront_rsp
FUZZ_SRCS_fuzz_xenbus_negotiate := tests/fuzz/fuzz_xenbus_negotiate.c $(BLKFRONT_FUZZ_SRCS)
FUZZ_CORPUS_fuzz_xenbus_negotiate := fixtures/corpora/fuzz_xenbus_negotiate
