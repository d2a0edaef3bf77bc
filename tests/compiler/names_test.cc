// Tests for name lookup: TableNames fully, SystemNames only for entries that
// every Debian machine has (netbase's /etc/services and /etc/protocols, and
// "localhost" in /etc/hosts).
#include "compiler/names.h"

#include <gtest/gtest.h>

namespace bpfcap {
namespace {

TableNames SampleTable() {
  TableNames t;
  t.hosts = {
      {"gw", {0x0a000001}, {}},
      {"dual", {0xc0a80001, 0xc0a80002}, {{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}}},
      {"six", {}, {{0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2}}},
      {"gw", {0x0a0000ff}, {}},  // shadowed by the first "gw"
  };
  t.services = {
      {"http", PortProto::kTcp, 80},
      {"domain", PortProto::kUdp, 53},
      {"domain", PortProto::kTcp, 53},
      {"weird", PortProto::kSctp, 9999},
  };
  t.protocols = {{"tcp", 6}, {"udp", 17}};
  t.ethers = {{"router", {0x00, 0x11, 0x22, 0x33, 0x44, 0x55}}};
  return t;
}

TEST(TableNames, HostV4ReturnsAllAddressesOfFirstMatch) {
  TableNames t = SampleTable();
  EXPECT_EQ(t.HostV4("gw"), std::vector<uint32_t>({0x0a000001}));
  EXPECT_EQ(t.HostV4("dual"), std::vector<uint32_t>({0xc0a80001, 0xc0a80002}));
  EXPECT_TRUE(t.HostV4("six").empty());
  EXPECT_TRUE(t.HostV4("nosuch").empty());
  EXPECT_TRUE(t.HostV4("GW").empty()) << "matches are case-sensitive";
}

TEST(TableNames, HostV6) {
  TableNames t = SampleTable();
  auto v6 = t.HostV6("six");
  ASSERT_EQ(v6.size(), 1u);
  EXPECT_EQ(v6[0][0], 0xfe);
  EXPECT_EQ(v6[0][15], 2);
  EXPECT_EQ(t.HostV6("dual").size(), 1u);
  EXPECT_TRUE(t.HostV6("gw").empty());
  EXPECT_TRUE(t.HostV6("nosuch").empty());
}

TEST(TableNames, PortDependsOnTransport) {
  TableNames t = SampleTable();
  EXPECT_EQ(t.Port("http", PortProto::kTcp), 80);
  EXPECT_EQ(t.Port("http", PortProto::kUdp), -1);
  EXPECT_EQ(t.Port("domain", PortProto::kUdp), 53);
  EXPECT_EQ(t.Port("domain", PortProto::kTcp), 53);
  EXPECT_EQ(t.Port("weird", PortProto::kSctp), 9999);
  EXPECT_EQ(t.Port("weird", PortProto::kTcp), -1);
  EXPECT_EQ(t.Port("nosuch", PortProto::kTcp), -1);
}

TEST(TableNames, Protocol) {
  TableNames t = SampleTable();
  EXPECT_EQ(t.Protocol("tcp"), 6);
  EXPECT_EQ(t.Protocol("udp"), 17);
  EXPECT_EQ(t.Protocol("icmp"), -1);
}

TEST(TableNames, Ether) {
  TableNames t = SampleTable();
  std::array<uint8_t, 6> mac{};
  ASSERT_TRUE(t.Ether("router", &mac));
  EXPECT_EQ(mac, (std::array<uint8_t, 6>{0x00, 0x11, 0x22, 0x33, 0x44, 0x55}));
  std::array<uint8_t, 6> untouched{1, 2, 3, 4, 5, 6};
  EXPECT_FALSE(t.Ether("nosuch", &untouched));
  EXPECT_EQ(untouched, (std::array<uint8_t, 6>{1, 2, 3, 4, 5, 6}));
}

TEST(TableNames, EmptyTableKnowsNothing) {
  TableNames t;
  std::array<uint8_t, 6> mac{};
  EXPECT_TRUE(t.HostV4("localhost").empty());
  EXPECT_TRUE(t.HostV6("localhost").empty());
  EXPECT_EQ(t.Port("http", PortProto::kTcp), -1);
  EXPECT_EQ(t.Protocol("tcp"), -1);
  EXPECT_FALSE(t.Ether("x", &mac));
}

TEST(SystemNames, LocalhostIsLoopback) {
  auto v4 = SystemNames().HostV4("localhost");
  ASSERT_FALSE(v4.empty());
  EXPECT_EQ(v4[0], 0x7f000001u);
}

TEST(SystemNames, Services) {
  const NameResolver& n = SystemNames();
  EXPECT_EQ(n.Port("http", PortProto::kTcp), 80);
  EXPECT_EQ(n.Port("domain", PortProto::kUdp), 53);
  EXPECT_EQ(n.Port("ssh", PortProto::kTcp), 22);
  EXPECT_EQ(n.Port("no-such-service-bpfcap", PortProto::kTcp), -1);
}

TEST(SystemNames, Protocols) {
  const NameResolver& n = SystemNames();
  EXPECT_EQ(n.Protocol("tcp"), 6);
  EXPECT_EQ(n.Protocol("udp"), 17);
  EXPECT_EQ(n.Protocol("no-such-protocol-bpfcap"), -1);
}

TEST(SystemNames, UnknownNames) {
  const NameResolver& n = SystemNames();
  // ".invalid" is reserved (RFC 6761): never resolves.
  EXPECT_TRUE(n.HostV4("no-such-host.invalid").empty());
  EXPECT_TRUE(n.HostV6("no-such-host.invalid").empty());
  std::array<uint8_t, 6> mac{};
  EXPECT_FALSE(n.Ether("no-such-ether-host-bpfcap", &mac));
}

TEST(SystemNames, IsOneObject) {
  EXPECT_EQ(&SystemNames(), &SystemNames());
}

}  // namespace
}  // namespace bpfcap
