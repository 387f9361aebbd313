# Integration tests of splitbed-xenstored: the real daemon, Debian's
# xenstore tools, Xen's test-xenstore, raw wire clients.
XS_INT_TESTS := test_xenstored_tools test_xenstored_wire
XS_INT_OBJS := $(OBJ)/tests/integration/test_xenstored_daemon.o $(OBJ)/tests/lib/runproc.o

define xs_int_test_rule
$(BUILD)/tests/$(1): $(OBJ)/tests/integration/$(1).o $(XS_INT_OBJS) | $(XENSTORED_BIN)
	@mkdir -p $$(@D)
	$$(CC) $$(LDFLAGS) -o $$@ $$< $(XS_INT_OBJS) $$(CHECK_LIBS)
INTEGRATION_TESTS += $(BUILD)/tests/$(1)
endef
$(foreach t,$(XS_INT_TESTS),$(eval $(call xs_int_test_rule,$(t))))
