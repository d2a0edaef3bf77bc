# bpfcap — one flat Makefile, out of tree into build/.
#   make            library + CLI (build/bpfcap)
#   make check      install missing deps, build, run every test
#   make check-asan the same under ASan+UBSan in build/asan/
#   make bench      benchmarks beside libpcap's figures
#   make bench-capture  live capture beside tcpdump (root, about 6 minutes)
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
	$(Q)$(CXX) $(ALLCXX) -o $@ $^ $(LDLIBS) -lpthread

# ---- issue 6: the drop-in filter library (api/, include/bpfcap/) ----------
# Public libraries go to $(BUILD)/lib/, apart from the internal archives:
#   libbpfcap.so.0 + libbpfcap.a            native C API (include/bpfcap/bpfcap.h)
#   libbpfcap_pcap.so.0 + libbpfcap_pcap.a  libpcap's filter API
#   libbpfcap_preload.so                    LD_PRELOAD shim for pcap_compile
#   bpfcap.pc, bpfcap_pcap.pc               pkg-config
# Every object is position independent so the compiler can go into them.
ALLCXX   += -fPIC
API_VERSION := 0.1.0
API_SOMAJOR := 0
LIBDIR   := $(BUILD)/lib
API_SO   := $(LIBDIR)/libbpfcap.so.$(API_VERSION) $(LIBDIR)/libbpfcap_pcap.so.$(API_VERSION)
API_LIBS := $(API_SO) $(LIBDIR)/libbpfcap.a $(LIBDIR)/libbpfcap_pcap.a \
            $(LIBDIR)/libbpfcap_preload.so $(LIBDIR)/bpfcap.pc $(LIBDIR)/bpfcap_pcap.pc
API_OBJS := $(BUILD)/api/bpfcap.o $(BUILD)/api/pcap_compat.o $(BUILD)/api/preload.o
# C test programs (tests/api/*.c): *.libpcap links the real libpcap,
# *.bpfcap the same source against libbpfcap_pcap; native_c links libbpfcap.
API_CTESTS := $(BUILD)/tests/api/compat_run.libpcap $(BUILD)/tests/api/compat_run.bpfcap \
              $(BUILD)/tests/api/compat_fixed.libpcap $(BUILD)/tests/api/compat_fixed.bpfcap \
              $(BUILD)/tests/api/native_c $(BUILD)/tests/api/native_c_static
CC_T     := $(CC) -std=gnu11 -Wall -Wextra -Werror -Wno-deprecated-declarations $(CXXFLAGS) -Iinclude
RPATH    := -Wl,-rpath,$(abspath $(LIBDIR))

api: $(API_LIBS)
all: api

# name, soname, objects, version script
define api_so
	@mkdir -p $(LIBDIR)
	@echo "  LINK  $@"
	$(Q)$(CXX) $(ALLCXX) -shared -Wl,-soname,$(2) -Wl,--version-script=$(3) -Wl,-z,defs -o $@ $(1) \
	  $(BUILD)/libbpfcap.a -ldl
endef

$(LIBDIR)/libbpfcap.so.$(API_VERSION): $(BUILD)/api/bpfcap.o $(BUILD)/libbpfcap.a api/bpfcap.map
	$(call api_so,$<,libbpfcap.so.$(API_SOMAJOR),api/bpfcap.map)
	$(Q)ln -sf libbpfcap.so.$(API_VERSION) $(LIBDIR)/libbpfcap.so.$(API_SOMAJOR)
	$(Q)ln -sf libbpfcap.so.$(API_SOMAJOR) $(LIBDIR)/libbpfcap.so

$(LIBDIR)/libbpfcap_pcap.so.$(API_VERSION): $(BUILD)/api/pcap_compat.o $(BUILD)/libbpfcap.a api/pcap_compat.map
	$(call api_so,$<,libbpfcap_pcap.so.$(API_SOMAJOR),api/pcap_compat.map)
	$(Q)ln -sf libbpfcap_pcap.so.$(API_VERSION) $(LIBDIR)/libbpfcap_pcap.so.$(API_SOMAJOR)
	$(Q)ln -sf libbpfcap_pcap.so.$(API_SOMAJOR) $(LIBDIR)/libbpfcap_pcap.so

# Not -z defs: libpcap's symbols come from the host program at run time.
$(LIBDIR)/libbpfcap_preload.so: $(BUILD)/api/preload.o $(BUILD)/libbpfcap.a api/preload.map
	@mkdir -p $(LIBDIR)
	@echo "  LINK  $@"
	$(Q)$(CXX) $(ALLCXX) -shared -Wl,--version-script=api/preload.map -o $@ $< $(BUILD)/libbpfcap.a -ldl

# The static archives hold the compiler too, so users link one archive.
$(LIBDIR)/libbpfcap.a: $(BUILD)/api/bpfcap.o $(LIB_OBJS)
	@mkdir -p $(LIBDIR)
	$(Q)rm -f $@ && ar rcs $@ $^
$(LIBDIR)/libbpfcap_pcap.a: $(BUILD)/api/pcap_compat.o $(LIB_OBJS)
	@mkdir -p $(LIBDIR)
	$(Q)rm -f $@ && ar rcs $@ $^

$(LIBDIR)/%.pc: api/%.pc.in
	@mkdir -p $(LIBDIR)
	$(Q)sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(API_VERSION)|g' $< > $@

$(BUILD)/tests/api/%.libpcap: tests/api/%.c
	@mkdir -p $(dir $@)
	@echo "  CC    $@"
	$(Q)$(CC_T) -o $@ $< -lpcap
