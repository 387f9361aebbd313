# The block guest apps over blkfront: blk-info, blk-verify, blk-bench.
GUEST_APPS += blk-info blk-verify blk-bench
APP_SRCS_blk-info   := frontends/apps/blk_info.c frontends/apps/blk_opts.c
APP_SRCS_blk-verify := frontends/apps/blk_verify.c frontends/apps/blk_opts.c
APP_SRCS_blk-bench  := frontends/apps/blk_bench.c frontends/apps/blk_opts.c
FREESTANDING_SRCS += frontends/apps/blk_info.c frontends/apps/blk_opts.c \
	frontends/apps/blk_verify.c frontends/apps/blk_bench.c
