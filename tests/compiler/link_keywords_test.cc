// The link types with headers of their own (PFLOG, SUNATM, MTP2 & co):
// their keywords' verdicts on hand-made frames, their refusals, and the
// places where bpfcap follows pcap-filter(7) and libpcap 1.10.3 does not
// (each pinned against the installed libpcap, so that the test notices if
// a libpcap update fixes or changes the bug).
#include <pcap/pcap.h>

#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "compiler/cbpf/cbpf.h"
#include "compiler/compile.h"

namespace bpfcap {
namespace {

constexpr int kPflog = 117, kSunAtm = 123, kMtp2Phdr = 139, kMtp2 = 140, kEthernet = 1;

using Bytes = std::vector<uint8_t>;

// bpfcap's verdict (true: accept), or a failure if it does not compile.
bool Ours(int dlt, const std::string& expr, const Bytes& pkt, bool optimize = true) {
  CompileOptions opts;
  opts.dlt = dlt;
  opts.optimize = optimize;
  const CompileResult r = Compile(expr, opts);
  EXPECT_TRUE(r.diag.ok()) << expr << ": " << r.diag.message;
  static const uint8_t kEmpty[1] = {0};
  const uint8_t* p = pkt.empty() ? kEmpty : pkt.data();
  return cbpf::Run(r.program, p, uint32_t(pkt.size()), uint32_t(pkt.size())) != 0;
}

std::string OurError(int dlt, const std::string& expr) {
  CompileOptions opts;
  opts.dlt = dlt;
  return Compile(expr, opts).diag.message;
}

// libpcap's verdict: 1 accept, 0 reject, -1 refused to compile.
int Libpcap(int dlt, const std::string& expr, const Bytes& pkt, bool optimize = true) {
  pcap_t* p = pcap_open_dead(dlt, 262144);
  bpf_program prog;
  int verdict = -1;
  if (pcap_compile(p, &prog, expr.c_str(), optimize, PCAP_NETMASK_UNKNOWN) == 0) {
    verdict = bpf_filter(prog.bf_insns, pkt.data(), uint32_t(pkt.size()), uint32_t(pkt.size())) != 0;
    pcap_freecode(&prog);
  }
  pcap_close(p);
  return verdict;
}

// --- frames ---------------------------------------------------------------
// A pflog header of 61 bytes padded to 64, then `payload`.
Bytes Pflog(uint8_t af, uint8_t action, uint8_t reason, const char* ifname, uint32_t rulenr,
            uint8_t dir, const Bytes& payload) {
  Bytes b(64, 0);
  b[0] = 61;
  b[1] = af;
  b[2] = action;
  b[3] = reason;
  std::memcpy(&b[4], ifname, std::strlen(ifname));
  std::memcpy(&b[20], "foo", 3);
  for (int i = 0; i < 4; ++i) b[36 + i] = uint8_t(rulenr >> (24 - 8 * i));
  b[60] = dir;
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}

// An IPv4 header (20 bytes) with protocol `proto`, then 20 bytes of TCP-ish
// payload with ports 1234 -> 80.
Bytes Ipv4(uint8_t proto) {
  Bytes b = {0x45, 0, 0, 40, 0, 0, 0, 0, 64, proto, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
             0x04, 0xd2, 0, 80};
  b.resize(40, 0);
  return b;
}

Bytes SunAtm(uint8_t type, uint8_t vpi, uint16_t vci, const Bytes& payload) {
  Bytes b = {type, vpi, uint8_t(vci >> 8), uint8_t(vci)};
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}

Bytes LlcSnapIpv4() {
  Bytes b = {0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00};
  const Bytes ip = Ipv4(6);
  b.insert(b.end(), ip.begin(), ip.end());
  return b;
}

// LANE: LE client id, then an Ethernet frame carrying IPv4.
Bytes LaneIpv4(uint16_t lecid) {
  Bytes b = {uint8_t(lecid >> 8), uint8_t(lecid), 0x00, 0x11, 0x22, 0x33, 0x44, 0x55,
             0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0x08, 0x00};
  const Bytes ip = Ipv4(6);
  b.insert(b.end(), ip.begin(), ip.end());
  return b;
}

// MTP2 MSU: BSN, FSN, LI, SIO, routing label (little-endian DPC/OPC/SLS).
Bytes Mtp2(uint8_t li, uint8_t sio, uint32_t dpc, uint32_t opc, uint32_t sls) {
  const uint32_t label = dpc | opc << 14 | sls << 28;
  return {0x80, 0x81, li, sio, uint8_t(label), uint8_t(label >> 8), uint8_t(label >> 16),
          uint8_t(label >> 24), 0xde, 0xad};
}

// --- verdicts ---------------------------------------------------------------
TEST(PflogKeywords, FieldsAndTheNetworkLayerAfterTheHeader) {
  const Bytes tcp = Pflog(2, 1, 3, "em0", 7, 1, Ipv4(6));
  EXPECT_TRUE(Ours(kPflog, "ifname em0", tcp));
  EXPECT_TRUE(Ours(kPflog, "on em", tcp));  // strlen bytes only, as libpcap
  EXPECT_FALSE(Ours(kPflog, "ifname em1", tcp));
  EXPECT_TRUE(Ours(kPflog, "rnr 7", tcp));
  EXPECT_TRUE(Ours(kPflog, "reason short and reason 3", tcp));
  EXPECT_TRUE(Ours(kPflog, "action block and action drop", tcp));
  EXPECT_FALSE(Ours(kPflog, "action pass", tcp));
  EXPECT_TRUE(Ours(kPflog, "rset foo and inbound and not outbound", tcp));
  EXPECT_TRUE(Ours(kPflog, "tcp dst port 80 and host 10.0.0.2", tcp));
  EXPECT_FALSE(Ours(kPflog, "ip6", tcp));
  // The header length byte moves the network layer: 45 rounds up to 48.
  Bytes moved = tcp;
  moved[0] = 45;
  EXPECT_FALSE(Ours(kPflog, "tcp port 80", moved));
  moved.erase(moved.begin() + 48, moved.begin() + 64);
  EXPECT_TRUE(Ours(kPflog, "tcp port 80", moved));
  // An empty capture is rejected by anything that uses the header length,
  // even where the test that uses it is not reached, as libpcap does.
  EXPECT_FALSE(Ours(kPflog, "len >= 0 or ip[0] = 1", {}));
  EXPECT_EQ(Libpcap(kPflog, "len >= 0 or ip[0] = 1", {}), 0);
  EXPECT_TRUE(Ours(kPflog, "len >= 0 or ip", {}));
}

TEST(SunAtmKeywords, CircuitsFieldsAndLane) {
  const Bytes sig = SunAtm(2, 0, 5, {0x09, 3, 0, 0, 1, 0x07, 0});
  EXPECT_TRUE(Ours(kSunAtm, "sc and connectmsg and vpi 0 and vci 5", sig));
  EXPECT_FALSE(Ours(kSunAtm, "metaconnect or oam or ilmic", sig));
  EXPECT_TRUE(Ours(kSunAtm, "vci > 4 and vci < 6 and vpi <= 0", sig));
  const Bytes llc = SunAtm(2, 1, 100, LlcSnapIpv4());
  EXPECT_TRUE(Ours(kSunAtm, "ip and tcp port 80 and not lane", llc));
  EXPECT_FALSE(Ours(kSunAtm, "lane and ip", llc));
  const Bytes lane = SunAtm(1, 1, 100, LaneIpv4(3));
  EXPECT_FALSE(Ours(kSunAtm, "ip", lane));
  EXPECT_TRUE(Ours(kSunAtm, "lane and ip and ether src 66:77:88:99:aa:bb and tcp port 80", lane));
  // After "lane" the ATM fields move with the link header (libpcap's
  // offsets): "vpi" reads byte 7, here the destination MAC's 0x11.
  EXPECT_TRUE(Ours(kSunAtm, "lane and vpi 0x11", lane));
  // LE control frames (client id 0xff00) carry no protocol after the first lane.
  const Bytes control = SunAtm(1, 1, 100, LaneIpv4(0xff00));
  EXPECT_FALSE(Ours(kSunAtm, "lane and ip", control));
  // A second "lane" reads the moved link header and adds no control check.
  Bytes twice = SunAtm(1, 1, 100, {0xff, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x08, 0x00});
  EXPECT_TRUE(Ours(kSunAtm, "lane and lane and ip", twice));
}

TEST(Ss7Keywords, UnitsAndRoutingLabel) {
  const Bytes msu = Mtp2(20, 0x83, 1000, 5, 9);
  EXPECT_TRUE(Ours(kMtp2, "msu and sio 0x83 and dpc 1000 and opc 5 and sls 9", msu));
  EXPECT_FALSE(Ours(kMtp2, "fisu or lssu", msu));
  EXPECT_TRUE(Ours(kMtp2, "fisu", Mtp2(0, 0, 0, 0, 0)));
  EXPECT_TRUE(Ours(kMtp2, "lssu and lsu", Mtp2(2, 0, 0, 0, 0)));
  EXPECT_TRUE(Ours(kMtp2, "sio (3 or 0x83) and sls > 8", msu));
  Bytes with_phdr(4, 0);  // MTP2_WITH_PHDR: a 4-byte pseudo-header first
  with_phdr.insert(with_phdr.end(), msu.begin(), msu.end());
  EXPECT_TRUE(Ours(kMtp2Phdr, "msu and opc 5", with_phdr));
  EXPECT_FALSE(Ours(kMtp2Phdr, "msu and opc 5", msu));
}

// --- refusals ---------------------------------------------------------------
TEST(LinkKeywords, RefusedWhereLibpcapRefusesThem) {
  struct Case {
    int dlt;
    const char* expr;
    const char* message;
  };
  const Case kCases[] = {
      {kEthernet, "vpi 1", "'vpi' needs SunATM captures (link type SUNATM), not EN10MB"},
      {kEthernet, "lane", "'lane' needs SunATM captures (link type SUNATM), not EN10MB"},
      {kEthernet, "sio 3", "'sio' needs SS7 MTP2 captures (link type MTP2, MTP2_WITH_PHDR or ERF), not EN10MB"},
      {kEthernet, "on em0", "'on' needs pflog captures (link type PFLOG), not EN10MB"},
      {141, "fisu", "'fisu' needs SS7 MTP2 captures (link type MTP2, MTP2_WITH_PHDR or ERF), not MTP3"},
      {kMtp2, "sio 256", "sio value 256 too big; max value = 255"},
      {kMtp2, "hopc 16384", "opc value 16384 too big; max value = 16383"},
      {kMtp2, "ip", "MTP2 frames have no protocol field: only len, less, greater, link[...], inbound, outbound and ifindex apply to them"},
      {kPflog, "ifname abcdefghijklmnop", "interface names can only be 15 characters"},
      {kPflog, "rset abcdefghijklmnopq", "ruleset names can only be 15 characters"},
      {kPflog, "reason nosuch", "unknown PF reason 'nosuch'"},
      {kPflog, "action nosuch", "unknown PF action 'nosuch'"},
      {kPflog, "rnr foo", "'rnr' takes a rule number, not 'foo'"},
      {kPflog, "vlan", "'vlan' needs Ethernet frames; PFLOG has no VLAN tags"},
      {kPflog, "ether host 00:11:22:33:44:55",
       "ethernet addresses supported only on ethernet/FDDI/token ring/802.11/ATM LANE/Fibre Channel"},
      {kSunAtm, "ether broadcast", "not a broadcast link"},
  };
  for (const Case& c : kCases) {
    EXPECT_EQ(OurError(c.dlt, c.expr), c.message) << c.expr;
    EXPECT_EQ(Libpcap(c.dlt, c.expr, {}), -1) << c.expr << ": libpcap accepts it";
  }
}

// --- where libpcap 1.10.3 is wrong (README, "Deliberate differences") -------
// 1.10.3's grammar drops the negation of "!=" for the ATM and SS7 fields: it
// compiles "vci != 5" as "vci == 5". pcap-filter(7) means "not equal".
TEST(LibpcapBugs, NotEqualOnAtmAndSs7FieldsIsNegated) {
  const Bytes vci5 = SunAtm(2, 0, 5, {}), vci6 = SunAtm(2, 0, 6, {});
  EXPECT_FALSE(Ours(kSunAtm, "vci != 5", vci5));
  EXPECT_TRUE(Ours(kSunAtm, "vci != 5", vci6));
  EXPECT_EQ(Libpcap(kSunAtm, "vci != 5", vci5), 1);  // the bug
  EXPECT_EQ(Libpcap(kSunAtm, "vci != 5", vci6), 0);
  EXPECT_TRUE(Ours(kSunAtm, "vpi != 1", vci5));
  EXPECT_EQ(Libpcap(kSunAtm, "vpi != 1", vci5), 0);
  const Bytes msu = Mtp2(20, 3, 1000, 5, 9);
  for (const char* e : {"sio != 3", "opc != 5", "dpc != 1000", "sls != 9"}) {
    EXPECT_FALSE(Ours(kMtp2, e, msu)) << e;
    EXPECT_EQ(Libpcap(kMtp2, e, msu), 1) << e;  // the bug
  }
}

// libpcap's optimizer takes a jset of all 32 bits ("x & 0xffffffff != 0",
// which it turns into "jset #0xffffffff") for always true: it drops the test
// and its load, accepting zero words and empty captures; and the "= 0" form
// for always false, refusing it ("expression rejects all packets").
TEST(LibpcapBugs, JsetOfAllBitsIsATest) {
  const Bytes zeros(60, 0);
  EXPECT_FALSE(Ours(kEthernet, "ether[0:4] & 0xffffffff != 0", zeros));
  EXPECT_FALSE(Ours(kEthernet, "ether[0:4] & 0xffffffff != 0", {}));
  EXPECT_EQ(Libpcap(kEthernet, "ether[0:4] & 0xffffffff != 0", zeros), 1);  // the bug
  EXPECT_EQ(Libpcap(kEthernet, "ether[0:4] & 0xffffffff != 0", zeros, false), 0);
  EXPECT_TRUE(Ours(kEthernet, "ether[0:4] & 0xffffffff = 0", zeros));
  EXPECT_EQ(Libpcap(kEthernet, "ether[0:4] & 0xffffffff = 0", zeros), -1);  // the bug
  EXPECT_EQ(Libpcap(kEthernet, "ether[0:4] & 0xffffffff = 0", zeros, false), 1);
}

// pcap-filter(7) names the OAM F4 cells oamf4s and oamf4e; 1.10.3's lexer
// has oamf4sc and oamf4ec instead. bpfcap takes both spellings.
TEST(LibpcapBugs, OamF4CellsByTheManPagesNames) {
  const Bytes seg = SunAtm(2, 0, 3, {}), e2e = SunAtm(2, 0, 4, {});
  EXPECT_TRUE(Ours(kSunAtm, "oamf4s and oamf4sc", seg));
  EXPECT_TRUE(Ours(kSunAtm, "oamf4e and oamf4ec", e2e));
  EXPECT_FALSE(Ours(kSunAtm, "oamf4s", e2e));
  EXPECT_EQ(Libpcap(kSunAtm, "oamf4s", seg), -1);  // syntax error there
  EXPECT_EQ(Libpcap(kSunAtm, "oamf4sc", seg), 1);
}

// On pflog, libpcap keeps the header length in a scratch register that a
// relation's code also uses: after "len < 64", "udp" reads the IP header at
// offset 64 (the constant just stored) instead of after the pflog header.
TEST(LibpcapBugs, PflogHeaderLengthSurvivesRelations) {
  const char* expr = "(len > 100 and tcp) or (len < 64 and udp) or (len = 60 and arp)";
  const Bytes tcp = Pflog(2, 0, 0, "em0", 0, 1, Ipv4(6));  // 104 bytes
  EXPECT_TRUE(Ours(kPflog, expr, tcp));
  EXPECT_TRUE(Ours(kPflog, expr, tcp, false));
  EXPECT_EQ(Libpcap(kPflog, expr, tcp, false), 0);  // the bug: reads [100 + 9]
}

}  // namespace
}  // namespace bpfcap
