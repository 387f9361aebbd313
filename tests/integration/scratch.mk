# The scratch fixture itself: cleanup however a test binary ends.
$(BUILD)/tests/test_scratch: $(OBJ)/tests/integration/test_scratch.o $(OBJ)/tests/lib/runproc.o $(OBJ)/tests/lib/scratch.o
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(CHECK_LIBS)
INTEGRATION_TESTS += $(BUILD)/tests/test_scratch
