# The VM's half of Qubes' GUI handshake (frontends/gui_agent.h).
FRONTEND_SRCS += frontends/gui_agent.c
$(FRONTEND_LIB): $(BUILD)/obj/frontends/gui_agent.o
INSTALL_HEADERS += frontends/gui_agent.h
