# dom0's side of a Qubes VM on the simulator: splitbed-qubesdb.
QUBESDB_DAEMON := $(BUILD)/libexec/splitbed/splitbed-qubesdb
$(QUBESDB_DAEMON): $(OBJ)/backends-sim/qubes/qubesdb_daemon.o $(FRONTEND_LIB) $(OS_LINUX_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $< $(FRONTEND_LIB) $(OS_LINUX_LIB) $(FRONTEND_LIB) $(OS_LINUX_LDLIBS)
ALL_TARGETS += $(QUBESDB_DAEMON)
INSTALL_LIBEXEC += $(QUBESDB_DAEMON)
