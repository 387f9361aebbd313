# make bench: tar-cat of a 64 MiB member beside GNU tar -xOf.
$(BUILD)/bench/bench_tar_cat: $(OBJ)/tests/bench/bench_tar_cat.o $(OBJ)/tests/lib/runproc.o \
    $(OBJ)/tests/bench/bench_result.o
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^
BENCHES += $(BUILD)/bench/bench_tar_cat
