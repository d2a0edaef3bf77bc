# bpfcap — one flat Makefile, out of tree into build/.
#   make            library + CLI (build/bpfcap)
#   make check      install missing deps, build, run every test
#   make check-asan the same under ASan+UBSan in build/asan/
#   make bench      benchmarks beside libpcap's figures
#   make bench-capture  live capture beside tcpdump (root, about 2 minutes)
# V=1 echoes full commands.

BUILD    ?= build
CXX      ?= g++
CXXFLAGS ?= -O2 -g
WARN     := -Wall -Wextra -Werror -Wshadow
ALLCXX   := -std=c++20 $(WARN) $(CXXFLAGS) $(EXTRA_CXXFLAGS) -Iinclude -I. -I$(BUILD)/gen -MMD -MP
LDLIBS   := -lbpf
LDLIBS_T := -lgtest -lgtest_main -lpcap -lpthread
Q        := $(if $(V),,@)
GEN      := $(BUILD)/gen

LIB_SRCS := $(sort $(wildcard compiler/*.cc compiler/*/*.cc))
LIB_OBJS := $(LIB_SRCS:%.cc=$(BUILD)/%.o) $(GEN)/lexer.o $(GEN)/grammar.o
CAP_SRCS := $(filter-out capture/main.cc,$(sort $(wildcard capture/*.cc capture/*/*.cc)))
CAP_OBJS := $(CAP_SRCS:%.cc=$(BUILD)/%.o)
CLI_OBJS := $(BUILD)/capture/main.o
TEST_SRCS := $(sort $(wildcard tests/*.cc tests/*/*.cc tests/*/*/*.cc))
TEST_OBJS := $(TEST_SRCS:%.cc=$(BUILD)/%.o)
# capture_bench needs root and minutes: only `make bench-capture` runs it.
BENCH_SRCS := $(filter-out bench/capture_bench.cc,$(sort $(wildcard bench/*.cc)))

all: $(BUILD)/bpfcap

$(GEN)/grammar.cc $(GEN)/grammar.h &: compiler/grammar.y
	@mkdir -p $(GEN)
	$(Q)lemon -q -d$(GEN) compiler/grammar.y && mv $(GEN)/grammar.c $(GEN)/grammar.cc

$(GEN)/lexer.cc: compiler/lexer.re
	@mkdir -p $(GEN)
	$(Q)re2c -W -Werror --no-generation-date -o $@ $<

$(GEN)/lexer.o: $(GEN)/lexer.cc $(GEN)/grammar.h
	@echo "  CXX   $@"
	$(Q)$(CXX) $(ALLCXX) -c -o $@ $<

# lemon's template has unused locals and parameters; relax just this object.
$(GEN)/grammar.o: $(GEN)/grammar.cc
	@echo "  CXX   $@"
	$(Q)$(CXX) $(ALLCXX) -Wno-unused-parameter -Wno-unused-variable -Wno-unused-but-set-variable -c -o $@ $<

$(BUILD)/%.o: %.cc | $(GEN)/grammar.h
	@mkdir -p $(dir $@)
	@echo "  CXX   $@"
	$(Q)$(CXX) $(ALLCXX) -c -o $@ $<

$(BUILD)/libbpfcap.a: $(LIB_OBJS)
	$(Q)rm -f $@ && ar rcs $@ $^

# The capture engine, savefiles and printing: everything the CLI has besides
# its main(), in a library so that the tests link it too.
$(BUILD)/libbpfcap_capture.a: $(CAP_OBJS)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/bpfcap: $(CLI_OBJS) $(BUILD)/libbpfcap_capture.a $(BUILD)/libbpfcap.a
	@echo "  LINK  $@"
	$(Q)$(CXX) $(ALLCXX) -o $@ $^ $(LDLIBS)

$(BUILD)/run_tests: $(TEST_OBJS) $(BUILD)/libbpfcap_capture.a $(BUILD)/libbpfcap.a
	@echo "  LINK  $@"
	$(Q)$(CXX) $(ALLCXX) -o $@ $^ $(LDLIBS_T) $(LDLIBS)

$(BUILD)/bench/%: bench/%.cc $(BUILD)/libbpfcap.a
	@mkdir -p $(dir $@)
	@echo "  LINK  $@"
	$(Q)$(CXX) $(ALLCXX) -o $@ $^ -lpcap

$(BUILD)/bench/capture_bench: bench/capture_bench.cc $(BUILD)/tests/integration/netns.o \
    $(BUILD)/libbpfcap_capture.a $(BUILD)/libbpfcap.a
	@mkdir -p $(dir $@)
	@echo "  LINK  $@"
	$(Q)$(CXX) $(ALLCXX) -o $@ $^ -lpthread

deps:
	$(Q)scripts/install-deps.sh --if-missing

check: deps
	$(Q)$(MAKE) --no-print-directory $(BUILD)/bpfcap $(BUILD)/run_tests
	$(Q)$(BUILD)/run_tests --gtest_brief=1
	$(Q)tests/cli/run.sh $(BUILD)/bpfcap

# The differential suite against libpcap on its own (also part of `check`).
check-diff: deps
	$(Q)$(MAKE) --no-print-directory $(BUILD)/run_tests
	$(Q)$(BUILD)/run_tests --gtest_filter=DiffLibpcap.*

check-asan: deps
	$(Q)$(MAKE) --no-print-directory BUILD=build/asan \
	  CXXFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	  build/asan/bpfcap build/asan/run_tests
	$(Q)ASAN_OPTIONS=detect_leaks=1 build/asan/run_tests --gtest_brief=1
	$(Q)tests/cli/run.sh build/asan/bpfcap

test: check

# A capture on a private test network (two namespaces, a veth pair), shown.
demo: deps $(BUILD)/bpfcap
	$(Q)scripts/demo.sh $(BUILD)/bpfcap

# Installs the CLI and its man page; PREFIX and DESTDIR as usual.
PREFIX ?= /usr/local
install: $(BUILD)/bpfcap
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 0755 $(BUILD)/bpfcap $(DESTDIR)$(PREFIX)/bin/bpfcap
	install -m 0644 man/bpfcap.1 $(DESTDIR)$(PREFIX)/share/man/man1/bpfcap.1

bench: deps $(BENCH_SRCS:bench/%.cc=$(BUILD)/bench/%) $(BUILD)/bpfcap
	$(Q)for b in $(BENCH_SRCS:bench/%.cc=$(BUILD)/bench/%); do $$b || exit 1; done

# Flags for it: BENCH_ARGS="--seconds 3 --rate max" (see bench/README.md).
bench-capture: deps $(BUILD)/bench/capture_bench $(BUILD)/bpfcap
	$(Q)$(BUILD)/bench/capture_bench --bpfcap $(BUILD)/bpfcap $(BENCH_ARGS)

clean:
	rm -rf build

.PHONY: all deps check check-diff check-asan test demo bench bench-capture clean install
.SECONDARY:
-include $(LIB_OBJS:.o=.d) $(CAP_OBJS:.o=.d) $(CLI_OBJS:.o=.d) $(TEST_OBJS:.o=.d)
