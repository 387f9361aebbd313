# The frontend half of the xenbus handshake, shared by blkfront and netfront.
FRONTEND_SRCS += frontends/xenbus.c
# frontends/module.mk is read before this file, so its archive rule saw an
# empty list; name the object here too ($^ collects both).
$(FRONTEND_LIB): $(BUILD)/obj/frontends/xenbus.o
