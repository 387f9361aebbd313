# dom0's side of a Qubes VM on the simulator: splitbed-qubesdb, splitbed-qrexec,
# splitbed-guid.
QUBESDB_DAEMON := $(BUILD)/libexec/splitbed/splitbed-qubesdb
$(QUBESDB_DAEMON): $(OBJ)/backends-sim/qubes/qubesdb_daemon.o $(OBJ)/backends-sim/qubes/qubesdb_vm.o \
    $(OBJ)/backends-sim/qubes/dom0_daemon.o $(FRONTEND_LIB) $(OS_LINUX_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(FRONTEND_LIB) $(OS_LINUX_LIB) $(FRONTEND_LIB) $(OS_LINUX_LDLIBS)
ALL_TARGETS += $(QUBESDB_DAEMON)
INSTALL_LIBEXEC += $(QUBESDB_DAEMON)

# splitbed-qrexec: dom0's qrexec daemon for one VM.
QREXEC_DAEMON := $(BUILD)/libexec/splitbed/splitbed-qrexec
$(QREXEC_DAEMON): $(OBJ)/backends-sim/qubes/qrexec_daemon.o $(OBJ)/backends-sim/qubes/qrexec_vm.o $(OBJ)/backends-sim/qubes/dom0_daemon.o \
    $(OBJ)/backends-sim/qubes/qrexec_policy.o $(OBJ)/backends-sim/qubes/qrexec_service.o \
    $(FRONTEND_LIB) $(OS_LINUX_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(FRONTEND_LIB) $(OS_LINUX_LIB) $(FRONTEND_LIB) $(OS_LINUX_LDLIBS)
ALL_TARGETS += $(QREXEC_DAEMON)
INSTALL_LIBEXEC += $(QREXEC_DAEMON)

# splitbed-guid: a stand-in for dom0's GUI daemon (handshake, then a log).
GUID_DAEMON := $(BUILD)/libexec/splitbed/splitbed-guid
$(GUID_DAEMON): $(OBJ)/backends-sim/qubes/gui_daemon.o $(OBJ)/backends-sim/qubes/dom0_daemon.o $(FRONTEND_LIB) $(OS_LINUX_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(FRONTEND_LIB) $(OS_LINUX_LIB) $(FRONTEND_LIB) $(OS_LINUX_LDLIBS)
ALL_TARGETS += $(GUID_DAEMON)
INSTALL_LIBEXEC += $(GUID_DAEMON)
