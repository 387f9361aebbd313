# Unit tests of the simulated hypervisor core, on its in-process host.
HV_UNIT_TESTS := test_hv_gnttab test_hv_evtchn test_hv_domain

define hv_unit_test_rule
$(BUILD)/tests/$(1): $(OBJ)/tests/unit/$(1).o $(HV_CORE_LIB)
	@mkdir -p $$(@D)
	$$(CC) $$(LDFLAGS) -o $$@ $$< $(HV_CORE_LIB) $$(CHECK_LIBS)
UNIT_TESTS += $(BUILD)/tests/$(1)
endef
$(foreach t,$(HV_UNIT_TESTS),$(eval $(call hv_unit_test_rule,$(t))))
