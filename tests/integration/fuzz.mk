# Every fuzz corpus replayed through its target built without an engine
# (the replay binaries are listed in the top Makefile, once every module
# has named its fuzz targets).
$(OBJ)/tests/integration/test_fuzz_corpora.o: CPPFLAGS += -DSPLITBED_SRCDIR_DEFAULT='"$(CURDIR)"'
$(BUILD)/tests/test_fuzz_corpora: $(OBJ)/tests/integration/test_fuzz_corpora.o $(OBJ)/tests/lib/runproc.o
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(CHECK_LIBS)
INTEGRATION_TESTS += $(BUILD)/tests/test_fuzz_corpora
