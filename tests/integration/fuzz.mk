# Every fuzz corpus replayed through its target built without an engine
# (the replay binaries are listed in the top Makefile, once every module
# has named its fuzz targets).
$(OBJ)/tests/integration/test_fuzz_corpora.o: CPPFLAGS += -DSPLITBED_SRCDIR_DEFAULT='"$(CURDIR)"'
$(BUILD)/tests/test_fuzz_corpora: $(OBJ)/tests/integration/test_fuzz_corpora.o $(OBJ)/tests/lib/runproc.o \
    $(OBJ)/tests/lib/scratch.o
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(CHECK_LIBS)
INTEGRATION_TESTS += $(BUILD)/tests/test_fuzz_corpora

# .clusterfuzzlite/build.sh as OSS-Fuzz runs it; slow, so not in make test:
# `make test-oss-fuzz` (and CI) run it.
$(OBJ)/tests/integration/test_oss_fuzz_build.o: CPPFLAGS += -DSPLITBED_SRCDIR_DEFAULT='"$(CURDIR)"'
$(BUILD)/tests/test_oss_fuzz_build: $(OBJ)/tests/integration/test_oss_fuzz_build.o $(OBJ)/tests/lib/runproc.o $(OBJ)/tests/lib/scratch.o
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(CHECK_LIBS)
ALL_TARGETS += $(BUILD)/tests/test_oss_fuzz_build

.PHONY: test-oss-fuzz
test-oss-fuzz: $(BUILD)/tests/test_oss_fuzz_build
	sh tests/run-checks.sh $(BUILD) $(BUILD)/tests/test_oss_fuzz_build
