# netfront (portable) and the network guest apps.
FRONTEND_SRCS += frontends/netfront.c
# frontends/module.mk is read before this file; name the object here too.
$(FRONTEND_LIB): $(BUILD)/obj/frontends/netfront.o
