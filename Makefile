# drydock: the one entry point.
#
#   make                 build/release/libblock.a (+ tools once they exist)
#   make check           every unit test under ASan+UBSan and under TSan, the
#                        example, interop with qemu-io, drydock-io compared
#                        with qemu-io; summary, exit != 0 on failure
#   make BUILD=<flavour> build one flavour: release asan tsan coverage
#   make CC=clang check  the same with clang
#   make fuzz            the main job: build the fuzz engines and run every
#                        target for FUZZ_TIME seconds (mk/fuzz.mk)

BUILD ?= release
CC ?= cc
ifeq ($(origin CC),default)
CC := cc
endif

IS_CLANG := $(findstring clang,$(shell $(CC) --version 2>/dev/null | head -1))
# Objects of different compilers never mix: clang builds go to build/<flavour>-clang
O := build/$(BUILD)$(if $(IS_CLANG),-clang)

WARN := -Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers \
        -Wshadow=local -Wformat=2 -Wno-format-nonliteral -Wvla
ifneq ($(IS_CLANG),)
WARN := $(filter-out -Wshadow=local,$(WARN)) -Wshadow -Wno-gnu-zero-variadic-macro-arguments
endif

BASE_CFLAGS := -std=gnu11 -g $(WARN) -Iinclude -D_GNU_SOURCE -pthread -MMD -MP
LIBS := -pthread -lz -lzstd -luring

ifeq ($(BUILD),release)
FLAVOUR_CFLAGS := -O2
else ifeq ($(BUILD),asan)
FLAVOUR_CFLAGS := -O1 -fno-omit-frame-pointer -fsanitize=address,undefined \
                  -fno-sanitize-recover=undefined -DDRYDOCK_ASAN=1
FLAVOUR_LDFLAGS := -fsanitize=address,undefined
else ifeq ($(BUILD),tsan)
FLAVOUR_CFLAGS := -O1 -fno-omit-frame-pointer -fsanitize=thread -DDRYDOCK_TSAN=1
FLAVOUR_LDFLAGS := -fsanitize=thread
else ifeq ($(BUILD),coverage)
FLAVOUR_CFLAGS := -O0 --coverage
FLAVOUR_LDFLAGS := --coverage
else
$(error Unknown BUILD flavour '$(BUILD)' (release asan tsan coverage))
endif

CFLAGS_ALL := $(BASE_CFLAGS) $(FLAVOUR_CFLAGS) $(CFLAGS)
LDFLAGS_ALL := $(FLAVOUR_LDFLAGS) $(LDFLAGS)

LIB_SRCS := $(sort $(shell find block -name '*.c'))
LIB_OBJS := $(LIB_SRCS:%.c=$(O)/%.o)
LIB := $(O)/libblock.a

UNIT_SRCS := $(sort $(wildcard tests/unit/test-*.c))
UNIT_HELPER_SRCS := $(filter-out $(UNIT_SRCS),$(wildcard tests/unit/*.c))
UNIT_HELPER_OBJS := $(UNIT_HELPER_SRCS:%.c=$(O)/%.o)
UNIT_BINS := $(UNIT_SRCS:%.c=$(O)/%)

# Keep objects that are only prerequisites of test binaries
.SECONDARY:

.PHONY: all lib unit check deps clean format examples
all: deps
	@$(MAKE) --no-print-directory lib examples tools

EXAMPLE_SRCS := $(wildcard examples/*.c)
EXAMPLE_BINS := $(EXAMPLE_SRCS:%.c=$(O)/%)
examples: $(EXAMPLE_BINS)

$(O)/examples/%: examples/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(LDFLAGS_ALL) -o $@ $< $(LIB) $(LIBS)

lib: $(LIB)

$(LIB): $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(O)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -c $< -o $@

$(O)/tests/unit/test-%: $(O)/tests/unit/test-%.o $(UNIT_HELPER_OBJS) $(LIB)
	$(CC) $(LDFLAGS_ALL) -o $@ $< $(UNIT_HELPER_OBJS) $(LIB) -lcmocka $(LIBS)

# Refused submissions are simulated: the library's io_uring_submit calls land
# in the test's __wrap_io_uring_submit
$(O)/tests/unit/test-file-uring: LDFLAGS_ALL += -Wl,--wrap=io_uring_submit
# The mem protocol's allocations are measured and made to fail in the test's
# wrappers of the g_try_* allocators
$(O)/tests/unit/test-driver-mem-chunks: LDFLAGS_ALL += -Wl,--wrap=g_try_malloc \
    -Wl,--wrap=g_try_malloc0 -Wl,--wrap=g_try_realloc

unit: $(UNIT_BINS)

# The test command: dependencies, layering, the example against the release
# archive, every suite under ASan+UBSan and again under TSan (IOThreads and
# the thread pool run real threads), one summary; then the OSS-Fuzz build
# script produces every fuzz target (quick: -O0, standalone engine).
# The three flavours build side by side, on every CPU unless make was given
# -j; the tests run in parallel too (scripts/run-unit), the fuzz replay and
# the OSS-Fuzz build beside them (their output follows the summary).
SFX := $(if $(IS_CLANG),-clang)
check: deps
	@scripts/check-layering
	@j=$$(case " $$MAKEFLAGS" in *" -j"*) ;; *) echo "-j$$(nproc)" ;; esac); \
	    $(MAKE) --no-print-directory $$j -Otarget check-build
	@# the seed API: every function defined in the archive and called by a test
	@scripts/api-coverage --brief --lib build/release$(SFX)/libblock.a
	@rc=0; out=build/check$(SFX); mkdir -p $$out; \
	    scripts/fuzz-replay build/asan$(SFX) >$$out/fuzz-replay.log 2>&1 & replay=$$!; \
	    scripts/test-oss-fuzz-build --quick >$$out/oss-fuzz.log 2>&1 & ossfuzz=$$!; \
	    scripts/run-unit --examples build/release$(SFX)/examples \
	    --tools build/asan$(SFX)/bin build/asan$(SFX) build/tsan$(SFX) || rc=1; \
	    wait $$replay || rc=1; cat $$out/fuzz-replay.log; \
	    wait $$ossfuzz || rc=1; cat $$out/oss-fuzz.log; exit $$rc

# What make check runs, built: one sub-make per flavour, in parallel
.PHONY: check-build check-build-release check-build-asan check-build-tsan
check-build: check-build-release check-build-asan check-build-tsan
check-build-release:
	@$(MAKE) --no-print-directory BUILD=release examples
check-build-asan:
	@$(MAKE) --no-print-directory BUILD=asan unit tools fuzz-replay
check-build-tsan:
	@$(MAKE) --no-print-directory BUILD=tsan unit

deps:
	@scripts/install-deps --check-or-install

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build

# The harness and its tools (drydock-io, ...)
include mk/harness.mk
# Fuzz targets, engines and campaigns (make fuzz, make fuzz-build)
include mk/fuzz.mk
# Line and branch coverage (make coverage)
include mk/coverage.mk

-include $(LIB_OBJS:.o=.d) $(UNIT_BINS:=.d) $(UNIT_HELPER_OBJS:.o=.d)
