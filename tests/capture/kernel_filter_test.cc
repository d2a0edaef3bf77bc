// Filters as the kernel runs them. First the rewrite for cooked sockets as
// text (expression → adapted program, or the reason it can't be adapted);
// then the proof that counts: on real traffic in a private namespace, every
// adapted program in the kernel selects exactly the packets our interpreter
// selects with the original program on the SLL2 packets of an unfiltered
// "any" capture.
#include "capture/kernel_filter.h"

#include <gtest/gtest.h>
#include <arpa/inet.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "compiler/cbpf/cbpf.h"
#include "tests/capture/ring_helpers.h"
#include "tests/integration/netns.h"

namespace bpfcap::capture::test {
namespace {

using bpfcap::test::NetnsPair;
using cbpf::Insn;
using cbpf::Program;
using cbpf::Stmt;

std::string Adapted(const Program& prog) {
  CookedAdaptation a = AdaptForCooked(prog);
  return a.program ? cbpf::DumpAsm(*a.program) : "not adaptable: " + a.reason + "\n";
}

struct AdaptCase {
  const char* expr;      // compiled for LINUX_SLL2
  const char* expected;  // DumpAsm of the adapted program, or the reason
};

// SKF_AD_OFF + SKF_AD_PROTOCOL prints as [proto], PKTTYPE [type],
// IFINDEX [ifidx], HATYPE [hatype].
const AdaptCase kAdaptCases[] = {
    {"ip",
     "(000) ld       [proto]\n"
     "(001) jeq      #0x800           jt 2\tjf 3\n"
     "(002) ret      #262144\n"
     "(003) ret      #0\n"},
    {"tcp[tcpflags] & tcp-syn != 0",
     "(000) ld       [proto]\n"
     "(001) jeq      #0x800           jt 2\tjf 10\n"
     "(002) ldb      [9]\n"
     "(003) jeq      #0x6             jt 4\tjf 10\n"
     "(004) ldh      [6]\n"
     "(005) jset     #0x1fff          jt 10\tjf 6\n"
     "(006) ldxb     4*([0]&0xf)\n"
     "(007) ldb      [x + 13]\n"
     "(008) jset     #0x2             jt 9\tjf 10\n"
     "(009) ret      #262144\n"
     "(010) ret      #0\n"},
    {"link[10] == 4",
     "(000) ld       [type]\n"
     "(001) jeq      #0x4             jt 2\tjf 3\n"
     "(002) ret      #262144\n"
     "(003) ret      #0\n"},
    {"link[4:4] == 3",
     "(000) ld       [ifidx]\n"
     "(001) jeq      #0x3             jt 2\tjf 3\n"
     "(002) ret      #262144\n"
     "(003) ret      #0\n"},
    {"link[8:2] == 772",
     "(000) ld       [hatype]\n"
     "(001) jeq      #0x304           jt 2\tjf 3\n"
     "(002) ret      #262144\n"
     "(003) ret      #0\n"},
    {"link[2:2] == 0",
     "(000) ld       #0x0\n"
     "(001) jeq      #0x0             jt 2\tjf 3\n"
     "(002) ret      #262144\n"
     "(003) ret      #0\n"},
    {"ip and len > 100",
     "(000) ld       [proto]\n"
     "(001) jeq      #0x800           jt 2\tjf 6\n"
     "(002) ld       #pktlen\n"
     "(003) add      #20\n"
     "(004) jgt      #0x64            jt 5\tjf 6\n"
     "(005) ret      #262144\n"
     "(006) ret      #0\n"},
    {"link[11] == 6",
     "not adaptable: (000) ldb      [11]: the kernel has no exact equivalent of this "
     "cooked header field\n"},
    {"link[0] == 8",
     "not adaptable: (000) ldb      [0]: the kernel has no exact equivalent of this "
     "cooked header field\n"},
    {"inbound",
     "(000) ld       [type]\n"
     "(001) jeq      #0x4             jt 3\tjf 2\n"
     "(002) ret      #262144\n"
     "(003) ret      #0\n"},
    {"link[12:4] == 0",
     "not adaptable: (000) ld       [12]: the kernel has no exact equivalent of this "
     "cooked header field\n"},
};

TEST(KernelFilterAdapt, CompiledExpressions) {
  for (const AdaptCase& c : kAdaptCases) {
    EXPECT_EQ(Adapted(MustCompile(c.expr, kDltLinuxSll2)), c.expected) << c.expr;
  }
}

// LINUX_SLL (v1): 16-byte header, 16-bit packet type first, protocol last.
const AdaptCase kAdaptSllCases[] = {
    {"ip and inbound",
     "(000) ld       [proto]\n"
     "(001) jeq      #0x800           jt 2\tjf 5\n"
     "(002) ld       [type]\n"
     "(003) jeq      #0x4             jt 5\tjf 4\n"
     "(004) ret      #262144\n"
     "(005) ret      #0\n"},
    {"udp dst port 53",
     "(000) ld       [proto]\n"
     "(001) jeq      #0x86dd          jt 2\tjf 6\n"
     "(002) ldb      [6]\n"
     "(003) jeq      #0x11            jt 4\tjf 15\n"
     "(004) ldh      [42]\n"
     "(005) jeq      #0x35            jt 14\tjf 15\n"
     "(006) jeq      #0x800           jt 7\tjf 15\n"
     "(007) ldb      [9]\n"
     "(008) jeq      #0x11            jt 9\tjf 15\n"
     "(009) ldh      [6]\n"
     "(010) jset     #0x1fff          jt 15\tjf 11\n"
     "(011) ldxb     4*([0]&0xf)\n"
     "(012) ldh      [x + 2]\n"
     "(013) jeq      #0x35            jt 14\tjf 15\n"
     "(014) ret      #262144\n"
     "(015) ret      #0\n"},
    {"link[1] == 4 and link[0] == 0 and link[2:2] == 1",
     "(000) ld       [type]\n"
     "(001) jeq      #0x4             jt 2\tjf 7\n"
     "(002) ld       #0x0\n"
     "(003) jeq      #0x0             jt 4\tjf 7\n"
     "(004) ld       [hatype]\n"
     "(005) jeq      #0x1             jt 6\tjf 7\n"
     "(006) ret      #262144\n"
     "(007) ret      #0\n"},
    {"link[4:2] == 6",
     "not adaptable: (000) ldh      [4]: the kernel has no exact equivalent of this "
     "cooked header field\n"},
};

TEST(KernelFilterAdapt, CompiledForLinuxSllV1) {
  for (const AdaptCase& c : kAdaptSllCases) {
    CookedAdaptation a = AdaptForCooked(MustCompile(c.expr, kDltLinuxSll), kDltLinuxSll);
    EXPECT_EQ(a.program ? cbpf::DumpAsm(*a.program) : "not adaptable: " + a.reason + "\n",
              c.expected)
        << c.expr;
  }
}

TEST(KernelFilterAdapt, AncillaryLoadsStayAsTheyAre) {
  const Program prog = {Stmt(BPF_LD | BPF_W | BPF_ABS, cbpf::kSkfAdOff + 4),
                        Stmt(BPF_LD | BPF_B | BPF_ABS, static_cast<uint32_t>(SKF_NET_OFF) + 9),
                        Stmt(BPF_RET | BPF_A, 0)};
  const CookedAdaptation a = AdaptForCooked(prog);
  ASSERT_TRUE(a.program) << a.reason;
  EXPECT_EQ(*a.program, prog);
}

TEST(KernelFilterAdapt, IndexedLoadsThatMayReachTheHeader) {
  const Program prog = {Stmt(BPF_LDX | BPF_IMM, 4), Stmt(BPF_LD | BPF_H | BPF_IND, 2),
                        Stmt(BPF_RET | BPF_A, 0)};
  EXPECT_EQ(Adapted(prog),
            "not adaptable: (001) ldh      [x + 2]: an indexed load that may reach into "
            "the cooked header\n");
  const Program len_in_x = {Stmt(BPF_LDX | BPF_W | BPF_LEN, 0), Stmt(BPF_RET | BPF_K, 1)};
  EXPECT_EQ(Adapted(len_in_x),
            "not adaptable: (000) unimp    0x81: the packet length in X needs a scratch "
            "register to adjust\n");
}

TEST(KernelFilterAdapt, JumpsOverAGrownLoadAreReResolved) {
  // jeq jumps over "ld #len" (which becomes two instructions) and ja too.
  const Program prog = {
      Stmt(BPF_LD | BPF_H | BPF_ABS, 0),
      cbpf::Jump(BPF_JMP | BPF_JEQ | BPF_K, 0x800, 0, 3),
      Stmt(BPF_LD | BPF_W | BPF_LEN, 0),
      Stmt(BPF_JMP | BPF_JA, 1),
      Stmt(BPF_RET | BPF_K, 0),
      Stmt(BPF_RET | BPF_A, 0),
  };
  EXPECT_EQ(Adapted(prog),
            "(000) ld       [proto]\n"
            "(001) jeq      #0x800           jt 2\tjf 6\n"
            "(002) ld       #pktlen\n"
            "(003) add      #20\n"
            "(004) ja       6\n"
            "(005) ret      #0\n"
            "(006) ret      \n");  // bpf_image prints "ret a" so
  // A jump of 255 over the grown load no longer fits in jt.
  Program far = {cbpf::Jump(BPF_JMP | BPF_JEQ | BPF_K, 0, 255, 0),
                 Stmt(BPF_LD | BPF_W | BPF_LEN, 0)};
  far.insert(far.end(), 254, Stmt(BPF_LD | BPF_IMM, 0));
  far.push_back(Stmt(BPF_RET | BPF_A, 0));
  EXPECT_EQ(AdaptForCooked(far).reason,
            "(000) jeq      #0x0             jt 256\tjf 1: jump too long once ld #len grew "
            "by one instruction");
}

TEST(KernelFilterGuard, PrefixesByDirection) {
  const Program accept = {Stmt(BPF_RET | BPF_K, 96)};
  EXPECT_EQ(WithDirectionGuard(accept, DirectionGuard::kInOut, 0, 96), accept);
  EXPECT_EQ(cbpf::DumpAsm(WithDirectionGuard({}, DirectionGuard::kIn, 0, 96)),
            "(000) ld       [type]\n"
            "(001) jeq      #0x4             jt 2\tjf 3\n"
            "(002) ret      #0\n"
            "(003) ld       #0x0\n"
            "(004) ret      #96\n");
  EXPECT_EQ(cbpf::DumpAsm(WithDirectionGuard(accept, DirectionGuard::kOut, 1, 96)),
            "(000) ld       [type]\n"
            "(001) jeq      #0x4             jt 3\tjf 2\n"
            "(002) ret      #0\n"
            "(003) ld       [ifidx]\n"
            "(004) jeq      #0x1             jt 5\tjf 6\n"
            "(005) ret      #0\n"
            "(006) ld       #0x0\n"
            "(007) ret      #96\n");
  EXPECT_EQ(cbpf::DumpAsm(WithDirectionGuard(accept, DirectionGuard::kInOut, 1, 96)),
            "(000) ld       [type]\n"
            "(001) jeq      #0x4             jt 2\tjf 5\n"
            "(002) ld       [ifidx]\n"
            "(003) jeq      #0x1             jt 4\tjf 5\n"
            "(004) ret      #0\n"
            "(005) ld       #0x0\n"
            "(006) ret      #96\n");
}

// --- On real traffic ---------------------------------------------------------

class KernelFilterTraffic : public ::testing::Test {
 protected:
  void SetUp() override {
    BPFCAP_REQUIRE_ROOT();
    std::string error;
    net_ = NetnsPair::Create("kf", &error);
    ASSERT_NE(net_, nullptr) << error;
  }
  // UDP, ICMP, TCP, ARP, IPv6 across the veth both ways, and loopback in A.
  void SendMix() {
    constexpr auto kA = NetnsPair::kA;
    constexpr auto kB = NetnsPair::kB;
    ASSERT_TRUE(net_->SendUdp4(kB, 40101, 7101, "to a"));
    ASSERT_TRUE(net_->SendUdp4(kB, 40102, 7102, std::string(300, 'L')));
    ASSERT_TRUE(net_->SendUdp4(kA, 40101, 7101, "to b"));
    ASSERT_TRUE(net_->SendUdp6(kB, 40101, 7101, "six"));
    ASSERT_TRUE(net_->Ping4(kB, 1, 1));
    ASSERT_TRUE(net_->Ping4(kA, 2, 1));
    ASSERT_TRUE(net_->Ping6(kB, 3, 1));
    ASSERT_TRUE(net_->TcpHandshake(kB, 7103));
    ASSERT_TRUE(net_->SendFrame(kB, net_->ArpRequest(kB)));
    net_->RunIn(kA, [] {
      const int fd = socket(AF_INET, SOCK_DGRAM, 0);
      sockaddr_in to{};
      to.sin_family = AF_INET;
      to.sin_port = htons(7101);
      to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      const std::string big(200, 'o');
      sendto(fd, "lo", 2, 0, reinterpret_cast<sockaddr*>(&to), sizeof(to));
      sendto(fd, big.data(), big.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof(to));
      close(fd);
    });
  }
  std::unique_ptr<NetnsPair> net_;
};

// MLD reports the kernel sends on its own for a while after an IPv6 address
// appears (IPv6 with a hop-by-hop header, in an SLL2 packet). They arrive at
// any time, so each ring may or may not have them: leave them out.
bool IsMld(const std::vector<uint8_t>& sll2) {
  return sll2.size() > 26 && sll2[0] == 0x86 && sll2[1] == 0xdd && sll2[26] == 0;
}

TEST_F(KernelFilterTraffic, AdaptedProgramsAgreeWithTheInterpreter) {
  const std::string veth = std::to_string(net_->ifindex(NetnsPair::kA));
  struct Case {
    std::string expr;
    bool in_kernel;
  };
  const std::vector<Case> cases = {
      {"ip", true},
      {"ip6", true},
      {"arp", true},
      {"not ip", true},
      {"udp", true},
      {"udp port 7101", true},
      {"tcp", true},
      {"tcp[tcpflags] & tcp-syn != 0", true},
      {"icmp", true},
      {"icmp6", true},
      {"host 10.251.0.2", true},
      {"ip6 host fd00:bfc::2", true},
      {"len > 100", true},
      {"ip[9] == 17 and len < 80", true},
      {"inbound", true},
      {"outbound and ip", true},
      {"ifindex " + veth, true},
      {"link[10] == 4", true},       // outgoing
      {"link[10] == 0", true},       // to us
      {"link[4:4] == " + veth, true},
      {"link[8:2] == 772", true},    // loopback
      {"link[2:2] == 0 and udp", true},
      {"link[11] == 6", false},      // address length: user space
      {"link[12] == 2 and icmp", false},
  };
  RingOptions base = TestOptions("any");
  auto all = OpenIn(*net_, NetnsPair::kA, base);
  ASSERT_NE(all, nullptr);
  std::vector<std::unique_ptr<Ring>> rings;
  std::vector<Program> progs;
  for (const Case& c : cases) {
    RingOptions o = base;
    progs.push_back(MustCompile(c.expr, kDltLinuxSll2));
    o.filter = progs.back();
    rings.push_back(OpenIn(*net_, NetnsPair::kA, o));
    ASSERT_NE(rings.back(), nullptr) << c.expr;
    EXPECT_EQ(rings.back()->FilterInKernel(), c.in_kernel)
        << c.expr << ": " << rings.back()->UserFilterReason();
  }
  // Whatever arrived while the rings were opening differs between them.
  Drain(*all, 20);
  for (auto& r : rings) Drain(*r, 1);

  SendMix();
  const std::vector<Captured> everything = Drain(*all);
  ASSERT_GE(everything.size(), 20u);
  for (size_t i = 0; i < cases.size(); ++i) {
    std::vector<std::vector<uint8_t>> expected, got;
    for (const Captured& p : everything) {
      if (IsMld(p.data)) continue;
      if (cbpf::Run(progs[i], p.data.data(), p.len, static_cast<uint32_t>(p.data.size())) != 0) {
        expected.push_back(p.data);
      }
    }
    for (const Captured& p : Drain(*rings[i], 5)) {
      if (!IsMld(p.data)) got.push_back(p.data);
    }
    std::sort(expected.begin(), expected.end());
    std::sort(got.begin(), got.end());
    EXPECT_EQ(got.size(), expected.size()) << cases[i].expr;
    EXPECT_TRUE(got == expected) << cases[i].expr;
    EXPECT_FALSE(expected.empty()) << cases[i].expr << " selects nothing: a weak test";
  }
}

TEST_F(KernelFilterTraffic, TooLongForTheKernelFiltersInUserSpace) {
  RingOptions o = TestOptions(net_->ifname(NetnsPair::kA));
  Program prog(cbpf::kMaxInsns, Stmt(BPF_LD | BPF_IMM, 0));
  const Program udp = MustCompile("udp port 7110", kDltEn10mb);
  prog.insert(prog.end(), udp.begin(), udp.end());
  o.filter = prog;
  auto ring = OpenIn(*net_, NetnsPair::kA, o);
  ASSERT_NE(ring, nullptr);
  EXPECT_FALSE(ring->FilterInKernel());
  EXPECT_EQ(ring->UserFilterReason(), "more than 4096 instructions for the kernel");
  ASSERT_TRUE(net_->SendUdp4(NetnsPair::kB, 40110, 7110, "yes"));
  ASSERT_TRUE(net_->SendUdp4(NetnsPair::kB, 40110, 7111, "no"));
  const std::vector<Captured> got = Drain(*ring);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(std::string(got[0].data.begin() + 42, got[0].data.end()), "yes");
}

TEST_F(KernelFilterTraffic, KernelRejectsAnInvalidProgram) {
  RingOptions o = TestOptions(net_->ifname(NetnsPair::kA));
  o.filter = Program{Stmt(BPF_LD | BPF_IMM, 0)};  // no return
  std::string error;
  EXPECT_EQ(OpenIn(*net_, NetnsPair::kA, o, &error), nullptr);
  EXPECT_EQ(error, net_->ifname(NetnsPair::kA) +
                       ": the kernel rejected the filter (SO_ATTACH_FILTER: Invalid argument)");
}

}  // namespace
}  // namespace bpfcap::capture::test
