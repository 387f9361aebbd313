# Block I/O through blkfront and blkback beside pread and eventfd baselines.
$(BUILD)/bench/bench_blk: $(OBJ)/tests/bench/bench_blk.o $(OBJ)/tests/lib/runproc.o \
    $(OBJ)/tests/bench/bench_result.o
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^
BENCHES += $(BUILD)/bench/bench_blk
