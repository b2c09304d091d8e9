# Fuzzing (docs/fuzzing.md): included from the Makefile.
#
#   make fuzz-build      every target of fuzz/ for libFuzzer (build/fuzz/),
#                        AFL++ persistent mode (build/afl/) and its CMPLOG
#                        build (build/afl-cmplog/), and the replay mains
#   make fuzz            fuzz-build, then every target for FUZZ_TIME seconds
#                        with its corpus (FUZZ_ENGINE=libfuzzer|afl); a table
#   make oss-fuzz-check  .clusterfuzzlite/build.sh under the OSS-Fuzz build
#                        contract produces and runs every target
#   make fuzz-scripts-check  scripts/fuzz and scripts/fuzz-minimize work
#                        (merge, fork mode, a run that cannot run) with
#                        build/fuzz/scenario; build/fuzz/io leaves no file
#   make fuzz-replay     the replay mains only ($(O)/fuzz/replay-<target>),
#                        what `make check` runs over corpora/ under ASan+UBSan
#
# A target is fuzz/<name>.c with LLVMFuzzerTestOneInput; fuzz-*.c (helpers) are
# linked into each, the mains are replay-main.c (any compiler) and
# afl-main.c (afl-clang-fast).  The library (and the harness, for the
# scenario target) is rebuilt for each engine with that engine's
# instrumentation.

