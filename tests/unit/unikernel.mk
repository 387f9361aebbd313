# The unikernel's xenstore client, formatter and string helpers, in a
# Linux process against a scripted xenstored (no hypercalls involved).
UK_HOSTED_SRCS := frontends/os/unikernel/xenstore.c frontends/os/unikernel/fmt.c \
	frontends/os/unikernel/strings.c
$(BUILD)/tests/test_uk_xenstore: $(OBJ)/tests/unit/test_uk_xenstore.o \
    $(patsubst %.c,$(OBJ)/%.o,$(UK_HOSTED_SRCS))
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(CHECK_LIBS)
UNIT_TESTS += $(BUILD)/tests/test_uk_xenstore
