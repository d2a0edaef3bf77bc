// Where libpcap 1.10.3 is wrong on 802.11 and PFLOG and bpfcap follows
// pcap-filter(7) instead (README, "Deliberate differences"). Each test
// builds a frame on which the two disagree and pins both verdicts; the
// differential suite keeps the relation and pppoes cases out of its 802.11
// runs (diff_test.cc, LibpcapWrongOn) and compares geneve there with
// libpcap's program given its link type's prologue (GeneveSlotBugOn).
#include <cstdint>
#include <optional>
#include <set>
#include <vector>

#include <gtest/gtest.h>

#include "tests/diff/compilers.h"

namespace bpfcap::difftest {
namespace {

constexpr int kRadiotap = 127;
constexpr int kPflog = 117;
constexpr int kPpi = 192;

// An 8-byte radiotap header with nothing present, then `mac`.
Packet RadiotapFrame(std::vector<uint8_t> mac) {
  Packet p;
  p.bytes.assign(8 + mac.size(), 0);
  p.bytes[2] = 8;  // it_len, little-endian
  for (size_t i = 0; i < mac.size(); ++i) p.bytes[8 + i] = mac[i];
  p.wirelen = p.caplen();
  return p;
}

struct Verdicts {
  uint32_t libpcap, bpfcap;
};

Verdicts RunBoth(const char* expr, const Packet& p, int dlt = kRadiotap) {
  Libpcap lib(dlt, 262144);
  const Compiled l = lib.Compile(expr, /*optimize=*/false, kNetmaskUnknown);
  const Compiled o = OursCompile(expr, dlt, 262144, /*optimize=*/false, kNetmaskUnknown);
  EXPECT_TRUE(l.ok) << l.error;
  EXPECT_TRUE(o.ok) << o.error;
  return {LibpcapRun(l.prog, p), OursRun(o.prog, p)};
}

// libpcap keeps the radiotap length in a scratch memory slot that it
// allocates when the first header test is parsed; a relation parsed before
// it has already used, and freed, that slot, and its code, which runs after
// the length is stored, overwrites it. Here `len < 5` leaves 5 there, and
// "wlan addr1" reads 5 + 4 instead of 8 + 4.
TEST(DiffLibpcapBugs, RelationBeforeTheFirstRadiotapHeaderTestOverwritesItsLength) {
  // Frame control 08 00, duration 11 22, addr1 33:44:55:66:77:88: the bytes
  // from 9 spell 00:11:22:33:44:55.
  const Packet p = RadiotapFrame({0x08, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
                                  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                  0x00, 0x00, 0x00, 0x00});
  const Verdicts v = RunBoth("len < 5 or wlan addr1 00:11:22:33:44:55", p);
  EXPECT_NE(v.libpcap, 0u) << "libpcap fixed? then drop LibpcapWrongOn's relation rule";
  EXPECT_EQ(v.bpfcap, 0u);  // addr1 is 33:44:55:66:77:88
  EXPECT_NE(RunBoth("wlan addr1 33:44:55:66:77:88 or len < 5", p).bpfcap, 0u);
}

// After "pppoes" behind a radio header, libpcap reads the MAC header through
// a scratch slot it never stored (0 in bpf_filter), so it looks for frame
// control in the radiotap header and misses every PPPoE frame.
TEST(DiffLibpcapBugs, PppoesBehindRadiotap) {
  std::vector<uint8_t> mac = {0x08, 0x00, 0x00, 0x00};      // data frame, no DS bits
  for (int i = 0; i < 18; ++i) mac.push_back(0x02);        // addr1..addr3
  mac.insert(mac.end(), {0x00, 0x00});                      // sequence
  mac.insert(mac.end(), {0xaa, 0xaa, 0x03, 0x00, 0x00, 0x00, 0x88, 0x64});  // SNAP: PPPoE session
  mac.insert(mac.end(), {0x11, 0x00, 0x00, 0x03, 0x00, 0x16, 0x00, 0x21});  // session 3, PPP: IPv4
  mac.insert(mac.end(), {0x45, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00, 0x40, 0x06,
                         0x00, 0x00, 0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x02});
  const Verdicts v = RunBoth("pppoes and ip", RadiotapFrame(mac));
  EXPECT_EQ(v.libpcap, 0u) << "libpcap fixed? then drop LibpcapWrongOn's pppoes rule";
  EXPECT_NE(v.bpfcap, 0u);
}

// --- geneve behind a link header of run-time length ----------------------
// libpcap computes such a header's offsets in a prologue that it puts in
// front of the program after parsing, from the compiler state at that time
// (compilers.h, SpliceLinkPrologue). "geneve" has then replaced that state
// with its inner frame's: the offsets' registers name geneve's own scratch
// slots, and the link type is Ethernet.

// IPv4 / UDP to 6081 / Geneve (VNI 5, Ethernet inside) / Ethernet / IPv4
// carrying TCP.
std::vector<uint8_t> GeneveOverIpv4() {
  return {0x45, 0x00, 0x00, 0x50, 0x00, 0x00, 0x00, 0x00, 0x40, 0x11, 0x00, 0x00,  // IPv4, UDP
          0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x02,
          0x30, 0x39, 0x17, 0xc1, 0x00, 0x3c, 0x00, 0x00,                          // UDP to 6081
          0x00, 0x00, 0x65, 0x58, 0x00, 0x00, 0x05, 0x00,                          // Geneve, TEB
          0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02,  // Ethernet
          0x08, 0x00,
          0x45, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00, 0x40, 0x06, 0x00, 0x00,  // IPv4, TCP
          0xc0, 0xa8, 0x01, 0x01, 0xc0, 0xa8, 0x01, 0x02};
}

// A pflog header of 61 bytes (64 once rounded up to 4), IPv4, then `ip`.
Packet PflogFrame(const std::vector<uint8_t>& ip) {
  Packet p;
  p.bytes.assign(64, 0);
  p.bytes[0] = 61;  // length
  p.bytes[1] = 2;   // AF_INET
  p.bytes.insert(p.bytes.end(), ip.begin(), ip.end());
  p.wirelen = p.caplen();
  return p;
}

// An 802.11 data frame without DS bits, LLC/SNAP with EtherType IPv4, `ip`.
std::vector<uint8_t> WlanData(const std::vector<uint8_t>& ip) {
  std::vector<uint8_t> mac = {0x08, 0x00, 0x00, 0x00};
  for (int i = 0; i < 18; ++i) mac.push_back(0x02);  // addr1..addr3
  mac.insert(mac.end(), {0x00, 0x00, 0xaa, 0xaa, 0x03, 0x00, 0x00, 0x00, 0x08, 0x00});
  mac.insert(mac.end(), ip.begin(), ip.end());
  return mac;
}

// The scratch slots a program stores and those it reads.
std::set<uint32_t> Slots(const cbpf::Program& prog, bool stores) {
  std::set<uint32_t> out;
  for (const cbpf::Insn& i : prog) {
    const bool st = i.code == BPF_ST || i.code == BPF_STX;
    const bool ld = i.code == (BPF_LD | BPF_MEM) || i.code == (BPF_LDX | BPF_MEM);
    if (stores ? st : ld) out.insert(i.k);
  }
  return out;
}

// On PFLOG, "geneve": the prologue is "ldb [0]; add #3; and #0xfffffffc;
// st M[3]", the header length into geneve's slot for the inner network
// layer (M[1] and M[2] are its protocol field and link header), while the
// outer tests load X from M[0], the slot the network layer's offset had
// when they were compiled, which nothing stores. They read the IPv4 header
// at the start of the pflog header, and no packet is Geneve.
TEST(DiffLibpcapBugs, GeneveOnPflogReadsTheOuterHeaderAtZero) {
  Libpcap lib(kPflog, 262144);
  const Compiled l = lib.Compile("geneve", /*optimize=*/false, kNetmaskUnknown);
  ASSERT_TRUE(l.ok) << l.error;
  ASSERT_GE(l.prog.size(), 4u);
  EXPECT_EQ(l.prog[3].code, BPF_ST);
  EXPECT_EQ(l.prog[3].k, 3u) << "the pflog length goes to slot 3";
  EXPECT_EQ(Slots(l.prog, /*stores=*/true).count(0), 0u) << "libpcap fixed? then drop GeneveSlotBugOn";
  EXPECT_EQ(Slots(l.prog, /*stores=*/false).count(0), 1u);

  const Packet p = PflogFrame(GeneveOverIpv4());
  const Verdicts v = RunBoth("geneve", p, kPflog);
  EXPECT_EQ(v.libpcap, 0u);
  EXPECT_NE(v.bpfcap, 0u);
  EXPECT_NE(RunBoth("geneve 5 and tcp", p, kPflog).bpfcap, 0u);
  EXPECT_EQ(RunBoth("geneve 6", p, kPflog).bpfcap, 0u);
  // With the prologue libpcap writes for PFLOG, its program agrees.
  const Compiled source = lib.Compile("ip host 10.0.0.1", false, kNetmaskUnknown);
  const std::optional<cbpf::Program> fixed = SpliceLinkPrologue(source.prog, l.prog);
  ASSERT_TRUE(fixed);
  EXPECT_NE(LibpcapRun(*fixed, p), 0u);
}

// On radiotap the prologue stores the radiotap length and the 802.11
// payload's offset into M[3] and M[4], geneve's inner link header and
// network layer; the frame-control and LLC tests before it read M[0] and
// M[1]. The prologue also leaves out radiotap's data-pad rounding, which
// it emits only while the link type is still radiotap.
TEST(DiffLibpcapBugs, GeneveBehindRadiotapReadsTheOuterFrameAtZero) {
  Libpcap lib(kRadiotap, 262144);
  const Compiled l = lib.Compile("geneve", /*optimize=*/false, kNetmaskUnknown);
  ASSERT_TRUE(l.ok) << l.error;
  const std::set<uint32_t> stored = Slots(l.prog, true), read = Slots(l.prog, false);
  EXPECT_EQ(stored.count(0) + stored.count(1), 0u) << "libpcap fixed? then drop GeneveSlotBugOn";
  EXPECT_EQ(read.count(0) + read.count(1), 2u);
  EXPECT_EQ(stored.count(3) + stored.count(4), 2u);
  for (const cbpf::Insn& i : l.prog) {
    EXPECT_FALSE(i.code == (BPF_LD | BPF_W | BPF_ABS) && i.k == 4) << "radiotap's present flags are read";
  }

  const Packet p = RadiotapFrame(WlanData(GeneveOverIpv4()));
  const Verdicts v = RunBoth("geneve", p);
  EXPECT_EQ(v.libpcap, 0u);
  EXPECT_NE(v.bpfcap, 0u);
  EXPECT_NE(RunBoth("geneve and tcp", p).bpfcap, 0u);
  EXPECT_EQ(RunBoth("geneve and udp", p).bpfcap, 0u);
}

// On PPI libpcap checks that the frame is 802.11 (the PPI header's link
// type) after parsing, and only while the link type is still PPI: after a
// "geneve" anywhere in the expression, the check is gone, and "not geneve"
// accepts a PPI frame carrying Ethernet.
TEST(DiffLibpcapBugs, GeneveDropsThePpiLinkTypeCheck) {
  Packet p;
  p.bytes = {0x00, 0x00, 0x08, 0x00, 0x01, 0x00, 0x00, 0x00};  // PPI, 8 bytes, DLT 1
  for (int i = 0; i < 60; ++i) p.bytes.push_back(0x00);
  p.wirelen = p.caplen();
  const Verdicts v = RunBoth("not geneve", p, kPpi);
  EXPECT_NE(v.libpcap, 0u) << "libpcap fixed? then drop GeneveSlotBugOn for PPI";
  EXPECT_EQ(v.bpfcap, 0u);
  const Verdicts ip = RunBoth("not ip", p, kPpi);  // without geneve, both check
  EXPECT_EQ(ip.libpcap, 0u);
  EXPECT_EQ(ip.bpfcap, 0u);
}

// "mpls and geneve and ip": libpcap's label depth survives the geneve, so
// "ip" is compiled as the payload of an MPLS label: "ldb [x + -2]; and #1"
// (bottom of stack, two bytes before the inner network layer: here the
// inner EtherType's first byte, 0x08) and the version nibble. No IPv4 in
// Ethernet in Geneve after MPLS ever matches.
TEST(DiffLibpcapBugs, MplsDepthSurvivesGeneve) {
  Libpcap lib(1, 262144);
  const Compiled l = lib.Compile("mpls and geneve and ip", /*optimize=*/false, kNetmaskUnknown);
  ASSERT_TRUE(l.ok) << l.error;
  bool bottom_of_stack = false;
  for (const cbpf::Insn& i : l.prog) bottom_of_stack |= i.code == (BPF_LD | BPF_B | BPF_IND) && i.k == uint32_t(-2);
  EXPECT_TRUE(bottom_of_stack) << "libpcap fixed? then move the exprs.txt lines to accept";

  Packet p;
  p.bytes = {0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x88, 0x47,  // Ethernet, MPLS
             0x00, 0x01, 0x41, 0x40};                                  // label 16, bottom of stack
  const std::vector<uint8_t> ip = GeneveOverIpv4();
  p.bytes.insert(p.bytes.end(), ip.begin(), ip.end());
  p.wirelen = p.caplen();
  const Verdicts v = RunBoth("mpls and geneve and ip", p, 1);
  EXPECT_EQ(v.libpcap, 0u);
  EXPECT_NE(v.bpfcap, 0u);
  EXPECT_NE(RunBoth("mpls and geneve 5 and tcp", p, 1).bpfcap, 0u);
}

}  // namespace
}  // namespace bpfcap::difftest
