# The network guest apps over netfront.
GUEST_APPS += net-echo pvcat net-blast net-bridge
APP_SRCS_net-echo  := frontends/apps/net_echo.c frontends/apps/net_app.c
APP_SRCS_pvcat     := frontends/apps/pvcat.c frontends/apps/net_app.c
APP_SRCS_net-blast := frontends/apps/net_blast.c frontends/apps/net_app.c
APP_SRCS_net-bridge := frontends/apps/net_bridge.c frontends/apps/net_app.c
FREESTANDING_SRCS += frontends/apps/net_echo.c frontends/apps/net_app.c \
	frontends/apps/pvcat.c frontends/apps/net_blast.c frontends/apps/net_bridge.c
