// "protochain" on hand-built header chains: bpfcap's unrolled walk
// (ir.h, ValueKind::kProtoChain) against libpcap's loop, and what bpfcap does
// where the two differ by design: past the bound of ir::kProtoChainDepth
// headers, and on the AH chains where libpcap's bpf_filter never returns.
// libpcap's programs run in cbpf::RunWithBackwardJumps (with a step limit),
// and in libpcap's own bpf_filter wherever that run shows it ends. bpfcap's
// programs run in cbpf::Run and, as root, in the kernel (BPF_PROG_TEST_RUN)
// as socket filter and XDP programs.
#include <unistd.h>

#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "compiler/cbpf/cbpf.h"
#include "compiler/compile.h"
#include "compiler/ebpf/load.h"
#include "compiler/ir.h"
#include "tests/diff/compilers.h"

namespace bpfcap {
namespace {

using difftest::Compiled;
using difftest::Packet;

constexpr uint32_t kSnap = 262144;

// An Ethernet frame: addresses, EtherType, then `payload`.
Packet Frame(uint16_t ethertype, const std::vector<uint8_t>& payload) {
  Packet p;
  p.bytes = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, uint8_t(ethertype >> 8), uint8_t(ethertype)};
  p.bytes.insert(p.bytes.end(), payload.begin(), payload.end());
  p.wirelen = p.caplen();
  return p;
}

std::vector<uint8_t> Tcp() {
  std::vector<uint8_t> t(20, 0);
  t[1] = 80, t[3] = 80, t[12] = 0x50;
  return t;
}

// IPv6 with `n` extension headers of 8 bytes each (hop-by-hop first, then
// destination options, routing, fragment in turn), then TCP.
Packet Ipv6Chain(uint32_t n) {
  static constexpr uint8_t kExt[] = {60, 43, 44};
  std::vector<uint8_t> ip(40, 0);
  ip[0] = 0x60;
  ip[7] = 64;
  ip[8] = 0x20, ip[9] = 0x01, ip[10] = 0x0d, ip[11] = 0xb8;
  ip[6] = n == 0 ? 6 : 0;
  for (uint32_t i = 0; i < n; ++i) {
    const uint8_t next = i + 1 == n ? 6 : kExt[i % 3];
    const std::vector<uint8_t> ext = {next, 0, 1, 4, 0, 0, 0, 0};  // PadN, or a fragment
    ip.insert(ip.end(), ext.begin(), ext.end());
  }
  const std::vector<uint8_t> tcp = Tcp();
  ip.insert(ip.end(), tcp.begin(), tcp.end());
  ip[5] = uint8_t(ip.size() - 40);
  return Frame(0x86dd, ip);
}

// IPv4 (no options) carrying AH headers: `ah` lists each one's next header
// and length byte L (the header is (L + 2) * 4 bytes); TCP after them.
Packet Ipv4Ah(const std::vector<std::pair<uint8_t, uint8_t>>& ah) {
  std::vector<uint8_t> ip = {0x45, 0, 0, 0, 0, 1, 0x40, 0, 64, 51, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2};
  for (const auto& [next, len] : ah) {
    std::vector<uint8_t> h(4 * (len + 2u), 0);
    h[0] = next;
    h[1] = len;
    ip.insert(ip.end(), h.begin(), h.end());
  }
  const std::vector<uint8_t> tcp = Tcp();
  ip.insert(ip.end(), tcp.begin(), tcp.end());
  ip[3] = uint8_t(ip.size());
  return Frame(0x0800, ip);
}

// libpcap's verdict, or "loops" where its bpf_filter would never return.
struct LibVerdict {
  bool loops = false;
  uint32_t result = 0;
  uint32_t headers_walked = 0;
};

class ProtoChain : public ::testing::Test {
 protected:
  LibVerdict Libpcap(const std::string& expr, const Packet& p) {
    const Compiled c = lib_.Compile(expr, true, kNetmaskUnknown);
    EXPECT_TRUE(c.ok) << expr << ": " << c.error;
    const cbpf::LoopingRun r =
        cbpf::RunWithBackwardJumps(c.prog, p.bytes.data(), p.wirelen, p.caplen(), 1u << 20);
    if (r.stopped) return {true, 0, r.backward_jumps};
    EXPECT_EQ(difftest::LibpcapRun(c.prog, p), r.result) << expr;
    return {false, r.result, r.backward_jumps};
  }

