# splitbed-xen-dm as libxl starts it, on the simulator (docs/real-xen.md).
$(BUILD)/tests/test_xen_dm: $(OBJ)/tests/integration/test_xen_dm.o $(OBJ)/tests/lib/runproc.o \
    $(OBJ)/tests/lib/scratch.o | $$(XENDM_BIN)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(CHECK_LIBS)

ifneq ($(wildcard backends-sim/hv/hvctl.h),)
INTEGRATION_TESTS += $(BUILD)/tests/test_xen_dm
endif
