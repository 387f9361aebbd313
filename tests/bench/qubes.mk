# make bench: vchan throughput (ours<->ours, ours<->libxenvchan) and a
# QubesDB read round trip, each beside a Unix socket doing the same.
$(BUILD)/bench/bench_qubes: $(OBJ)/tests/bench/bench_qubes.o $(OBJ)/tests/lib/runproc.o \
    $(OBJ)/tests/bench/bench_result.o | $(BUILD)/tests/vchan-peer \
    $(BUILD)/libexec/splitbed/vchan-stream $(BUILD)/libexec/splitbed/splitbed-qubesdb
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^)
BENCHES += $(BUILD)/bench/bench_qubes