  // bpfcap's verdict, optimized and unoptimized alike, and the same from
  // the kernel's eBPF programs when the test runs as root.
  uint32_t Ours(const std::string& expr, const Packet& p) {
    uint32_t results[2];
    for (bool optimize : {true, false}) {
      const Compiled c = difftest::OursCompile(expr, 1, kSnap, optimize, kNetmaskUnknown);
      EXPECT_TRUE(c.ok) << expr << ": " << c.error;
      std::string why;
      EXPECT_TRUE(cbpf::Validate(c.prog, &why, {.kernel_limits = true})) << expr << ": " << why;
      results[optimize] = difftest::OursRun(c.prog, p);
    }
    EXPECT_EQ(results[0], results[1]) << expr;
    if (geteuid() == 0) CheckKernel(expr, p, results[1]);
    return results[1];
  }

  void CheckKernel(const std::string& expr, const Packet& p, uint32_t want) {
    CompileOptions opts;
    for (ebpf::Target target : {ebpf::Target::kSocketFilter, ebpf::Target::kXdp}) {
      const EbpfCompileResult r = CompileEbpf(expr, opts, target);
      ASSERT_TRUE(r.diag.ok()) << expr << ": " << r.diag.message;
      ebpf::LoadedProgram prog;
      std::string error;
      ASSERT_TRUE(ebpf::LoadedProgram::Load(r.program, target, &prog, &error)) << expr << ": " << error;
      uint32_t got = 0;
      ASSERT_TRUE(prog.TestRun(p.bytes, &got, &error)) << expr << ": " << error;
      const uint32_t expected =
          target == ebpf::Target::kXdp ? uint32_t(want ? ebpf::kXdpPass : ebpf::kXdpDrop) : want;
      EXPECT_EQ(got, expected) << expr << (target == ebpf::Target::kXdp ? " (XDP)" : " (socket)");
    }
  }

