# splitbed — top-level build.  Non-recursive: every folder that builds
# something has a module.mk (or several NAME.mk) included below, which appends to the lists
# declared here.  Outputs mirror the install layout under $(BUILD):
#   bin/  lib/splitbed/  libexec/splitbed/  tests/  bench/  fuzz/
# so a program finds its siblings the same way built and installed.

CC      ?= cc
SAN     ?=
ifeq ($(SAN),1)
BUILD   ?= build-san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
else
BUILD   ?= build
SANFLAGS :=
endif
PREFIX  ?= /usr/local
DESTDIR ?=

WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter
CFLAGS   ?= -O2 -g
ALL_CFLAGS = -std=gnu11 $(WARN) $(CFLAGS) $(SANFLAGS) -fPIC -D_GNU_SOURCE -MMD -MP
CPPFLAGS += -I. -Ifrontends
LDFLAGS  += $(SANFLAGS)
CHECK_LIBS := $(shell pkg-config --libs check 2>/dev/null || echo -lcheck -lsubunit -lm -lrt -lpthread)

# Lists the modules append to.
ALL_TARGETS :=          # built by `make all`
UNIT_TESTS :=           # Check binaries, no daemons needed
INTEGRATION_TESTS :=    # Check binaries that run real processes
BENCHES :=              # programs run by `make bench`
FUZZERS :=              # libFuzzer targets (name, source list in FUZZ_SRCS_name)
FREESTANDING_SRCS :=    # portable sources that must build with -ffreestanding
INSTALL_BIN :=          # -> $(PREFIX)/bin
INSTALL_LIB :=          # -> $(PREFIX)/lib/splitbed (drop-in libraries)
INSTALL_LIBEXEC :=      # -> $(PREFIX)/libexec/splitbed (backends, guest apps)
INSTALL_HEADERS :=      # -> $(PREFIX)/include/splitbed
INSTALL_ARCHIVES :=     # -> $(PREFIX)/lib (static libraries for programs of users)
INSTALL_MAN1 :=         # -> $(PREFIX)/share/man/man1

DEMO_CONFIG ?= fixtures/scenarios/qubes-hello.cfg
# The builds inside run/test/test-san use every core.
NPROC := $(shell nproc 2>/dev/null || echo 2)

.PHONY: format format-check run all test-bins test build-order-check mutants unit-test integration-test test-san bench fuzz fuzz-build fuzz-list fuzz-bench coverage freestanding install clean deps
all:

OBJ := $(BUILD)/obj
# Archives several modules add objects to (rules in frontends/module.mk).
FRONTEND_LIB := $(BUILD)/lib/libsplitbed-frontends.a
OS_LINUX_LIB := $(BUILD)/lib/libsplitbed-os-linux.a

