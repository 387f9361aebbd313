# blkfront (portable) and the block guest apps: blk-info, blk-verify, blk-bench.
BLKFRONT_SRCS := frontends/blkfront.c frontends/blkfront_ring.c frontends/blkfront_sync.c
FRONTEND_SRCS += $(BLKFRONT_SRCS)
# frontends/module.mk is read before this file, so its archive rule saw an
# empty list; name the objects here too ($^ collects both).
$(FRONTEND_LIB): $(patsubst %.c,$(BUILD)/obj/%.o,$(BLKFRONT_SRCS))
