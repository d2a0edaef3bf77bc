// The eBPF programs against the cBPF interpreter, in the real kernel.
//
// For every expression of the differential corpus's "accept" section
// (tests/diff/exprs.txt) on EN10MB, optimized and unoptimized:
//   - CompileEbpf must accept exactly when Compile does, with the same error;
//   - the SOCKET_FILTER and the XDP program must pass the kernel verifier;
//   - under BPF_PROG_TEST_RUN each must give the verdict cbpf::Run gives the
//     cBPF program of the same expression, on a sample of the generated
//     packets (tests/diff/packets.h): the socket filter the same return
//     value, the XDP program XDP_PASS where cBPF accepts, XDP_DROP where it
//     rejects.
// The kernel has no snap length: a program sees the bytes it is given and
// `len` is their number. So the reference runs cBPF with wirelen = caplen;
// truncated packets still test loads past the end. XDP cannot be test-run on
// frames shorter than 14 bytes (load.h); those are counted, not run.
//
// Besides the corpus, kEdgeCases: what only the eBPF back end finds hard.
//
// The other link types a socket filter sees (CookedAndRawLinkTypes):
// LINUX_SLL and LINUX_SLL2, the cooked headers of "-i any" captures, and
// RAW. The socket filter only (XDP refuses them, which is checked), the
// corpus expressions that compile for the link type, optimized, on a
// smaller sample of that link type's generated packets: a few seconds.
//
// A program that reads the kernel's ancillary data (the packet type of
// "inbound" on RAW, which has no header field for it) reads what the test
// run's skb holds, which cbpf::Run cannot know: its verdicts are not
// compared here but in socket_test.cc, on live sockets against the cBPF
// program in the kernel. It is still loaded and verified.
//
// Sampling, to keep the run short: per program, up to kAccepted packets that
// cBPF accepts and kRejected that it rejects, half of the latter from short
// captures (the truncated ones), spread over the 40,000 packets and shifted
// per expression so that the corpus covers them all.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "compiler/cbpf/cbpf.h"
#include "compiler/compile.h"
#include "compiler/ebpf/load.h"
#include "compiler/ebpf/print.h"
#include "tests/diff/corpus.h"
#include "tests/diff/packets.h"

