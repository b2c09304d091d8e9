# The harness: shared command code (harness/*.c) in build/<flavour>/libharness.a
# and the tools (harness/tools/*.c) in build/<flavour>/bin/.
HARNESS_SRCS := $(sort $(wildcard harness/*.c))
# The scenario language (drydock run): harness/scenario/*.c
HARNESS_SRCS += $(sort $(wildcard harness/scenario/*.c))
HARNESS_OBJS := $(HARNESS_SRCS:%.c=$(O)/%.o)
HARNESS_LIB := $(O)/libharness.a
TOOL_SRCS := $(sort $(wildcard harness/tools/*.c))
TOOL_BINS := $(patsubst harness/tools/%.c,$(O)/bin/%,$(TOOL_SRCS))

.PHONY: tools
tools: $(TOOL_BINS)

$(HARNESS_OBJS) $(TOOL_SRCS:%.c=$(O)/%.o): CFLAGS_ALL += -I.

$(HARNESS_LIB): $(HARNESS_OBJS)
	@rm -f $@
	ar rcs $@ $^

# The iotests start an ASan tool about 800 times per format, and start-up
# dominates each call: without PIE there are no ~50k relocations to apply,
# and gcc's static sanitizer runtimes need no dynamic symbol binding
# (together ~17% less CPU per call; docs/iotests.md, Speed)
ifeq ($(BUILD),asan)
TOOL_LDFLAGS := -no-pie $(if $(IS_CLANG),,-static-libasan -static-libubsan)
endif

$(O)/bin/%: $(O)/harness/tools/%.o $(HARNESS_LIB) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) $(TOOL_LDFLAGS) -o $@ $< $(HARNESS_LIB) $(LIB) $(LIBS)

-include $(HARNESS_OBJS:.o=.d) $(TOOL_SRCS:%.c=$(O)/%.d)
