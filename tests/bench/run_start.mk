# make bench: `splitbed run` start to the guest app's start.
$(BUILD)/bench/bench_run_start: $(OBJ)/tests/bench/bench_run_start.o \
    $(OBJ)/tests/bench/bench_result.o
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^
BENCHES += $(BUILD)/bench/bench_run_start
