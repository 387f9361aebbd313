# Guests on one simulator: time to start the 1st, 16th, 64th; daemon memory per domain.
$(BUILD)/bench/bench_domains: $(OBJ)/tests/bench/bench_domains.o $(OBJ)/tests/lib/runproc.o \
    $(OBJ)/tests/bench/bench_result.o
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^
ifneq ($(wildcard backends-sim/hv/hvctl.h),)
BENCHES += $(BUILD)/bench/bench_domains
endif
