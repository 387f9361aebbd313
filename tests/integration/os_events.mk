# The Linux OS layer's event path against splitbed-hvd: an event raised
# while nobody waits is reported after the next wait, never lost.
$(BUILD)/tests/os-event-guest: $(OBJ)/tests/integration/os_event_guest.o $(OS_LINUX_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $< $(OS_LINUX_LIB) $(OS_LINUX_LDLIBS)

$(BUILD)/tests/test_os_events: $(OBJ)/tests/integration/test_os_events.o \
    $(OBJ)/tests/lib/runproc.o $(OBJ)/tests/lib/scratch.o | $(BUILD)/tests/os-event-guest
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(CHECK_LIBS)
INTEGRATION_TESTS += $(BUILD)/tests/test_os_events
