# Unit tests of the simulated hypervisor core, on its in-process host
# (heap memory, recording).  Other modules' products are named with $$$$(...) in the rule,
# so they are read when the rule runs, not at include time.
HV_UNIT_TESTS := test_hv_gnttab test_hv_evtchn test_hv_domain

define hv_unit_test_rule
$(BUILD)/tests/$(1): $$$$(OBJ)/tests/unit/$(1).o $$$$(patsubst %.c,$$$$(OBJ)/%.o,$$$$(HVHOST_SRCS)) $$$$(HV_CORE_LIB)
	@mkdir -p $$(@D)
	$$(CC) $$(LDFLAGS) -o $$@ $$^ $$(CHECK_LIBS)
UNIT_TESTS += $(BUILD)/tests/$(1)
endef
$(foreach t,$(HV_UNIT_TESTS),$(eval $(call hv_unit_test_rule,$(t))))
