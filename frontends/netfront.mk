# netfront, the portable network frontend.
FRONTEND_SRCS += frontends/netfront.c