  difftest::Libpcap lib_{1, kSnap};
};

TEST_F(ProtoChain, Ipv6ChainsUpToTheBoundGiveLibpcapsVerdict) {
  for (uint32_t n = 0; n <= ir::kProtoChainDepth; ++n) {
    const Packet p = Ipv6Chain(n);
    for (const char* expr : {"ip6 protochain 6", "protochain 6", "ip6 protochain 17",
                             "ip6 protochain 60", "not ip6 protochain 6", "ip protochain 6"}) {
      const LibVerdict lib = Libpcap(expr, p);
      ASSERT_FALSE(lib.loops) << expr;
      EXPECT_EQ(Ours(expr, p), lib.result) << expr << " with " << n << " extension headers";
    }
    EXPECT_EQ(Ours("ip6 protochain 6", p), kSnap) << n;
  }
}

// Past the bound bpfcap stops: the chain does not hold the protocol, where
// libpcap walks on and finds it. The walk still reads the first two bytes of
// the header it stops at, as libpcap's next step does, so a capture cut
// short there is rejected by both.
TEST_F(ProtoChain, PastTheBoundTheChainDoesNotHoldTheProtocol) {
  for (uint32_t n = ir::kProtoChainDepth + 1; n <= ir::kProtoChainDepth + 3; ++n) {
    const Packet p = Ipv6Chain(n);
    const LibVerdict lib = Libpcap("ip6 protochain 6", p);
    EXPECT_EQ(lib.result, kSnap);
    EXPECT_EQ(lib.headers_walked, n);
    EXPECT_EQ(Ours("ip6 protochain 6", p), 0u) << n;
    EXPECT_EQ(Ours("not ip6 protochain 6", p), kSnap) << n;
    // The header it stops at, cut after its next-header byte: libpcap's load
    // of its length fails, and so does bpfcap's.
    Packet cut = p;
    cut.bytes.resize(14 + 40 + 8 * ir::kProtoChainDepth + 1);
    EXPECT_EQ(Libpcap("not ip6 protochain 6", cut).result, 0u);
    EXPECT_EQ(Ours("not ip6 protochain 6", cut), 0u) << n;
    cut.bytes.push_back(0);  // the length byte too: not found, for both
    EXPECT_EQ(Ours("not ip6 protochain 6", cut), kSnap) << n;
  }
}

// libpcap takes the offset after an AH header as (L + 2) * 4 from the start
// of the IP header. With no IPv4 options and L = 3 that is the AH header
// itself: when it names AH as its next header, libpcap's loop never ends
// (bpf_filter does not return). bpfcap walks it kProtoChainDepth times and
// ends: not found.
TEST_F(ProtoChain, AhPointingAtItselfLoopsInLibpcapAndEndsInBpfcap) {
  const Packet p = Ipv4Ah({{51, 3}});
  for (const char* expr : {"ip protochain 6", "protochain 17"}) {
    EXPECT_TRUE(Libpcap(expr, p).loops) << expr;
    EXPECT_EQ(Ours(expr, p), 0u) << expr;
    EXPECT_EQ(Ours(std::string("not ") + expr, p), kSnap) << expr;
  }
  EXPECT_EQ(Ours("ip protochain 51", p), kSnap);  // found before any step
}

// The same arithmetic on ordinary AH chains: what libpcap finds, bpfcap finds.
TEST_F(ProtoChain, AhChainsFollowLibpcapsArithmetic) {
  struct Case {
    std::vector<std::pair<uint8_t, uint8_t>> ah;
    const char* expr;
  };
  const Case cases[] = {
      {{{6, 4}}, "ip protochain 6"},         // one AH (96-bit ICV), then TCP
      {{{6, 4}}, "ip protochain 17"},
      {{{51, 4}, {6, 4}}, "ip protochain 6"},  // the second AH is read at offset 24
      {{{51, 7}, {6, 4}}, "ip protochain 6"},
      {{{51, 1}, {6, 4}}, "ip protochain 6"},
      {{{51, 5}}, "ip protochain 51"},
  };
  for (const Case& c : cases) {
    const Packet p = Ipv4Ah(c.ah);
    const LibVerdict lib = Libpcap(c.expr, p);
    ASSERT_FALSE(lib.loops) << c.expr;
    EXPECT_EQ(Ours(c.expr, p), lib.result) << c.expr << " on " << difftest::DescribePacket(p);
  }
}

// The programs jump forward only, and stay a few times libpcap's loop.
TEST_F(ProtoChain, ProgramsAreForwardOnlyAndBounded) {
  const struct {
    const char* expr;
    size_t max_insns;
  } kSizes[] = {{"ip protochain 6", 80}, {"ip6 protochain 6", 160}, {"protochain 6", 230}};
  for (const auto& s : kSizes) {
    const Compiled c = difftest::OursCompile(s.expr, 1, kSnap, true, kNetmaskUnknown);
    ASSERT_TRUE(c.ok) << s.expr;
    for (const cbpf::Insn& i : c.prog) {
      if (i.code == (BPF_JMP | BPF_JA)) {
        EXPECT_LT(i.k, 0x80000000u) << s.expr;
      }
    }
    EXPECT_LE(c.prog.size(), s.max_insns) << s.expr << ":\n" << cbpf::DumpAsm(c.prog);
  }
}

// BACnet MS/TP places the network layer "before" the frame (libpcap adds its
// unset offset, -1, twice; proto/linktypes.h): the first next-header is read
// at [4] and tested, and a step past a header loads at [x + 0xfffffffe],
// which bpf_filter rejects. The first type can still decide the walk: found
// (or not walkable) without any load. (The differential suite's packet: an
// IPv6 header from byte 2 whose byte 4 is 6.)
TEST(ProtoChainBeforeTheFrame, TheFirstTypeDecidesWithoutALoad) {
  constexpr int kBacnet = 165;
  difftest::Libpcap lib(kBacnet, kSnap);
  Packet p;
  p.bytes = {0x55, 0xff, 0x04, 0x55, 0x06, 0x00, 0x00, 0xb6, 0x60, 0x00, 0x00, 0x00, 0x00, 0x3c, 0x29, 0xc6,
             0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05,
             0xfe, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
             0x60, 0x0b, 0x00, 0x00, 0x00, 0x14, 0x06, 0x40};
  p.wirelen = p.caplen();
  int accepted = 0, rejected_by_load = 0;
  for (uint8_t first : {6, 17, 0, 43, 51, 59}) {
    p.bytes[4] = first;
    for (const char* expr : {"ip6 protochain 6", "not ip6 protochain 6", "ip6 protochain 17",
                             "protochain 6", "ip protochain 6"}) {
      const Compiled l = lib.Compile(expr, true, kNetmaskUnknown);
      ASSERT_TRUE(l.ok) << expr << ": " << l.error;
      const cbpf::LoopingRun r =
          cbpf::RunWithBackwardJumps(l.prog, p.bytes.data(), p.wirelen, p.caplen(), 1u << 20);
      ASSERT_FALSE(r.stopped) << expr;
      for (bool optimize : {true, false}) {
        const Compiled c = difftest::OursCompile(expr, kBacnet, kSnap, optimize, kNetmaskUnknown);
        ASSERT_TRUE(c.ok) << expr << ": " << c.error;
        std::string why;
        EXPECT_TRUE(cbpf::Validate(c.prog, &why, {.kernel_limits = true})) << expr << ": " << why;
        EXPECT_EQ(difftest::OursRun(c.prog, p), r.result)
            << expr << " (optimize " << optimize << "), first type " << int(first) << ":\n"
            << cbpf::DumpAsm(c.prog);
      }
      if (std::string(expr) == "ip6 protochain 6") {
        accepted += r.result != 0;
        rejected_by_load += r.result == 0 && first != 17 && first != 59;
      }
    }
  }
  EXPECT_EQ(accepted, 1);          // first type 6
  EXPECT_EQ(rejected_by_load, 3);  // 0, 43, 51: the walk's first load
}

}  // namespace
}  // namespace bpfcap
