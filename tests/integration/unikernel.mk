# The unikernel images as a PVH loader sees them (ELF note, QEMU boot).
# Depends on the images, so `make all` (and `make test`) builds them too.
$(BUILD)/tests/test_unikernel_image: $$(OBJ)/tests/integration/test_unikernel_image.o \
    $$(OBJ)/tests/lib/runproc.o | $$(UNIKERNEL_IMAGES)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(CHECK_LIBS)
INTEGRATION_TESTS += $(BUILD)/tests/test_unikernel_image
