# QubesDB on the simulator: splitbed-qubesdb in dom0, the VM's client
# (qubes-hello, qubesdb-watch) in domain 1, `splitbed qubesdb` from dom0,
# and peers that break the protocol (tests/qubesdb-hostile).
$(BUILD)/tests/qubesdb-hostile: $(OBJ)/tests/integration/qubesdb_hostile.o \
    $(OBJ)/tests/integration/hostile_peer.o $(FRONTEND_LIB) $(OS_LINUX_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(OS_LINUX_LIB) $(FRONTEND_LIB) $(OS_LINUX_LIB) $(OS_LINUX_LDLIBS)

$(BUILD)/tests/test_qubesdb: $$(OBJ)/tests/integration/test_qubesdb.o $$(QUBES_SIM_OBJS) | \
    $$(BUILD)/tests/qubesdb-hostile $$(BUILD)/libexec/splitbed/qubes-hello \
    $$(BUILD)/libexec/splitbed/qubesdb-watch $$(BUILD)/libexec/splitbed/splitbed-qubesdb \
    $$(BUILD)/libexec/splitbed/splitbed-blkback \
    $$(BUILD)/bin/splitbed $$(BUILD)/bin/splitbed-hvd $$(BUILD)/bin/splitbed-xenstored \
    $$(LIBXEN_DIR)/libxengnttab.so.1 $$(LIBXEN_DIR)/libxenevtchn.so.1
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $< $(QUBES_SIM_OBJS) $(CHECK_LIBS)
INTEGRATION_TESTS += $(BUILD)/tests/test_qubesdb
