# Integration tests of splitbed-xenstored: the real daemon, Debian's
# xenstore tools, Xen's test-xenstore, raw wire clients.
XS_INT_TESTS := test_xenstored_tools test_xenstored_wire
XS_INT_OBJS := $(OBJ)/tests/integration/test_xenstored_daemon.o $(OBJ)/tests/lib/runproc.o \
  $(OBJ)/tests/lib/scratch.o

define xs_int_test_rule
$(BUILD)/tests/$(1): $$$$(OBJ)/tests/integration/$(1).o $$$$(XS_INT_OBJS) | $$$$(XENSTORED_BIN)
	@mkdir -p $$(@D)
	$$(CC) $$(LDFLAGS) -o $$@ $$< $$(XS_INT_OBJS) $$(CHECK_LIBS)
INTEGRATION_TESTS += $(BUILD)/tests/$(1)
endef
$(foreach t,$(XS_INT_TESTS),$(eval $(call xs_int_test_rule,$(t))))

# splitbed-xenstored beside Debian's C xenstored 4.17, answer by answer:
# the reference runs under an LD_PRELOAD shim of our own (tests/xsref/).
XSREF_SHIM := $(BUILD)/tests/xsref_shim.so
$(XSREF_SHIM): tests/xsref/xsref_shim.c
	@mkdir -p $(@D)
	$(CC) -std=gnu11 $(WARN) $(CFLAGS) -shared -fPIC -D_GNU_SOURCE -o $@ $< -ldl

XS_DIFF_OBJS := $(OBJ)/tests/integration/test_xs_diff.o $(XS_INT_OBJS) \
  $(OBJ)/tests/lib/xsdiff.o $(OBJ)/tests/lib/xsref.o
$(BUILD)/tests/test_xs_diff: $$(XS_DIFF_OBJS) | $$(XENSTORED_BIN) $$(XSREF_SHIM)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $(XS_DIFF_OBJS) $(CHECK_LIBS)
INTEGRATION_TESTS += $(BUILD)/tests/test_xs_diff
ALL_TARGETS += $(XSREF_SHIM)