# A rule whose prerequisites name another module's list writes them as
# $$(LIST): expanded once every module has been read, so no module depends
# on the order they are included in.
.SECONDEXPANSION:
# MODULE_ORDER=reverse reads them last to first
# (make build-order-check proves both orders build the same).
MODULES := $(sort $(filter-out mk/%,$(wildcard */*.mk */*/*.mk */*/*/*.mk)))
reverse = $(if $(1),$(call reverse,$(wordlist 2,$(words $(1)),$(1))) $(firstword $(1)))
ifeq ($(MODULE_ORDER),reverse)
MODULES := $(strip $(call reverse,$(MODULES)))
else ifneq ($(MODULE_ORDER),)
$(error MODULE_ORDER=$(MODULE_ORDER): not "reverse" or empty)
endif
include $(MODULES)
# Several modules append to these: sorted, the commands they reach do not
# depend on the order the modules were read in.
FRONTEND_SRCS := $(sort $(FRONTEND_SRCS))
# Archives and guest apps are made once every module has listed its sources.
$(FRONTEND_LIB): $(patsubst %.c,$(OBJ)/%.o,$(FRONTEND_SRCS))
	@mkdir -p $(@D)
	rm -f $@; ar rcs $@ $^

$(OS_LINUX_LIB): $(patsubst %.c,$(OBJ)/%.o,$(OS_LINUX_SRCS))
	@mkdir -p $(@D)
	rm -f $@; ar rcs $@ $^

$(foreach a,$(GUEST_APPS),$(eval $(call guest_app_rule,$(a))))
FREESTANDING_SRCS := $(sort $(FREESTANDING_SRCS) $(FRONTEND_SRCS))

$(OBJ)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(CPPFLAGS) -c $< -o $@

all: $(ALL_TARGETS) $(UNIT_TESTS) $(INTEGRATION_TESTS)

# Every program the tests and the benches run, built and not run.
test-bins: $(UNIT_TESTS) $(INTEGRATION_TESTS) $(FUZZ_REPLAYS) $(BENCHES)

deps:
	@sh mk/deps.sh

# The README's first command: the seed scenario on the embedded simulator.
run: deps
	$(MAKE) -j$(NPROC) all
	$(BUILD)/bin/splitbed run --config $(DEMO_CONFIG) -- qubes-hello hello.txt

# The README's test command.  Check prints each suite's summary;
# tests/run-checks.sh adds the plain total line at the end.
test: deps format-check build-order-check
	$(MAKE) -j$(NPROC) all
	$(MAKE) freestanding unikernel
	sh tests/run-checks.sh $(BUILD) $(UNIT_TESTS) $(INTEGRATION_TESTS)

unit-test: all
	sh tests/run-checks.sh $(BUILD) $(UNIT_TESTS)

integration-test: all
	sh tests/run-checks.sh $(BUILD) $(INTEGRATION_TESTS)

# The same tests under AddressSanitizer + UBSan, in their own build tree.
test-san: deps
	$(MAKE) -j$(NPROC) SAN=1 CC=clang all
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
	  sh tests/run-checks.sh build-san $(patsubst $(BUILD)/%,build-san/%,$(UNIT_TESTS) $(INTEGRATION_TESTS))

# Mutation testing (tests/mutants/README.md): each curated mutant planted
# in a scratch copy, rebuilt, and run against its tests.  MUTANTS="a b"
# runs some; MUTANTS_OPTS=--quick skips the full run for survivors.
mutants: all
	python3 tests/mutants/run.py --build $(BUILD) --jobs $(NPROC) $(MUTANTS_OPTS) \
	  --all-tests "$(notdir $(UNIT_TESTS) $(INTEGRATION_TESTS))" $(MUTANTS)

# Each bench program prints its figures and appends them to results.jsonl;
# tests/bench/collect writes results.json (figures, baselines, ratios, goals,
# machine) and ratios.svg.  tests/bench/compare A.json B.json sets two runs side by side.
bench: all $(BENCHES)
	@mkdir -p $(BUILD)/bench; rm -f $(BUILD)/bench/results.jsonl
	@for b in $(BENCHES); do echo "== $$b"; \
	  SPLITBED_BUILD=$(BUILD) SPLITBED_BENCH_RESULTS=$(BUILD)/bench/results.jsonl SPLITBED_GNTALLOC_LIMIT=65536 $$b || exit 1; done
	@python3 tests/bench/collect $(BUILD)/bench/results.jsonl $(BUILD)/bench

# One house style (.clang-format): `make format` rewrites, `make format-check`
# (part of `make test`) names every file that differs.
FORMAT_FILES = $(shell git ls-files '*.c' '*.h' 2>/dev/null || find frontends backends-sim harness tests -name '*.[ch]')
format:
	clang-format -i $(FORMAT_FILES)

format-check:
	@bad=$$(for f in $(FORMAT_FILES); do clang-format --dry-run -Werror $$f >/dev/null 2>&1 || echo $$f; done); \
	if [ -n "$$bad" ]; then echo "format-check: not in the house style (make format):" $$bad >&2; exit 1; fi; \
	echo "format-check: $(words $(FORMAT_FILES)) files in the house style"

# The modules' order, proven irrelevant: every command and prerequisite
# of `make -p -n -B` (tests/build-order-check.py) is the same with them
# read in reverse.
build-order-check:
	@python3 tests/build-order-check.py $(MAKE)

# The include rule, proven: no file under frontends/ names a header of
# backends-sim/ or harness/, and the portable sources compile with
# -Ifrontends alone (no -I. through which such a path would resolve) and
# -nostdinc: besides their own folder they see only the compiler's own
# headers (stddef, stdint, stdbool...) and the Xen public headers, staged
# alone so that libc's headers in $(XEN_INCLUDE) stay out of sight.
XEN_INCLUDE ?= /usr/include
FREESTANDING_CC_INCLUDE = $(shell $(CC) -print-file-name=include)
freestanding:
	@bad=$$(grep -rlE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"(backends-sim|harness)/' frontends); \
	if [ -n "$$bad" ]; then echo "freestanding: frontends/ includes backends-sim/ or harness/:" $$bad >&2; exit 1; fi
	@mkdir -p $(BUILD)/freestanding-include && ln -sfn $(XEN_INCLUDE)/xen $(BUILD)/freestanding-include/xen
	@set -e; for f in $(FREESTANDING_SRCS); do \
	  echo "freestanding: $$f"; \
	  $(CC) -std=gnu11 $(WARN) -O2 -ffreestanding -fno-builtin -nostdlib -DSPLITBED_FREESTANDING \
	    -nostdinc -isystem $(FREESTANDING_CC_INCLUDE) -isystem $(BUILD)/freestanding-include \
	    -Ifrontends -c $$f -o /dev/null; done

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/splitbed \
	  $(DESTDIR)$(PREFIX)/libexec/splitbed $(DESTDIR)$(PREFIX)/include/splitbed \
	  $(DESTDIR)$(PREFIX)/lib/pkgconfig
	$(if $(INSTALL_BIN),install -m 755 $(INSTALL_BIN) $(DESTDIR)$(PREFIX)/bin/)
	$(if $(INSTALL_LIB),cp -P $(INSTALL_LIB) $(DESTDIR)$(PREFIX)/lib/splitbed/)
	$(if $(INSTALL_LIBEXEC),install -m 755 $(INSTALL_LIBEXEC) $(DESTDIR)$(PREFIX)/libexec/splitbed/)
	$(if $(INSTALL_HEADERS),install -m 644 $(INSTALL_HEADERS) $(DESTDIR)$(PREFIX)/include/splitbed/)
	$(if $(INSTALL_ARCHIVES),install -m 644 $(INSTALL_ARCHIVES) $(DESTDIR)$(PREFIX)/lib/)
	$(if $(INSTALL_MAN1),install -d $(DESTDIR)$(PREFIX)/share/man/man1)
	$(if $(INSTALL_MAN1),install -m 644 $(INSTALL_MAN1) $(DESTDIR)$(PREFIX)/share/man/man1/)
	sed -e 's|@PREFIX@|$(PREFIX)|g' mk/splitbed.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/splitbed.pc

clean:
	rm -rf build build-san build-fuzz build-cov build-afl

# (not the sources test-qubes unpacks under $(BUILD)/qubes)
-include $(shell find $(BUILD) -path $(BUILD)/qubes -prune -o -name '*.d' -print 2>/dev/null)

# libFuzzer targets: a module adds NAME to FUZZERS and sets FUZZ_SRCS_NAME
# (sources) and FUZZ_CORPUS_NAME (seed folder); FUZZ_IGNORE_NAME names
# more code left out of coverage feedback (an ignorelist), FUZZ_FLAGS_NAME
# more compiler flags.  Built with clang in build-fuzz/; `make fuzz` runs
# each briefly on its corpus.
FUZZ_SECONDS ?= 15
FUZZ_CFLAGS = -std=gnu11 $(WARN) -O1 -g -D_GNU_SOURCE -DSPLITBED_FUZZ -fsanitize=fuzzer,address,undefined \
  -fsanitize-coverage-ignorelist=tests/fuzz/scaffolding.ignore -I. -Ifrontends
define fuzz_rule
build-fuzz/$(1): $$(FUZZ_SRCS_$(1)) tests/fuzz/scaffolding.ignore $$(FUZZ_IGNORE_$(1))
	@mkdir -p build-fuzz
	clang $$(FUZZ_CFLAGS) $$(addprefix -fsanitize-coverage-ignorelist=,$$(FUZZ_IGNORE_$(1))) \
	  $$(FUZZ_FLAGS_$(1)) $$(FUZZ_SRCS_$(1)) -o $$@ $$(FUZZ_LIBS_$(1))
endef
$(foreach f,$(FUZZERS),$(eval $(call fuzz_rule,$(f))))

fuzz-build: $(addprefix build-fuzz/,$(FUZZERS))

# One line per target, "NAME SOURCES | LIBS", for builds outside make
# (.clusterfuzzlite/build.sh).
fuzz-list:
	@$(foreach f,$(FUZZERS),echo '$(f) $(FUZZ_SRCS_$(f)) | $(FUZZ_LIBS_$(f))';)

# The same targets without a fuzzing engine (tests/fuzz/corpus_main.c), in
# $(BUILD) with its compiler and sanitizers: `make test` replays every
# corpus through them (tests/integration/test_fuzz_corpora.c).
define fuzz_replay_rule
$(BUILD)/fuzz-replay/$(1): $$(FUZZ_SRCS_$(1)) tests/fuzz/corpus_main.c
	@mkdir -p $$(@D)
	$$(CC) -std=gnu11 $$(WARN) $$(CFLAGS) $$(SANFLAGS) -D_GNU_SOURCE -DSPLITBED_FUZZ -I. -Ifrontends \
	  $$(FUZZ_SRCS_$(1)) tests/fuzz/corpus_main.c -o $$@ $$(FUZZ_LIBS_$(1))
endef
$(foreach f,$(FUZZERS),$(eval $(call fuzz_replay_rule,$(f))))
FUZZ_REPLAYS = $(addprefix $(BUILD)/fuzz-replay/,$(FUZZERS))
$(BUILD)/tests/test_fuzz_corpora: $(FUZZ_REPLAYS)

# make coverage: the same targets with clang's source-based coverage (no
# sanitizers), each corpus replayed once, report under build/coverage/.
COV_CFLAGS = -std=gnu11 $(WARN) -O1 -g -D_GNU_SOURCE -DSPLITBED_FUZZ -fsanitize=fuzzer \
  -fprofile-instr-generate -fcoverage-mapping -I. -Ifrontends
define cov_rule
build-cov/$(1): $$(FUZZ_SRCS_$(1))
	@mkdir -p build-cov
	clang $$(COV_CFLAGS) $$(FUZZ_SRCS_$(1)) -o $$@ $$(FUZZ_LIBS_$(1))
endef
$(foreach f,$(FUZZERS),$(eval $(call cov_rule,$(f))))

coverage: $(addprefix build-cov/,$(FUZZERS))
	@sh tests/fuzz/coverage.sh build-cov $(FUZZERS)

# make fuzz-bench: injected bugs, each variant fuzzed for FUZZ_BENCH_SECONDS
# on one core (tests/fuzz/bench.sh); FUZZ_BENCH_BUGS="a b" for some.
FUZZ_BENCH_SECONDS ?= 60
fuzz-bench: $(addprefix build-fuzz/,$(FUZZERS))
	@sh tests/fuzz/bench.sh $(FUZZ_BENCH_SECONDS) $(FUZZ_BENCH_BUGS)

# ENGINE=afl: the same targets built with AFL++ (afl-clang-fast and its
# libFuzzer driver) into build-afl/ and run under afl-fuzz.
ENGINE ?= libfuzzer
AFL_CFLAGS = -std=gnu11 $(WARN) -O1 -g -D_GNU_SOURCE -DSPLITBED_FUZZ -fsanitize=fuzzer,address,undefined \
  -I. -Ifrontends
define afl_rule
build-afl/$(1): $$(FUZZ_SRCS_$(1))
	@mkdir -p build-afl
	AFL_QUIET=1 afl-clang-fast $$(AFL_CFLAGS) $$(FUZZ_SRCS_$(1)) -o $$@ $$(FUZZ_LIBS_$(1))
endef
$(foreach f,$(FUZZERS),$(eval $(call afl_rule,$(f))))

ifeq ($(ENGINE),afl)
fuzz: $(addprefix build-afl/,$(FUZZERS))
	@set -e; for f in $(FUZZERS); do \
	  sh tests/fuzz/run-afl.sh build-afl/$$f $(FUZZ_SECONDS); done
else
fuzz: fuzz-build
	@set -e; for f in $(FUZZERS); do \
	  sh tests/fuzz/run-one.sh build-fuzz/$$f $(FUZZ_SECONDS); done
endif
