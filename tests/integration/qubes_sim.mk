# The tests' private simulator and processes in its domains (qubes_sim.h),
# shared by the vchan, QubesDB and Qubes interop tests.
QUBES_SIM_OBJS := $(OBJ)/tests/integration/qubes_sim.o $(OBJ)/tests/lib/runproc.o $(OBJ)/tests/lib/scratch.o
