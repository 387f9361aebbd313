# The request recorder of blkback and netback, end to end: guests under
# `splitbed run` with recording on, the folders replayed through the fuzz
# targets built without an engine.
$(OBJ)/tests/integration/test_record.o: CPPFLAGS += -DSPLITBED_SRCDIR_DEFAULT='"$(CURDIR)"'
$(BUILD)/tests/test_record: $(OBJ)/tests/integration/test_record.o $(OBJ)/tests/lib/runproc.o $(OBJ)/tests/lib/scratch.o \
    | $(BUILD)/fuzz-replay/fuzz_blkback_req $(BUILD)/fuzz-replay/fuzz_netback_tx
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(CHECK_LIBS)
INTEGRATION_TESTS += $(BUILD)/tests/test_record
