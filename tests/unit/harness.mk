# Unit tests of the splitbed command's parsers.
$(BUILD)/tests/test_harness_specs: $(OBJ)/tests/unit/test_harness_specs.o $(OBJ)/harness/vdev.o \
    $(OBJ)/harness/disk_spec.o $(OBJ)/harness/vif_spec.o $(OBJ)/harness/xlu_lib.o \
    $(OBJ)/tests/lib/runproc.o
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ -ldl -lpthread $(CHECK_LIBS)
UNIT_TESTS += $(BUILD)/tests/test_harness_specs
