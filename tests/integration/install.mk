# make install into a DESTDIR, then the installed tree used as a user would.
$(BUILD)/tests/test_install: $(OBJ)/tests/integration/test_install.o $(OBJ)/tests/lib/runproc.o $(OBJ)/tests/lib/scratch.o
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(CHECK_LIBS)
INTEGRATION_TESTS += $(BUILD)/tests/test_install