namespace bpfcap::ebpf {
namespace {

using difftest::Packet;

// Packets run per program: accepted by cBPF, rejected (half of them short).
struct SampleSize {
  size_t accepted;
  size_t rejected;
};
constexpr SampleSize kEthernetSample = {500, 900};
constexpr SampleSize kOtherSample = {100, 150};
constexpr uint32_t kShort = 80;  // captures up to this long count as truncated

// Expressions that stress the eBPF code generator where the corpus does not:
// spills (deeper than the value registers), loads near and past XDP's
// 64 KiB bound and far beyond any packet, offsets that wrap in 32 bits,
// divisors and shift counts read from the packet.
const char* const kEdgeCases[] = {
    "ip[0] + (ip[1] + (ip[2] + (ip[3] + (ip[4] + (ip[5] + ip[6]))))) = 10",
    "(ip[0] - ip[1]) * (ip[2] - (ip[3] ^ (ip[4] | (ip[5] & ip[6])))) > 7",
    "ip[0] / (ip[1] % (ip[2] / (ip[3] + (ip[4] - ip[5])))) > 0",
    "(ip[0] >> ip[1]) << ip[2] = 0",
    "ip[0] << (ip[9] & 0x3f) > 0",
    "ip[1] >> ip[0] = 0",
    "len << (16 + 16) = 0",      // a constant shift past 31: every bit out
    "ip[0] >> (20 + 20) != 0",
    "-ip[0] = 0xffffffc5",
    "ether[40000] = 0",
    "ether[32766:2] = 0",
    "ether[65533:2] = 0",
    "ether[65534:2] = 0",
    "ether[0x7fffffff] = 1",
    "ether[0xfffffffe] = 1",
    "tcp[65500:2] = 1",
    "len - 100 > 0x7fffffff",
    "ip[len - 20] = 0",
    "ether[len - 1] = 0",
    "ether[len - 1] = 0 or ether[len - 2:2] = 0",
    "ether[ether[0]:2] = 0x1234",
    "ether[ether[0] * 0x1000000] = 1",
    "tcp[tcp[0] * 256] = 1",
    "ip[2:2] * 0x10000 + ip[2:2] = 0x00540054",
    "len * len > 4000",
};

// Direction and interface: header fields of the cooked link types
// (compared), the kernel's ancillary data on RAW (verified only).
const char* const kLinkEdgeCases[] = {
    "inbound", "outbound and ip", "inbound and udp port 53", "ifindex 2", "not ifindex 1 and tcp",
};

uint32_t Reference(const cbpf::Program& prog, const Packet& p) {
  static const uint8_t kEmpty[1] = {0};
  return cbpf::Run(prog, p.bytes.empty() ? kEmpty : p.bytes.data(), p.caplen(), p.caplen());
}

// Indices of the packets to run, given the cBPF verdicts on all of them.
std::vector<size_t> Sample(const std::vector<Packet>& packets, const std::vector<uint32_t>& want,
                           size_t shift, SampleSize size) {
  std::vector<size_t> accepted, rejected_short, rejected_long;
  for (size_t j = 0; j < packets.size(); ++j) {
    const size_t i = (j + shift) % packets.size();
    if (want[i] != 0) {
      accepted.push_back(i);
    } else {
      (packets[i].caplen() <= kShort ? rejected_short : rejected_long).push_back(i);
    }
  }
  auto take = [](const std::vector<size_t>& from, size_t n, std::vector<size_t>* to) {
    if (from.empty()) return;
    const size_t step = std::max<size_t>(1, from.size() / n);
    for (size_t k = 0; k < from.size() && k / step < n; k += step) to->push_back(from[k]);
  };
  std::vector<size_t> out;
  take(accepted, size.accepted, &out);
  take(rejected_short, size.rejected / 2, &out);
  take(rejected_long, size.rejected / 2, &out);
  return out;
}

// True if the program reads the kernel's ancillary data.
bool ReadsAncillary(const cbpf::Program& prog) {
  for (const cbpf::Insn& i : prog) {
    if (BPF_CLASS(i.code) == BPF_LD && BPF_MODE(i.code) == BPF_ABS && cbpf::IsAncillaryField(i.k)) {
      return true;
    }
  }
  return false;
}

struct Totals {
  size_t expressions = 0, skipped = 0, verified = 0, packets = 0, xdp_too_short = 0;
  size_t ancillary = 0;  // programs verified but not compared (see above)
  uint64_t max_processed = 0, insns = 0;
  std::string max_processed_expr;
};

// Loads `prog` and compares it with the reference on the sample; returns
// false after reporting the first problem.
bool CheckProgram(const std::string& expr, bool optimize, Target target,
                  const ebpf::Program& prog, const cbpf::Program& ref,
                  const std::vector<Packet>& packets, const std::vector<uint32_t>& want,
                  const std::vector<size_t>& sample, Totals* totals) {
  const char* what = target == Target::kXdp ? "xdp" : "socket filter";
  const std::string where = std::string(what) + (optimize ? " opt" : " unopt") + ": " + expr;
  const bool compare = !ReadsAncillary(ref);
  LoadedProgram loaded;
  std::string error;
  uint64_t processed = 0;
  if (!LoadedProgram::Load(prog, target, &loaded, &error, &processed)) {
    ADD_FAILURE() << "verifier refused " << where << "\n" << Dump(prog) << error;
    return false;
  }
  ++totals->verified;
  totals->insns += prog.size();
  if (processed > totals->max_processed) {
    totals->max_processed = processed;
    totals->max_processed_expr = where;
  }
  if (!compare) {
    ++totals->ancillary;
    return true;
  }
  for (size_t i : sample) {
    const Packet& p = packets[i];
    if (target == Target::kXdp && p.caplen() < 14) {
      ++totals->xdp_too_short;
      continue;
    }
    uint32_t got = 0;
    if (!loaded.TestRun(p.bytes, &got, &error)) {
      ADD_FAILURE() << where << ": " << error;
      return false;
    }
    ++totals->packets;
    const uint32_t expected =
        target == Target::kXdp ? uint32_t(want[i] ? kXdpPass : kXdpDrop) : want[i];
    if (got != expected) {
      ADD_FAILURE() << where << ": packet #" << i << " " << difftest::DescribePacket(p)
                    << "\n  cBPF returns " << want[i] << ", eBPF " << got << " (want " << expected
                    << ")\n  cBPF program:\n"
                    << cbpf::DumpAsm(ref) << "  eBPF program:\n"
                    << Dump(prog);
      return false;
    }
  }
  return true;
}

#define SKIP_UNLESS_ROOT()                                                             \
  if (geteuid() != 0) {                                                                \
    GTEST_SKIP() << "needs root (CAP_BPF, CAP_PERFMON) to load eBPF programs and run " \
                    "BPF_PROG_TEST_RUN; run the tests as root";                        \
  }

std::vector<std::string> CorpusAccepts() {
  std::vector<std::string> exprs;
  for (const difftest::CorpusEntry& e : difftest::Corpus()) {
    if (e.expect == difftest::Expect::kAccept) exprs.push_back(e.expr);
  }
  return exprs;
}

// Runs `exprs` on link type `dlt` for the targets and optimizer modes
// given; counts into *totals and returns the number of failing programs
// (stops at 10).
size_t CheckLinkType(int dlt, const std::vector<std::string>& exprs, bool with_xdp,
                     const std::vector<bool>& modes, SampleSize size, size_t packet_count,
                     Totals* totals) {
  const std::vector<Packet> packets =
      difftest::GeneratePackets(dlt, difftest::kDefaultSeed, packet_count);
  size_t failures = 0, n = 0;
  for (const std::string& expr : exprs) {
    ++totals->expressions;
    for (bool optimize : modes) {
      CompileOptions opts;
      opts.dlt = dlt;
      opts.optimize = optimize;
      const CompileResult ref = Compile(expr, opts);
      const EbpfCompileResult sf = CompileEbpf(expr, opts, Target::kSocketFilter);
      EXPECT_EQ(sf.diag.message, ref.diag.message) << expr;
      if (!ref.diag.ok() || !sf.diag.ok()) {
        ++totals->skipped;  // not supported yet, or rejects all packets
        continue;
      }
      std::vector<uint32_t> want(packets.size());
      for (size_t i = 0; i < packets.size(); ++i) want[i] = Reference(ref.program, packets[i]);
      const std::vector<size_t> sample = Sample(packets, want, 7919 * n++, size);
      if (!CheckProgram(expr, optimize, Target::kSocketFilter, sf.program, ref.program, packets,
                        want, sample, totals)) {
        ++failures;
      }
      if (with_xdp) {
        const EbpfCompileResult xdp = CompileEbpf(expr, opts, Target::kXdp);
        if (ReadsAncillary(ref.program) && !xdp.diag.ok()) {
          ++totals->ancillary;  // "inbound" and the like: refused at XDP
        } else if (!xdp.diag.ok()) {
          ADD_FAILURE() << "xdp: " << expr << ": " << xdp.diag.message;
          ++failures;
        } else if (!CheckProgram(expr, optimize, Target::kXdp, xdp.program, ref.program, packets,
                                 want, sample, totals)) {
          ++failures;
        }
      }
      if (failures >= 10) {
        ADD_FAILURE() << "stopping after 10 failing programs";
        return failures;
      }
    }
  }
  return failures;
}

void Report(const char* what, const Totals& totals, double secs) {
  std::printf("[ebpf] %s: %zu expressions, %zu programs verified by the kernel (%llu "
              "instructions), %zu (expression, mode) pairs bpfcap refuses, %zu programs reading "
              "ancillary data not compared; %zu packets compared, %zu XDP runs skipped (frame < "
              "14 bytes); %.1f s\n",
              what, totals.expressions, totals.verified,
              static_cast<unsigned long long>(totals.insns), totals.skipped, totals.ancillary,
              totals.packets, totals.xdp_too_short, secs);
  std::printf("[ebpf] most verifier work: %llu instructions processed, %.200s\n",
              static_cast<unsigned long long>(totals.max_processed),
              totals.max_processed_expr.c_str());
}

double Since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

TEST(EbpfEquivalence, CorpusVerdictsMatchCbpfInTheKernel) {
  SKIP_UNLESS_ROOT();
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<std::string> exprs = CorpusAccepts();
  ASSERT_GT(exprs.size(), 400u) << "corpus at " << difftest::CorpusPath();
  exprs.insert(exprs.end(), std::begin(kEdgeCases), std::end(kEdgeCases));
  Totals totals;
  const size_t failures = CheckLinkType(1, exprs, /*with_xdp=*/true, {true, false},
                                        kEthernetSample, difftest::kPacketsPerLinkType, &totals);
  Report("EN10MB", totals, Since(t0));
  EXPECT_GT(totals.verified, 1000u);
  EXPECT_EQ(failures, 0u);
}

// The cooked headers of "-i any" sockets and raw IP, socket filter only.
TEST(EbpfEquivalence, CookedAndRawLinkTypes) {
  SKIP_UNLESS_ROOT();
  std::vector<std::string> exprs = CorpusAccepts();
  ASSERT_GT(exprs.size(), 400u) << "corpus at " << difftest::CorpusPath();
  exprs.insert(exprs.end(), std::begin(kLinkEdgeCases), std::end(kLinkEdgeCases));
  for (const auto& [dlt, name] : {std::pair{113, "LINUX_SLL"}, std::pair{276, "LINUX_SLL2"},
                                  std::pair{12, "RAW"}}) {
    const auto t0 = std::chrono::steady_clock::now();
    Totals totals;
    const size_t failures =
        CheckLinkType(dlt, exprs, /*with_xdp=*/false, {true}, kOtherSample, 10000, &totals);
    Report(name, totals, Since(t0));
    EXPECT_GT(totals.verified, 250u) << name;
    EXPECT_GT(totals.packets, 50000u) << name;
    if (dlt == 12) {
      // kLinkEdgeCases' five, and any corpus expression reading the kernel's
      // packet type or ifindex (only loaded and verified, not compared).
      EXPECT_GE(totals.ancillary, 5u) << name;
    }
    EXPECT_EQ(failures, 0u) << name;
    CompileOptions opts;
    opts.dlt = dlt;
    EXPECT_EQ(CompileEbpf("ip", opts, Target::kXdp).diag.message,
              std::string("XDP programs see Ethernet frames only, not link type ") + name);
  }
}

// 802.11 (and FDDI): offsets computed at run time from radio headers and the
// frame control field, as plain IR values. XDP and a live socket only ever
// see Ethernet, but the socket filter runs on whatever bytes it is given:
// run the 802.11 corpus's "accept" section on each link type's generated
// frames (fewer expressions on the minor ones).
TEST(EbpfEquivalence, WlanLinkTypesMatchCbpfInTheKernel) {
  SKIP_UNLESS_ROOT();
  std::vector<std::string> all;
  for (const difftest::CorpusEntry& e : difftest::WlanCorpus()) {
    if (e.expect == difftest::Expect::kAccept) all.push_back(e.expr);
  }
  ASSERT_GT(all.size(), 150u) << "corpus at " << difftest::WlanCorpusPath();
  struct Link {
    int dlt;
    const char* name;
    size_t stride;  // every stride-th expression
  };
  static constexpr Link kLinks[] = {{127, "IEEE802_11_RADIO", 1}, {119, "PRISM_HEADER", 2},
                                    {105, "IEEE802_11", 4},       {192, "PPI", 4},
                                    {163, "IEEE802_11_RADIO_AVS", 6}, {10, "FDDI", 6}};
  for (const Link& link : kLinks) {
    std::vector<std::string> exprs;
    for (size_t k = 0; k < all.size(); k += link.stride) exprs.push_back(all[k]);
    const auto t0 = std::chrono::steady_clock::now();
    Totals totals;
    const size_t failures =
        CheckLinkType(link.dlt, exprs, /*with_xdp=*/false, {true, false}, kOtherSample, 1500, &totals);
    Report(link.name, totals, Since(t0));
    EXPECT_GT(totals.verified, exprs.size()) << link.name;
    EXPECT_EQ(failures, 0u) << link.name;
  }
}

// The link types with headers of their own, as socket filters on their own
// frames (XDP sees Ethernet only): pflog's variable header length (loads
// indexed by a computed offset, the length-byte probe), SunATM before and
// after "lane", the SS7 fields.
TEST(EbpfEquivalence, LinkTypeKeywordsOnTheirOwnFrames) {
  SKIP_UNLESS_ROOT();
  const std::pair<int, std::vector<std::string>> kCases[] = {
      {117, {"ip", "tcp port 80", "ip[0] & 0xf > 5", "tcp[13] & 2 != 0", "ip6 host 2001:db8::1",
             "len > 100 or ip[0] = 0x45", "ifname em0 and udp", "rset foo or reason 2",
             "action block and not inbound", "icmp6[0] = 128", "ip[ip[0] & 0xf] = 0"}},
      {123, {"ip", "lane and tcp port 80", "lane and ether host 00:11:22:33:44:55", "vpi 0 and vci 5",
             "connectmsg", "oam or ilmic", "vci != 5", "lane and lane and ip", "llc i", "isis"}},
      {140, {"fisu", "lssu", "msu and sio 3", "opc 5 or dpc 1000", "sls > 7", "hmsu and hsio 0x83",
             "sio != 3"}},
  };
  for (const auto& [dlt, exprs] : kCases) {
    const auto t0 = std::chrono::steady_clock::now();
    Totals totals;
    const size_t failures =
        CheckLinkType(dlt, exprs, /*with_xdp=*/false, {true, false}, kOtherSample, 4000, &totals);
    Report(std::to_string(dlt).c_str(), totals, Since(t0));
    EXPECT_EQ(totals.skipped, 0u) << dlt;
    EXPECT_EQ(failures, 0u) << dlt;
  }
}

// geneve behind a link header of run-time length: on 802.11 each layout of
// the radio and MAC headers stores the inner offsets in slots; on pflog
// they start past the header's length. Socket filters on the link types'
// own frames (whose generators put Geneve in outer IP on purpose on 802.11),
// with two "geneve"s, one's slots read when the other failed.
TEST(EbpfEquivalence, GeneveBehindRunTimeLinkHeaders) {
  SKIP_UNLESS_ROOT();
  const std::vector<std::string> exprs = {
      "geneve", "geneve 5 and ip host 10.0.0.1", "geneve and tcp port 80", "not geneve and ip",
      "geneve and ether multicast", "ip6 and geneve and ip6", "(tcp or geneve) and ip",
      "geneve and (ip or geneve 7) and tcp", "(geneve 5 or geneve 7) and ether src 2:0:0:0:0:1"};
  for (int dlt : {117, 127, 119, 105, 192, 163}) {
    const auto t0 = std::chrono::steady_clock::now();
    Totals totals;
    const size_t failures =
        CheckLinkType(dlt, exprs, /*with_xdp=*/false, {true, false}, kOtherSample, 3000, &totals);
    Report((std::to_string(dlt) + " geneve").c_str(), totals, Since(t0));
    EXPECT_EQ(totals.skipped, 0u) << dlt;
    EXPECT_EQ(failures, 0u) << dlt;
  }
}

}  // namespace
}  // namespace bpfcap::ebpf
