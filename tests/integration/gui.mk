# The GUI handshake: splitbed-guid against VMs that break the protocol
# (tests/gui-hostile).  ($$(QUBES_SIM_OBJS): qubes_sim.mk is read after this
# file; prerequisites are expanded a second time.)
$(BUILD)/tests/gui-hostile: $(OBJ)/tests/integration/gui_hostile.o \
    $(OBJ)/tests/integration/hostile_peer.o $(FRONTEND_LIB) $(OS_LINUX_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(OS_LINUX_LIB) $(FRONTEND_LIB) $(OS_LINUX_LIB) $(OS_LINUX_LDLIBS)

$(BUILD)/tests/test_gui: $(OBJ)/tests/integration/test_gui.o $$(QUBES_SIM_OBJS) | \
    $(BUILD)/tests/gui-hostile $(BUILD)/libexec/splitbed/splitbed-guid \
    $(BUILD)/bin/splitbed $(BUILD)/bin/splitbed-hvd $(BUILD)/bin/splitbed-xenstored \
    $$(LIBXEN_DIR)/libxengnttab.so.1 $$(LIBXEN_DIR)/libxenevtchn.so.1
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $< $(QUBES_SIM_OBJS) $(CHECK_LIBS)
INTEGRATION_TESTS += $(BUILD)/tests/test_gui
