// libbpfcap_pcap against libpcap: the same C programs (compat_run.c,
// compat_fixed.c), compiled against the installed <pcap/pcap.h> and linked
// once with -lpcap and once with -lbpfcap_pcap, must print the same thing.
//
//   - CompatFixed: the API contracts that do not depend on the compiler
//     (dumps of hand-written programs, bpf_image, bpf_validate, bpf_filter,
//     pcap_offline_filter, handles, errors, link type names): byte-equal.
//   - CompatRun.Verdicts: the expression corpus of the differential suite on
//     the packets it generates, for its six link types: same expressions
//     compile, same verdict on every packet (unoptimized, where libpcap's
//     verdicts are the reference; see README "Deliberate differences").
//   - CompatRun.CompilesOptimized: optimized, the same expressions compile.
//   - CompatRun.DumpIsBpfcaps: bpf_dump/bpf_image through libbpfcap_pcap print
//     exactly what `bpfcap -d/-dd/-ddd` prints.
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "compiler/compile.h"
#include "tests/api/child.h"
#include "tests/diff/compilers.h"
#include "tests/diff/packets.h"

namespace bpfcap::apitest {
namespace {

constexpr size_t kPackets = 1500;

std::string Bin(const std::string& name) { return BuildDir() + "/tests/api/" + name; }

std::string TempPath(const std::string& name) {
  return "/tmp/bpfcap_api_" + std::to_string(getpid()) + "_" + name;
}

// The differential corpus, minus what bpfcap refuses on purpose.
std::vector<std::string> CorpusExpressions() {
  std::ifstream f("tests/diff/exprs.txt");
  std::vector<std::string> out;
  std::string line;
  bool skip = false;
  while (std::getline(f, line)) {
    if (line.rfind("#@ expect:", 0) == 0) {
      skip = line.find("bpfcap-rejects") != std::string::npos ||
             line.find("libpcap-bug") != std::string::npos;
      continue;
    }
    if (line.empty() || line[0] == '#' || skip) continue;
    out.push_back(line);
  }
  return out;
}

// The corpus for one link type without what bpfcap does not support yet
// there (the differential suite defers those too).
std::vector<std::string> SupportedExpressions(int dlt, uint32_t snaplen) {
  std::vector<std::string> out;
  for (const std::string& e : CorpusExpressions()) {
    CompileOptions opts;
    opts.dlt = dlt;
    opts.snaplen = snaplen;
    opts.optimize = false;
    const CompileResult r = Compile(e, opts);
    if (r.diag.message.find("is not supported by bpfcap yet") == std::string::npos) out.push_back(e);
  }
  return out;
}

bool WriteLines(const std::string& path, const std::vector<std::string>& lines) {
  std::ofstream f(path);
  for (const std::string& l : lines) f << l << "\n";
  return static_cast<bool>(f);
}

// First line where a and b differ, for a readable failure.
std::string FirstDifference(const std::string& a, const std::string& b) {
  std::istringstream sa(a), sb(b);
  std::string la, lb;
  for (int n = 1;; ++n) {
    const bool ga = static_cast<bool>(std::getline(sa, la));
    const bool gb = static_cast<bool>(std::getline(sb, lb));
    if (!ga && !gb) return "(no difference)";
    if (!ga || !gb || la != lb) {
      return "line " + std::to_string(n) + "\n  libpcap: " + (ga ? la.substr(0, 300) : "(end)") +
             "\n  bpfcap:  " + (gb ? lb.substr(0, 300) : "(end)");
    }
  }
}

TEST(CompatFixed, SameOutputAsLibpcap) {
  std::string lp, bp, err;
  ASSERT_EQ(RunProgram({Bin("compat_fixed.libpcap")}, {}, &lp, &err), 0) << err;
  ASSERT_EQ(RunProgram({Bin("compat_fixed.bpfcap")}, {}, &bp, &err), 0) << err;
  EXPECT_GT(lp.size(), 1000u);
  EXPECT_TRUE(lp == bp) << FirstDifference(lp, bp);
}

TEST(CompatFixed, RunsBpfcapNotLibpcap) {
  // Guards the comparison above: the .bpfcap build must not load libpcap.
  std::string out;
  ASSERT_EQ(RunProgram({"ldd", Bin("compat_fixed.bpfcap")}, {}, &out, nullptr), 0);
  EXPECT_EQ(out.find("libpcap"), std::string::npos) << out;
  EXPECT_NE(out.find("libbpfcap_pcap.so.0"), std::string::npos) << out;
}

class CompatRun : public ::testing::Test {
 protected:
  void SetUp() override { exprs_ = TempPath("exprs.txt"); }
  void TearDown() override { unlink(exprs_.c_str()); }
  std::string exprs_;
};

TEST_F(CompatRun, Verdicts) {
  ASSERT_GT(CorpusExpressions().size(), 500u);
  for (const difftest::DiffLinkType& lt : difftest::DiffLinkTypes()) {
    if (lt.minor()) continue;  // the differential suite covers those
    const std::string pcap = TempPath(std::string(lt.name) + ".pcap");
    ASSERT_TRUE(WritePcap(pcap, lt.dlt, difftest::GeneratePackets(lt.dlt, difftest::kDefaultSeed, kPackets)));
    // Without "protochain": libpcap's bpf_filter never returns on some of
    // the generated AH chains (diff_test.cc runs those with a bound). And
    // without the programs that read scratch memory no path stored ("geneve
    // or ip6"): bpf_filter reads its stack there, so libpcap's verdict is
    // not defined (diff_test.cc runs those with zeroed memory).
    difftest::Libpcap lib(lt.dlt, lt.snaplen);
    std::vector<std::string> exprs;
    for (const std::string& e : SupportedExpressions(lt.dlt, lt.snaplen)) {
      if (e.find("protochain") != std::string::npos) continue;
      const difftest::Compiled c = lib.Compile(e, false, PCAP_NETMASK_UNKNOWN);
      if (c.ok && difftest::ReadsUnstoredScratch(c.prog)) {
        EXPECT_NE(e.find("geneve"), std::string::npos) << lt.name << ": " << e;  // only geneve's
        continue;
      }
      exprs.push_back(e);
    }
    ASSERT_TRUE(WriteLines(exprs_, exprs));
    const std::vector<std::string> args = {"verdicts", std::to_string(lt.dlt),
                                           std::to_string(lt.snaplen), "0", pcap, exprs_};
    std::vector<std::string> lp_argv = {Bin("compat_run.libpcap")}, bp_argv = {Bin("compat_run.bpfcap")};
    lp_argv.insert(lp_argv.end(), args.begin(), args.end());
    bp_argv.insert(bp_argv.end(), args.begin(), args.end());
    std::string lp, bp, err;
    ASSERT_EQ(RunProgram(lp_argv, {}, &lp, &err), 0) << err;
    ASSERT_EQ(RunProgram(bp_argv, {}, &bp, &err), 0) << err;
    unlink(pcap.c_str());
    EXPECT_TRUE(lp == bp) << lt.name << ": " << FirstDifference(lp, bp);
    // The corpus exercised both outcomes.
    EXPECT_NE(bp.find("OK "), std::string::npos);
    EXPECT_NE(bp.find("\tERR"), std::string::npos);
    EXPECT_EQ(bp.find("differs"), std::string::npos) << lt.name;
    EXPECT_EQ(bp.find("(no message)"), std::string::npos) << lt.name;
    EXPECT_EQ(bp.find("validate 0"), std::string::npos) << lt.name;
  }
}

TEST_F(CompatRun, CompilesOptimized) {
  // Without packets: only which expressions compile is compared.
  const std::string empty = TempPath("empty.pcap");
  ASSERT_TRUE(WritePcap(empty, 1, {}));
  for (const difftest::DiffLinkType& lt : difftest::DiffLinkTypes()) {
    if (lt.minor()) continue;  // the differential suite covers those
    ASSERT_TRUE(WriteLines(exprs_, SupportedExpressions(lt.dlt, lt.snaplen)));
    const std::vector<std::string> args = {"verdicts", std::to_string(lt.dlt),
                                           std::to_string(lt.snaplen), "1", empty, exprs_};
    std::vector<std::string> lp_argv = {Bin("compat_run.libpcap")}, bp_argv = {Bin("compat_run.bpfcap")};
    lp_argv.insert(lp_argv.end(), args.begin(), args.end());
    bp_argv.insert(bp_argv.end(), args.begin(), args.end());
    std::string lp, bp, err;
    ASSERT_EQ(RunProgram(lp_argv, {}, &lp, &err), 0) << err;
    ASSERT_EQ(RunProgram(bp_argv, {}, &bp, &err), 0) << err;
    EXPECT_TRUE(lp == bp) << lt.name << ": " << FirstDifference(lp, bp);
  }
  unlink(empty.c_str());
}

TEST_F(CompatRun, DumpIsBpfcaps) {
  const std::vector<std::string> exprs = {
      "tcp port 80 and host 10.0.0.1", "vlan and ip", "icmp[icmptype] == icmp-echo",
      "tcp[tcpflags] & tcp-syn != 0", "ip6 and udp", "not arp and (port 22 or port 443)", ""};
  ASSERT_TRUE(WriteLines(exprs_, exprs));
  for (const char* link : {"EN10MB", "LINUX_SLL2"}) {
    for (const char* opt : {"1", "0"}) {
      const int dlt = std::string(link) == "EN10MB" ? 1 : 276;
      std::string got, err;
      ASSERT_EQ(RunProgram({Bin("compat_run.bpfcap"), "dump", std::to_string(dlt), "262144", opt, exprs_}, {},
                    &got, &err),
                0)
          << err;
      std::string want;
      for (const std::string& e : exprs) {
        want += "# " + e + "\n";
        std::string asm_text;
        for (const char* flag : {"-d", "-dd", "-ddd"}) {
          std::vector<std::string> argv = {BuildDir() + "/bpfcap", flag, "-y", link};
          if (std::string(opt) == "0") argv.push_back("-O");
          argv.push_back(e);
          std::string text;
          if (RunProgram(argv, {}, &text, &err) != 0) {  // compat_run prints "ERR"
            want += "ERR\n";
            break;
          }
          want += text;
          if (std::string(flag) == "-d") asm_text = text;
        }
        // bpf_image renders a -d line: "(000) ldh      [12]".
        std::istringstream lines(asm_text);
        std::string l;
        while (std::getline(lines, l)) want += l + "\n";
      }
      EXPECT_TRUE(got == want) << link << " opt " << opt << ": " << FirstDifference(want, got);
    }
  }
}

}  // namespace
}  // namespace bpfcap::apitest
