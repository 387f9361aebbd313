# The tar reader and what serves it bytes, plus the tar guest apps.
FRONTEND_SRCS += frontends/tarfs.c frontends/blkdev_bytes.c
