// The native C API as shipped: libbpfcap.so.0 is dlopen'ed from the build
// tree (so the test exercises the shared library itself, its soname and its
// exports), and native_c (plain C, linked with the .so and with the .a)
// is run.
//
//   - NativeApi.*: results equal to bpfcap::Compile's, errors with column and
//     token, exports limited to bpfcap_*; the eBPF targets give
//     CompileEbpf's programs and listings.
//   - NativeApiEbpf.RunGivesTheKernelsVerdicts (root): bpfcap_program_run
//     on an eBPF handle (the classic program of the same IR) against the
//     handle's eBPF instructions loaded into the kernel and run with
//     BPF_PROG_TEST_RUN, on generated packets.
//   - NativeApiThreads.ConcurrentCompilesMatchSerial: many threads compile
//     different expressions at once; every dump equals the single-threaded
//     one (run under `make check-asan` for memory errors).
#include <dlfcn.h>

#include <atomic>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstring>

#include "compiler/cbpf/cbpf.h"
#include "compiler/compile.h"
#include "compiler/ebpf/load.h"
#include "compiler/ebpf/print.h"
#include "include/bpfcap/bpfcap.h"
#include "tests/api/child.h"
#include "tests/diff/packets.h"

namespace bpfcap::apitest {
namespace {

// The library's functions, looked up by name.
struct Api {
  void* handle = nullptr;
  decltype(&bpfcap_options_init) options_init = nullptr;
  decltype(&bpfcap_compile) compile = nullptr;
  decltype(&bpfcap_program_free) free_program = nullptr;
  decltype(&bpfcap_program_ok) ok = nullptr;
  decltype(&bpfcap_program_error) error = nullptr;
  decltype(&bpfcap_program_error_column) column = nullptr;
  decltype(&bpfcap_program_error_token) token = nullptr;
  decltype(&bpfcap_program_error_code) code = nullptr;
  decltype(&bpfcap_program_dump) dump = nullptr;
  decltype(&bpfcap_program_length) length = nullptr;
  decltype(&bpfcap_program_insns) insns = nullptr;
  decltype(&bpfcap_program_run) run = nullptr;
  decltype(&bpfcap_program_target) program_target = nullptr;
  decltype(&bpfcap_program_ebpf_length) ebpf_length = nullptr;
  decltype(&bpfcap_program_ebpf_insns) ebpf_insns = nullptr;
  decltype(&bpfcap_free) free = nullptr;
  decltype(&bpfcap_version) version = nullptr;

