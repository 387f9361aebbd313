# dom0's reading of a VM's qrexec trigger and its allow list.
$(BUILD)/tests/test_qrexec_policy: $(OBJ)/tests/unit/test_qrexec_policy.o \
    $(OBJ)/backends-sim/qubes/qrexec_policy.o
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(CHECK_LIBS)
UNIT_TESTS += $(BUILD)/tests/test_qrexec_policy

# vchan and a QubesDB client between world homes of os.h (grant maps,
# interdomain binds, unmap notifications in the in-process world).
$(BUILD)/tests/test_world_vchan: $$(OBJ)/tests/unit/test_world_vchan.o $$(OBJ)/frontends/vchan.o \
    $$(OBJ)/frontends/qubesdb.o $$(OBJ)/frontends/qubesdb_proto.o $$(OBJ)/frontends/qubesdb_store.o \
    $$(OBJ)/frontends/qubesdb_link.o $$(WORLD_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(CHECK_LIBS)
UNIT_TESTS += $(BUILD)/tests/test_world_vchan
