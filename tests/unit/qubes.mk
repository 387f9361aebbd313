# dom0's reading of a VM's qrexec trigger and its allow list.
$(BUILD)/tests/test_qrexec_policy: $(OBJ)/tests/unit/test_qrexec_policy.o \
    $(OBJ)/backends-sim/qubes/qrexec_policy.o
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(CHECK_LIBS)
UNIT_TESTS += $(BUILD)/tests/test_qrexec_policy
