# make bench: net-blast through netfront -> netback -> TAP beside an
# AF_PACKET blast over a veth pair (needs root for the namespace).
$(BUILD)/bench/bench_net_blast: $(OBJ)/tests/bench/bench_net_blast.o $(OBJ)/tests/lib/runproc.o \
    $(OBJ)/tests/bench/bench_result.o
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^
BENCHES += $(BUILD)/bench/bench_net_blast
