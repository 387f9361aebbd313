# vchan: libxenvchan's shared-ring byte stream, both ends (frontends/vchan.h).
FRONTEND_SRCS += frontends/vchan.c
INSTALL_HEADERS += frontends/vchan.h

# vchan-stream: a seeded byte stream each way over one vchan, either end.
GUEST_APPS += vchan-stream
APP_SRCS_vchan-stream := frontends/apps/vchan_stream.c
FREESTANDING_SRCS += frontends/apps/vchan_stream.c
