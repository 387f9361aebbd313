# blkfront end to end: block apps under `splitbed run` against splitbed-blkback.
$(BUILD)/tests/test_blkfront_e2e: $(OBJ)/tests/integration/test_blkfront_e2e.o $(OBJ)/tests/lib/runproc.o $(OBJ)/tests/lib/scratch.o
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(CHECK_LIBS)
INTEGRATION_TESTS += $(BUILD)/tests/test_blkfront_e2e