  // The dump of a compile ("ERR <message>" on failure).
  std::string Dump(const std::string& expr, int dlt, bpfcap_target target) const {
    bpfcap_options opts;
    options_init(&opts);
    opts.link_type = dlt;
    opts.target = target;
    bpfcap_program* p = compile(expr.c_str(), &opts);
    if (!p) return "NULL";
    std::string out;
    if (!ok(p)) {
      out = std::string("ERR ") + error(p);
    } else {
      char* text = dump(p, BPFCAP_DUMP_ASM);
      out = text ? text : "NULL";
      free(text);
    }
    free_program(p);
    return out;
  }
};

template <typename T>
void Load(void* h, const char* name, T* fn) {
  *fn = reinterpret_cast<T>(dlsym(h, name));
}

const Api& Library() {
  static const Api api = [] {
    Api a;
    a.handle = dlopen((BuildDir() + "/lib/libbpfcap.so.0").c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!a.handle) return a;
    Load(a.handle, "bpfcap_options_init", &a.options_init);
    Load(a.handle, "bpfcap_compile", &a.compile);
    Load(a.handle, "bpfcap_program_free", &a.free_program);
    Load(a.handle, "bpfcap_program_ok", &a.ok);
    Load(a.handle, "bpfcap_program_error", &a.error);
    Load(a.handle, "bpfcap_program_error_column", &a.column);
    Load(a.handle, "bpfcap_program_error_token", &a.token);
    Load(a.handle, "bpfcap_program_error_code", &a.code);
    Load(a.handle, "bpfcap_program_dump", &a.dump);
    Load(a.handle, "bpfcap_program_length", &a.length);
    Load(a.handle, "bpfcap_program_insns", &a.insns);
    Load(a.handle, "bpfcap_program_run", &a.run);
    Load(a.handle, "bpfcap_program_target", &a.program_target);
    Load(a.handle, "bpfcap_program_ebpf_length", &a.ebpf_length);
    Load(a.handle, "bpfcap_program_ebpf_insns", &a.ebpf_insns);
    Load(a.handle, "bpfcap_free", &a.free);
    Load(a.handle, "bpfcap_version", &a.version);
    return a;
  }();
  return api;
}

#define REQUIRE_LIBRARY()                                                  \
  const Api& api = Library();                                              \
  ASSERT_NE(api.handle, nullptr) << "dlopen libbpfcap.so.0: " << dlerror(); \
  ASSERT_NE(api.version, nullptr);                                         \
  ASSERT_NE(api.compile, nullptr)

std::string InProcessDump(const std::string& expr, int dlt, bool for_kernel) {
  CompileOptions opts;
  opts.dlt = dlt;
  opts.for_kernel = for_kernel;
  CompileResult r = Compile(expr, opts);
  if (!r.diag.ok()) return "ERR " + FormatDiag(r.diag, expr);
  return cbpf::DumpAsm(r.program);
}

const std::vector<std::string>& Expressions() {
  static const std::vector<std::string> exprs = {
      "tcp port 80 and host 10.0.0.1",
      "vlan and ip",
      "vlan 100 and udp port 53",
      "icmp[icmptype] == icmp-echo",
      "ip6 and tcp[tcpflags] & tcp-syn != 0",
      "not arp and (port 22 or port 443)",
      "net 192.168.0.0/16 and not src host 192.168.1.1",
      "udp portrange 1000-2000 or tcp dst port 25",
      "ether host 00:11:22:33:44:55 and ip multicast",
      "mpls and ip",
      "pppoes and ip6",
      "inbound and ip",
      "ip[2:2] > 576",
      "tcp prot 80",
      "port 70000",
      "ip6 host 1.2.3.4",
      "",
  };
  return exprs;
}

TEST(NativeApi, VersionAndSoname) {
  REQUIRE_LIBRARY();
  EXPECT_STREQ(api.version(), BPFCAP_VERSION_STRING);
  std::string out;
  ASSERT_EQ(RunProgram({"objdump", "-p", BuildDir() + "/lib/libbpfcap.so.0"}, {}, &out, nullptr), 0);
  EXPECT_NE(out.find("SONAME               libbpfcap.so.0"), std::string::npos) << out;
}

TEST(NativeApi, ExportsOnlyTheCApi) {
  std::string out;
  for (const char* lib : {"libbpfcap.so.0", "libbpfcap_pcap.so.0", "libbpfcap_preload.so"}) {
    ASSERT_EQ(RunProgram({"nm", "-D", "--defined-only", BuildDir() + "/lib/" + lib}, {}, &out, nullptr), 0);
    std::istringstream lines(out);
    std::string line;
    int count = 0;
    while (std::getline(lines, line)) {
      const std::string sym = line.substr(line.rfind(' ') + 1);
      const bool ok = sym.rfind("bpfcap_", 0) == 0 || sym.rfind("pcap_", 0) == 0 ||
                      sym.rfind("bpf_", 0) == 0;
      EXPECT_TRUE(ok) << lib << " exports " << sym;
      ++count;
    }
    EXPECT_GT(count, 0) << lib;
  }
}

TEST(NativeApi, SameProgramsAsCompile) {
  REQUIRE_LIBRARY();
  for (const std::string& e : Expressions()) {
    for (int dlt : {1, 12, 113, 276}) {
      EXPECT_EQ(api.Dump(e, dlt, BPFCAP_TARGET_CBPF), InProcessDump(e, dlt, false)) << e << " dlt " << dlt;
      EXPECT_EQ(api.Dump(e, dlt, BPFCAP_TARGET_CBPF_SOCKET), InProcessDump(e, dlt, true))
          << e << " dlt " << dlt;
    }
  }
}

TEST(NativeApi, ErrorsNameColumnAndToken) {
  REQUIRE_LIBRARY();
  struct Case {
    const char* expr;
    unsigned column;
    const char* token;
    bpfcap_error_code code;
  };
  const Case cases[] = {
      {"tcp prot 80", 5, "prot", BPFCAP_ERROR_SYNTAX},
      {"port 70000", 6, "70000", BPFCAP_ERROR_RANGE},
      {"ip6 host 1.2.3.4", 0, "", BPFCAP_ERROR_SEMANTIC},
  };
  for (const Case& c : cases) {
    bpfcap_program* p = api.compile(c.expr, nullptr);
    ASSERT_NE(p, nullptr);
    EXPECT_FALSE(api.ok(p)) << c.expr;
    EXPECT_EQ(api.code(p), c.code) << c.expr;
    EXPECT_EQ(std::string(api.error(p)), InProcessDump(c.expr, 1, false).substr(4)) << c.expr;
    if (c.column != 0) {
      EXPECT_EQ(api.column(p), c.column) << c.expr << ": " << api.error(p);
      EXPECT_STREQ(api.token(p), c.token) << c.expr;
    }
    EXPECT_EQ(api.length(p), 0u);
    EXPECT_EQ(api.insns(p), nullptr);
    api.free_program(p);
  }
}

std::string InProcessEbpfDump(const std::string& expr, int dlt, ebpf::Target target) {
  CompileOptions opts;
  opts.dlt = dlt;
  opts.for_kernel = target == ebpf::Target::kSocketFilter;
  EbpfCompileResult r = CompileEbpf(expr, opts, target);
  if (!r.diag.ok()) return "ERR " + FormatDiag(r.diag, expr);
  return ebpf::Dump(r.program);
}

// The eBPF targets: CompileEbpf's programs (the socket filter compiled for
// the socket, as BPFCAP_TARGET_CBPF_SOCKET), its listing as the one dump
// format, no classic instructions.
TEST(NativeApi, EbpfTargetsGiveCompileEbpfsPrograms) {
  REQUIRE_LIBRARY();
  for (const std::string& e : Expressions()) {
    for (int dlt : {1, 113}) {
      EXPECT_EQ(api.Dump(e, dlt, BPFCAP_TARGET_EBPF_SOCKET),
                InProcessEbpfDump(e, dlt, ebpf::Target::kSocketFilter))
          << e << " dlt " << dlt;
      EXPECT_EQ(api.Dump(e, dlt, BPFCAP_TARGET_XDP), InProcessEbpfDump(e, dlt, ebpf::Target::kXdp))
          << e << " dlt " << dlt;
    }
  }
  bpfcap_options opts;
  api.options_init(&opts);
  opts.target = BPFCAP_TARGET_XDP;
  bpfcap_program* p = api.compile("tcp port 80", &opts);
  ASSERT_TRUE(p && api.ok(p));
  EXPECT_EQ(api.program_target(p), BPFCAP_TARGET_XDP);
  EXPECT_EQ(api.length(p), 0u);
  EXPECT_EQ(api.insns(p), nullptr);
  const EbpfCompileResult want = CompileEbpf("tcp port 80", CompileOptions{}, ebpf::Target::kXdp);
  ASSERT_EQ(api.ebpf_length(p), want.program.size());
  EXPECT_EQ(std::memcmp(api.ebpf_insns(p), want.program.data(), want.program.size() * 8), 0);
  EXPECT_EQ(api.dump(p, BPFCAP_DUMP_C), nullptr);
  EXPECT_EQ(api.dump(p, BPFCAP_DUMP_DECIMAL), nullptr);
  api.free_program(p);
  p = api.compile("tcp and outbound", &opts);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(api.code(p), BPFCAP_ERROR_SEMANTIC);
  EXPECT_STREQ(api.error(p),
               "'outbound' never matches at XDP, which sees received packets only (column 9, "
               "near 'outbound')");
  EXPECT_EQ(api.ebpf_length(p), 0u);
  api.free_program(p);
}

// bpfcap_program_run on eBPF handles, against the kernel running the
// handle's own instructions: the socket filter returns the same value, XDP
// passes exactly what run() accepts. The kernel sees every byte it is given
// (wirelen == caplen); XDP test runs need 14 bytes at least.
TEST(NativeApiEbpf, RunGivesTheKernelsVerdicts) {
  REQUIRE_LIBRARY();
  if (geteuid() != 0) GTEST_SKIP() << "needs root (CAP_BPF) to load eBPF programs";
  const std::vector<difftest::Packet> all = difftest::GeneratePackets(1);
  std::vector<const difftest::Packet*> packets;
  for (size_t i = 0; i < all.size(); i += 13) packets.push_back(&all[i]);
  const std::vector<std::string> exprs = {
      "tcp port 80 and host 10.0.0.1", "icmp[icmptype] == icmp-echo", "ip6 and udp",
      "not arp and (port 22 or port 443)", "ip[2:2] > 576", "mpls and ip", "pppoes and ip6",
      "udp portrange 1000-2000 or tcp dst port 25", "len > 100", ""};
  size_t compared = 0, accepted = 0;
  for (bpfcap_target t : {BPFCAP_TARGET_EBPF_SOCKET, BPFCAP_TARGET_XDP}) {
    std::vector<std::string> list = exprs;
    if (t == BPFCAP_TARGET_XDP) list.push_back("vlan 100 and udp");  // no socket-side VLAN at XDP
    for (const std::string& e : list) {
      bpfcap_options opts;
      api.options_init(&opts);
      opts.target = t;
      opts.snaplen = 1000;
      bpfcap_program* p = api.compile(e.c_str(), &opts);
      ASSERT_TRUE(p && api.ok(p)) << e << ": " << (p ? api.error(p) : "NULL");
      const ebpf::Target kt = t == BPFCAP_TARGET_XDP ? ebpf::Target::kXdp : ebpf::Target::kSocketFilter;
      const auto* first = reinterpret_cast<const ebpf::Insn*>(api.ebpf_insns(p));
      const ebpf::Program prog(first, first + api.ebpf_length(p));
      ebpf::LoadedProgram loaded;
      std::string error;
      ASSERT_TRUE(ebpf::LoadedProgram::Load(prog, kt, &loaded, &error)) << e << ": " << error;
      for (const difftest::Packet* pk : packets) {
        if (t == BPFCAP_TARGET_XDP && pk->caplen() < 14) continue;
        const uint32_t n = pk->caplen();
        const uint32_t ran = api.run(p, pk->bytes.data(), n, n);
        uint32_t kernel = 0;
        ASSERT_TRUE(loaded.TestRun(pk->bytes, &kernel, &error)) << error;
        const uint32_t want = t == BPFCAP_TARGET_XDP
                                  ? static_cast<uint32_t>(ran != 0 ? ebpf::kXdpPass : ebpf::kXdpDrop)
                                  : ran;
        ASSERT_EQ(kernel, want) << e << " target " << t << ": " << difftest::DescribePacket(*pk);
        ++compared;
        accepted += ran != 0;
      }
      api.free_program(p);
    }
  }
  EXPECT_GT(compared, 30000u);
  EXPECT_GT(accepted, 3000u);
}

TEST(NativeApi, PlainCProgram) {
  for (const char* bin : {"native_c", "native_c_static"}) {
    std::string out, err;
    EXPECT_EQ(RunProgram({BuildDir() + "/tests/api/" + bin, "--checks"}, {}, &out, &err), 0) << bin << ": " << err;
    EXPECT_EQ(out, "ok\n") << bin;
    EXPECT_EQ(RunProgram({BuildDir() + "/tests/api/" + bin, "udp port 53", "LINUX_SLL"}, {}, &out, &err), 0);
    EXPECT_EQ(out, InProcessDump("udp port 53", 113, false)) << bin;
    EXPECT_EQ(RunProgram({BuildDir() + "/tests/api/" + bin, "tcp prot 80"}, {}, &out, &err), 1);
    EXPECT_EQ(out,
              "error: syntax error: unexpected 'prot' after 'tcp' (column 5, near 'prot') | column 5 | "
              "token 'prot' | code 1\n")
        << bin;
  }
}

TEST(NativeApiThreads, ConcurrentCompilesMatchSerial) {
  REQUIRE_LIBRARY();
  const std::vector<std::string>& exprs = Expressions();
  constexpr int kDlts[] = {1, 12, 113, 276, 0, 108};
  // Serial reference, in this thread.
  std::vector<std::string> want;
  for (const std::string& e : exprs) {
    for (int dlt : kDlts) want.push_back(api.Dump(e, dlt, BPFCAP_TARGET_CBPF));
  }
  constexpr int kThreads = 8;
  constexpr int kRounds = 4;
  std::atomic<int> mismatches{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      while (!go.load()) std::this_thread::yield();
      // Each thread walks the cases from a different start, so that at any
      // moment the threads compile different expressions.
      for (int round = 0; round < kRounds; ++round) {
        for (size_t i = 0; i < want.size(); ++i) {
          const size_t k = (i + static_cast<size_t>(t) * 7) % want.size();
          const std::string& e = exprs[k / std::size(kDlts)];
          const int dlt = kDlts[k % std::size(kDlts)];
          if (api.Dump(e, dlt, BPFCAP_TARGET_CBPF) != want[k]) ++mismatches;
        }
      }
    });
  }
  go = true;
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(mismatches.load(), 0);
}

}  // namespace
}  // namespace bpfcap::apitest