# fuzz/fuzz-*.c are helpers linked into every target, not targets
FUZZ_HELPERS := $(wildcard fuzz/fuzz-*.c)
FUZZ_MAINS := fuzz/replay-main.c fuzz/afl-main.c
FUZZ_TARGETS := $(sort $(basename $(notdir \
    $(filter-out $(FUZZ_HELPERS) $(FUZZ_MAINS),$(wildcard fuzz/*.c)))))
FUZZ_TIME ?= 20
FUZZ_ENGINE ?= libfuzzer

FUZZ_CLANG ?= clang
AFL_CC ?= afl-clang-fast
FUZZ_WARN := -Wall -Wextra -Werror -Wno-unused-parameter \
             -Wno-missing-field-initializers -Wshadow -Wformat=2 \
             -Wno-format-nonliteral -Wvla -Wno-gnu-zero-variadic-macro-arguments
FUZZ_BASE := -std=gnu11 -g $(FUZZ_WARN) -Iinclude -I. -D_GNU_SOURCE -pthread -MMD -MP \
             -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
LF_SAN := address,undefined
# UBSan's alignment check is two compares per pointer dereference, and
# -fsanitize-coverage=trace-cmp (clang 14) turns each into a libFuzzer hook
# call: they were most of the hooks of an I/O request.  Misaligned accesses
# are still caught where corpora are replayed (BUILD=asan keeps the check);
# OSS-Fuzz's UBSan flag set leaves alignment out as well.
LF_NO_SAN ?= -fno-sanitize=alignment
# LF_CFLAGS without coverage instrumentation (the focused library, below)
LF_NOCOV_CFLAGS := $(FUZZ_BASE) -O1 -fno-omit-frame-pointer \
                   -fsanitize=$(LF_SAN) -fno-sanitize-recover=undefined $(LF_NO_SAN)
LF_CFLAGS := $(LF_NOCOV_CFLAGS) -fsanitize=fuzzer-no-link
AFL_CFLAGS := $(FUZZ_BASE) -O2
# Comparisons are traced (-fsanitize-coverage=trace-cmp, a libFuzzer hook
# call per integer comparison) only where input bytes meet constants: the
# targets' decoders and the parsers of headers, tables, options and
# scenarios.  Everywhere else a traced comparison gives the mutator nothing
# and cost a third of each target's time (the graph and qcow2 targets ran
# at half their speed, with the same coverage after a minute).  AFL++ makes
# the same split with its CMPLOG binary; OSS-Fuzz's build traces them all.
LF_TRACE_CMP_SRCS := fuzz/%.c \
    block/util/qjson-parse.c block/util/keyval.c block/util/qdict-flatten.c \
    block/util/qemu-option.c block/util/cutils.c \
    block/core/open-options.c block/core/filename.c block/core/create-qdict.c \
    block/core/driver-table.c \
    block/drivers/format/qcow2/qcow2.c block/drivers/format/qcow2/qcow2-header.c \
    block/drivers/format/qcow2/qcow2-snapshot.c \
    block/drivers/format/qcow2/qcow2-bitmaps.c \
    block/drivers/format/qcow2/qcow2-options.c \
    block/drivers/format/raw/raw.c \
    block/drivers/filter/blkdebug/blkdebug-config.c \
    harness/scenario/scn-lex.c harness/scenario/scn-table.c
# (the shadow and the image tour compare what the library returns, not input)
LF_NO_TRACE_CMP_SRCS := fuzz/fuzz-shadow.c fuzz/fuzz-image.c
lf_cmp_flags = $(if $(filter $(LF_TRACE_CMP_SRCS),$(filter-out \
    $(LF_NO_TRACE_CMP_SRCS),$(1))),,-fno-sanitize-coverage=trace-cmp)

# Focused coverage for the format targets.  Their inputs are image bytes,
# whose meaning lies in the format drivers and in the parsers of the
# options and filenames an image can name; the block layer's core and
# utilities (open, permissions, the I/O path, coroutines, dictionaries: the
# graph, io, options and scenario targets' concern) run the same way for
# almost every image.  There they made three quarters of the edges an
# input reached (968 a qcow2 input on average, 264 without them), and
# libFuzzer's per-edge bookkeeping a fifth of the target's time, for no
# guidance.  Their library (libblock-focus.a) takes those sources without
# coverage instrumentation, still under ASan and UBSan, so a bug there is
# still caught.  Alternated 60 s runs reached as many qcow2 edges
# (1,457 and 1,471 against 1,452 and 1,438), see docs/fuzzing.md.
FUZZ_FOCUS_TARGETS := format probe qcow2 qcow2_chain qcow2_ops
LF_UNFOCUSED_SRCS := $(filter-out $(LF_TRACE_CMP_SRCS),$(filter \
    block/core/% block/util/% block/drivers/protocol/mem/%,$(LIB_SRCS)))
LF_FOCUS_OBJS := $(patsubst %.c,build/fuzz/obj/%.o,$(filter-out \
                     $(LF_UNFOCUSED_SRCS),$(LIB_SRCS))) \
                 $(LF_UNFOCUSED_SRCS:%.c=build/fuzz-nocov/obj/%.o)

build/fuzz-nocov/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC [fuzz-nocov] $<"
	@$(FUZZ_CLANG) $(LF_NOCOV_CFLAGS) -c $< -o $@

build/fuzz/libblock-focus.a: $(LF_FOCUS_OBJS)
	@rm -f $@
	@ar rcs $@ $^

-include $(LF_UNFOCUSED_SRCS:%.c=build/fuzz-nocov/obj/%.d)

# $(1): engine directory, $(2): compile command, $(3): a function of the
# source giving its extra flags (or nothing)
define FUZZ_ENGINE_RULES
$(1)/obj/%.o: %.c
	@mkdir -p $$(dir $$@)
	@echo "  CC [$(notdir $(1))] $$<"
	@$(2) $$(if $(3),$$(call $(3),$$<)) -c $$< -o $$@

$(1)/libblock.a: $(LIB_SRCS:%.c=$(1)/obj/%.o)
	@rm -f $$@
	@ar rcs $$@ $$^

$(1)/libharness.a: $(HARNESS_SRCS:%.c=$(1)/obj/%.o)
	@rm -f $$@
	@ar rcs $$@ $$^

-include $(LIB_SRCS:%.c=$(1)/obj/%.d) $(HARNESS_SRCS:%.c=$(1)/obj/%.d) \
         $(FUZZ_HELPERS:%.c=$(1)/obj/%.d) \
         $(FUZZ_TARGETS:%=$(1)/obj/fuzz/%.d)
endef

$(eval $(call FUZZ_ENGINE_RULES,build/fuzz,$(FUZZ_CLANG) $(LF_CFLAGS),lf_cmp_flags))
$(eval $(call FUZZ_ENGINE_RULES,build/afl,$(AFL_CC) $(AFL_CFLAGS)))
$(eval $(call FUZZ_ENGINE_RULES,build/afl-cmplog,AFL_LLVM_CMPLOG=1 $(AFL_CC) $(AFL_CFLAGS)))

build/fuzz/%: build/fuzz/obj/fuzz/%.o $(FUZZ_HELPERS:%.c=build/fuzz/obj/%.o) \
             build/fuzz/libharness.a build/fuzz/libblock.a
	$(FUZZ_CLANG) -fsanitize=fuzzer,$(LF_SAN) -o $@ $^ $(LIBS)

$(FUZZ_FOCUS_TARGETS:%=build/fuzz/%): build/fuzz/%: build/fuzz/obj/fuzz/%.o \
             $(FUZZ_HELPERS:%.c=build/fuzz/obj/%.o) build/fuzz/libharness.a \
             build/fuzz/libblock-focus.a
	$(FUZZ_CLANG) -fsanitize=fuzzer,$(LF_SAN) -o $@ $^ $(LIBS)

build/afl/%: build/afl/obj/fuzz/%.o $(FUZZ_HELPERS:%.c=build/afl/obj/%.o) \
             build/afl/obj/fuzz/afl-main.o build/afl/libharness.a build/afl/libblock.a
	$(AFL_CC) -o $@ $^ $(LIBS)

build/afl-cmplog/%: build/afl-cmplog/obj/fuzz/%.o $(FUZZ_HELPERS:%.c=build/afl-cmplog/obj/%.o) \
                    build/afl-cmplog/obj/fuzz/afl-main.o build/afl-cmplog/libharness.a \
                    build/afl-cmplog/libblock.a
	AFL_LLVM_CMPLOG=1 $(AFL_CC) -o $@ $^ $(LIBS)

# Replay mains in the current flavour ($(O)), e.g. build/asan/fuzz/replay-io
FUZZ_REPLAY_BINS := $(FUZZ_TARGETS:%=$(O)/fuzz/replay-%)
# fuzz/scenario.c includes the harness's scenario.h
$(FUZZ_TARGETS:%=$(O)/fuzz/%.o): CFLAGS_ALL += -I.
$(O)/fuzz/replay-%: $(O)/fuzz/%.o $(FUZZ_HELPERS:%.c=$(O)/%.o) $(O)/fuzz/replay-main.o \
                   $(HARNESS_LIB) $(LIB)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LIBS)

FUZZ_LF_BINS := $(FUZZ_TARGETS:%=build/fuzz/%)
FUZZ_AFL_BINS := $(FUZZ_TARGETS:%=build/afl/%) $(FUZZ_TARGETS:%=build/afl-cmplog/%)

.PHONY: fuzz fuzz-build fuzz-libfuzzer fuzz-afl fuzz-replay oss-fuzz-check \
        oss-fuzz-check-quick fuzz-scripts-check
fuzz-libfuzzer: $(FUZZ_LF_BINS)
fuzz-afl: $(FUZZ_AFL_BINS)
fuzz-replay: $(FUZZ_REPLAY_BINS)

fuzz-build: deps
	@$(MAKE) --no-print-directory fuzz-libfuzzer fuzz-afl
	@$(MAKE) --no-print-directory BUILD=asan fuzz-replay

fuzz: fuzz-build
	@scripts/fuzz --all --engine $(FUZZ_ENGINE) --time $(FUZZ_TIME)

fuzz-scripts-check: build/fuzz/scenario build/fuzz/io
	@scripts/test-fuzz-scripts

# The OSS-Fuzz / ClusterFuzzLite build.sh produces every target (make check
# runs the quick variant: host compiler, -O0, the replay main as engine)
oss-fuzz-check: deps
	@scripts/test-oss-fuzz-build
oss-fuzz-check-quick:
	@scripts/test-oss-fuzz-build --quick

-include $(FUZZ_TARGETS:%=$(O)/fuzz/%.d) $(FUZZ_HELPERS:%.c=$(O)/%.d) $(O)/fuzz/replay-main.d
