# tar-ls and tar-cat through `splitbed run`, over every fixture archive.
$(OBJ)/tests/integration/test_tar_apps.o: CPPFLAGS += -DSPLITBED_SRCDIR_DEFAULT='"$(CURDIR)"'
$(BUILD)/tests/test_tar_apps: $(OBJ)/tests/integration/test_tar_apps.o $(OBJ)/tests/lib/runproc.o $(OBJ)/tests/lib/scratch.o
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(CHECK_LIBS)
INTEGRATION_TESTS += $(BUILD)/tests/test_tar_apps
