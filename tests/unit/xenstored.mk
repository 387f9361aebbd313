# Unit tests of the xenstore core, through the in-process client.
XS_UNIT_TESTS := test_xs_ops test_xs_perms test_xs_watch test_xs_txn test_xs_quota

define xs_unit_test_rule
$(BUILD)/tests/$(1): $$$$(OBJ)/tests/unit/$(1).o $$$$(XS_LIB)
	@mkdir -p $$(@D)
	$$(CC) $$(LDFLAGS) -o $$@ $$< $$(XS_LIB) $$(CHECK_LIBS)
UNIT_TESTS += $(BUILD)/tests/$(1)
endef
$(foreach t,$(XS_UNIT_TESTS),$(eval $(call xs_unit_test_rule,$(t))))
