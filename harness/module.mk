# harness/: the splitbed command, one list of its sources (harness/qubes.mk
# adds the Qubes parts).  harness/run/ is `splitbed run`.
HARNESS_SRCS := harness/main.c harness/layout.c harness/statedir.c harness/daemons.c \
  harness/sim.c harness/toolstack.c harness/xs_batch.c harness/libxl_userdata.c \
  harness/xlu_lib.c harness/guest_env.c harness/xen_view.c harness/xl_call.c \
  harness/vdev.c harness/disk_spec.c harness/vif_spec.c harness/fault_spec.c harness/devices.c \
  harness/cmd_hv.c harness/cmd_exec.c harness/cmd_domain.c harness/cmd_replay.c \
  harness/cmd_hotplug.c harness/cmd_fault.c \
  harness/run/args.c harness/run/spawn.c harness/run/supervise.c harness/run/run.c \
  backends-sim/world/domain_layout.c backends-sim/procdom/procdom.c

# libxlutil is loaded when something is parsed (xlu_lib.h), by the soname
# linking it would have recorded.
XLU_SONAME := $(shell readelf -d "$$($(CC) -print-file-name=libxlutil.so)" 2>/dev/null | \
  sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
$(OBJ)/harness/xlu_lib.o: CPPFLAGS += $(if $(XLU_SONAME),-DXLU_SONAME='"$(XLU_SONAME)"')

$(BUILD)/bin/splitbed: $(patsubst %.c,$(OBJ)/%.o,$(HARNESS_SRCS)) $(BUILD)/lib/libsplitbed-hvctl.a
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ -lxenstore -ldl -lpthread

ifneq ($(wildcard backends-sim/hv/hvctl.h),)
ALL_TARGETS += $(BUILD)/bin/splitbed
INSTALL_BIN += $(BUILD)/bin/splitbed
endif

# Manual pages: one scdoc source per page in harness/man/.
MAN1_PAGES := $(patsubst harness/man/%.scd,$(BUILD)/share/man/man1/%,$(wildcard harness/man/*.1.scd))
$(BUILD)/share/man/man1/%: harness/man/%.scd
	@mkdir -p $(@D)
	scdoc < $< > $@.tmp && mv $@.tmp $@
# The hot-plug commands share one page; each name is an alias of it.
MAN1_ALIASES := $(addprefix $(BUILD)/share/man/man1/splitbed-,$(addsuffix .1,block-attach \
  block-detach block-list network-attach network-detach network-list))
$(MAN1_ALIASES):
	@mkdir -p $(@D)
	echo '.so man1/splitbed-hotplug.1' > $@
ALL_TARGETS += $(MAN1_PAGES) $(MAN1_ALIASES)
INSTALL_MAN1 += $(MAN1_PAGES) $(MAN1_ALIASES)

# The first process of a domain `splitbed run` starts: answers the
# toolstack's control/shutdown as a Linux guest does, then runs the app.
GUEST_INIT_BIN = $(BUILD)/libexec/splitbed/splitbed-guest-init
$(GUEST_INIT_BIN): $(OBJ)/harness/guest_init.o $(OBJ)/backends-sim/procdom/procdom.o
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ -lxenstore -lxencall
ALL_TARGETS += $(GUEST_INIT_BIN)
INSTALL_LIBEXEC += $(GUEST_INIT_BIN)
