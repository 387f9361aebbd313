# make bench: what splitbed-hvd and the drop-in libraries cost a process.
# Linked against the real libraries' names; RUNPATH finds ours first.
$(BUILD)/bench/bench_hv: $$(OBJ)/tests/bench/bench_hv.o $$(OBJ)/tests/bench/bench_result.o $$(HVCTL_LIB) | $$(BUILD)/bin/splitbed-hvd \
    $$(LIBXEN_DIR)/libxengnttab.so.1 $$(LIBXEN_DIR)/libxenevtchn.so.1
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $< $(OBJ)/tests/bench/bench_result.o $(HVCTL_LIB) -Wl,--enable-new-dtags,-rpath,'$$ORIGIN/../lib/splitbed' \
	  -lxengnttab -lxenevtchn
BENCHES += $(BUILD)/bench/bench_hv
