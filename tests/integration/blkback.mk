# blkback against the real simulator: splitbed-hvd, splitbed-xenstored,
# the drop-in libraries, and a raw frontend that can misbehave on purpose.
BLKBACK_FRONT = $(BUILD)/tests/blkback-front

$(BLKBACK_FRONT): $(OBJ)/tests/integration/blkback_front.o
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ -lxengnttab -lxenevtchn -lxenstore

ALL_TARGETS += $(BLKBACK_FRONT)

$(BUILD)/tests/test_blkback_daemon: $$(OBJ)/tests/integration/test_blkback_daemon.o $$(OBJ)/tests/lib/runproc.o \
    $$(OBJ)/tests/lib/scratch.o | $$(BLKBACK_FRONT) $$(BLKBACK_BIN)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $(OBJ)/tests/integration/test_blkback_daemon.o $(OBJ)/tests/lib/runproc.o \
	  $(OBJ)/tests/lib/scratch.o $(CHECK_LIBS) -lxenstore

ifneq ($(wildcard backends-sim/hv/hvctl.h),)
INTEGRATION_TESTS += $(BUILD)/tests/test_blkback_daemon
endif
