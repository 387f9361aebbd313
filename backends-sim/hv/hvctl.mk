# hvctl: the splitbed CLI's client of splitbed-hvd (static archive).
HVCTL_SRCS := backends-sim/hv/hvctl.c backends-sim/hv/wire/packet.c
HVCTL_LIB := $(BUILD)/lib/libsplitbed-hvctl.a

$(HVCTL_LIB): $(patsubst %.c,$(OBJ)/%.o,$(HVCTL_SRCS))
	@mkdir -p $(@D)
	rm -f $@; ar rcs $@ $^

ALL_TARGETS += $(HVCTL_LIB)