$(BUILD)/tests/api/%.bpfcap: tests/api/%.c $(LIBDIR)/libbpfcap_pcap.so.$(API_VERSION)
	@mkdir -p $(dir $@)
	@echo "  CC    $@"
	$(Q)$(CC_T) -o $@ $< -L$(LIBDIR) -lbpfcap_pcap $(RPATH)
$(BUILD)/tests/api/native_c: tests/api/native_c.c include/bpfcap/bpfcap.h $(LIBDIR)/libbpfcap.so.$(API_VERSION)
	@mkdir -p $(dir $@)
	@echo "  CC    $@"
	$(Q)$(CC_T) -o $@ $< -L$(LIBDIR) -lbpfcap $(RPATH) -lpthread
$(BUILD)/tests/api/native_c_static: tests/api/native_c.c include/bpfcap/bpfcap.h $(LIBDIR)/libbpfcap.a
	@mkdir -p $(dir $@)
	@echo "  CC    $@"
	$(Q)$(CC_T) -o $@ $< $(LIBDIR)/libbpfcap.a -lstdc++ -lm -lpthread

# bpf_filter per call, linked both ways (bench/bpf_filter_bench.c; make bench).
BENCH_C  := $(BUILD)/bench/bpf_filter_bench.libpcap $(BUILD)/bench/bpf_filter_bench.bpfcap
$(BUILD)/bench/%.libpcap: bench/%.c
	@mkdir -p $(dir $@)
	@echo "  CC    $@"
	$(Q)$(CC_T) -o $@ $< -lpcap
$(BUILD)/bench/%.bpfcap: bench/%.c $(LIBDIR)/libbpfcap_pcap.so.$(API_VERSION)
	@mkdir -p $(dir $@)
	@echo "  CC    $@"
	$(Q)$(CC_T) -o $@ $< -L$(LIBDIR) -lbpfcap_pcap $(RPATH)

# The GoogleTest suites in tests/api/ run these (found next to run_tests).
$(BUILD)/run_tests: | $(API_LIBS) $(API_CTESTS) $(BUILD)/bpfcap

install: install-lib
install-lib: $(API_LIBS)
	install -d $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include/bpfcap \
	  $(DESTDIR)$(PREFIX)/share/man/man3 $(DESTDIR)$(PREFIX)/share/man/man7
	install -m 0644 include/bpfcap/bpfcap.h $(DESTDIR)$(PREFIX)/include/bpfcap/bpfcap.h
	for l in libbpfcap libbpfcap_pcap; do \
	  install -m 0755 $(LIBDIR)/$$l.so.$(API_VERSION) $(DESTDIR)$(PREFIX)/lib/ && \
	  ln -sf $$l.so.$(API_VERSION) $(DESTDIR)$(PREFIX)/lib/$$l.so.$(API_SOMAJOR) && \
	  ln -sf $$l.so.$(API_SOMAJOR) $(DESTDIR)$(PREFIX)/lib/$$l.so && \
	  install -m 0644 $(LIBDIR)/$$l.a $(DESTDIR)$(PREFIX)/lib/ || exit 1; \
	done
	install -m 0755 $(LIBDIR)/libbpfcap_preload.so $(DESTDIR)$(PREFIX)/lib/
	for pc in bpfcap bpfcap_pcap; do \
	  sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(API_VERSION)|g' api/$$pc.pc.in \
	    > $(DESTDIR)$(PREFIX)/lib/pkgconfig/$$pc.pc || exit 1; \
	done
	install -m 0644 man/libbpfcap.3 $(DESTDIR)$(PREFIX)/share/man/man3/libbpfcap.3
	install -m 0644 man/bpfcap-filter.7 $(DESTDIR)$(PREFIX)/share/man/man7/bpfcap-filter.7

.PHONY: api install-lib
-include $(API_OBJS:.o=.d)
# ---- end issue 6 ------------------------------------------------------------

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

# docs/support.md: every libpcap link type and keyword against bpfcap,
# regenerated from the compile matrix (make check fails when it is stale).
support-table: $(BUILD)/run_tests
	$(Q)UPDATE_SUPPORT=1 $(BUILD)/run_tests --gtest_filter=SupportTable.CommittedTableIsCurrent

# A capture on a private test network (two namespaces, a veth pair), shown.
demo: deps $(BUILD)/bpfcap
	$(Q)scripts/demo.sh $(BUILD)/bpfcap

# Installs the CLI and its man page; PREFIX and DESTDIR as usual.
PREFIX ?= /usr/local
install: $(BUILD)/bpfcap
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 0755 $(BUILD)/bpfcap $(DESTDIR)$(PREFIX)/bin/bpfcap
	install -m 0644 man/bpfcap.1 $(DESTDIR)$(PREFIX)/share/man/man1/bpfcap.1

bench: deps $(BENCH_SRCS:bench/%.cc=$(BUILD)/bench/%) $(BENCH_C) $(BUILD)/bpfcap
	$(Q)for b in $(BENCH_SRCS:bench/%.cc=$(BUILD)/bench/%) $(BENCH_C); do $$b || exit 1; done

# Flags for it: BENCH_ARGS="--seconds 3 --rate max" (see bench/README.md).
bench-capture: deps $(BUILD)/bench/capture_bench $(BUILD)/bpfcap
	$(Q)$(BUILD)/bench/capture_bench --bpfcap $(BUILD)/bpfcap $(BENCH_ARGS)

clean:
	rm -rf build

.PHONY: all deps check check-diff check-asan test support-table demo bench bench-capture clean install
.SECONDARY:
-include $(LIB_OBJS:.o=.d) $(CAP_OBJS:.o=.d) $(CLI_OBJS:.o=.d) $(TEST_OBJS:.o=.d)
