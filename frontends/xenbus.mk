# The frontend half of the xenbus handshake, shared by blkfront and netfront.
FRONTEND_SRCS += frontends/xenbus.c
