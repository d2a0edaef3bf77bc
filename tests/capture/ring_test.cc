// The AF_PACKET ring on a real kernel: a veth pair between two private
// network namespaces, known traffic, and checks that exactly the packets
// the filter selects arrive, with their contents, directions, timestamps,
// VLAN tags and counters. Needs root; skipped with a message otherwise.
#include "capture/ring.h"

#include <gtest/gtest.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <thread>

#include "capture/interfaces.h"
#include "tests/capture/ring_helpers.h"
#include "tests/integration/netns.h"

namespace bpfcap::capture::test {
namespace {

using bpfcap::test::NetnsPair;
constexpr NetnsPair::Side kA = NetnsPair::kA;
constexpr NetnsPair::Side kB = NetnsPair::kB;

uint16_t Be16(const std::vector<uint8_t>& d, size_t at) {
  return static_cast<uint16_t>(d.at(at) << 8 | d.at(at + 1));
}

int64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

struct RingTestNet {
  static constexpr const char* kName = "ring";
};
class RingTest : public NetnsSuite<RingTestNet> {
 protected:
  // A ring on A's veth end.
  std::unique_ptr<Ring> OpenA(const std::string& expr, RingOptions o = TestOptions("")) {
    o.interface = net_->ifname(kA);
    if (!expr.empty()) o.filter = MustCompile(expr, kDltEn10mb, o.snaplen);
    return OpenIn(*net_, kA, o);
  }
  // On A's end, with `expr` compiled for a live socket (for_kernel: the
  // outer VLAN tag in the kernel's ancillary data).
  std::unique_ptr<Ring> OpenAForKernel(const std::string& expr) {
    RingOptions o = TestOptions("");
    o.interface = net_->ifname(kA);
    CompileOptions c;
    c.for_kernel = true;
    CompileResult r = Compile(expr, c);
    EXPECT_TRUE(r.diag.ok()) << r.diag.message;
    if (!r.diag.ok()) return nullptr;
    o.filter = r.program;
    return OpenIn(*net_, kA, o);
  }
};

TEST(RingErrors, NonexistentInterface) {
  RingOptions o;
  o.interface = "bpfcnosuch9";
  std::string error;
  EXPECT_EQ(Ring::Open(o, &error), nullptr);
  EXPECT_EQ(error, "bpfcnosuch9: No such device exists");
  EXPECT_EQ(LinkTypeFor("bpfcnosuch9", &error), 0);
  EXPECT_EQ(error, "bpfcnosuch9: No such device exists");
}

TEST(RingErrors, NoPermissionWithoutCapNetRaw) {
  BPFCAP_REQUIRE_ROOT();
  int pipefd[2];
  ASSERT_EQ(pipe(pipefd), 0);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {  // nobody has no CAP_NET_RAW
    close(pipefd[0]);
    std::string error = "setuid failed";
    if (setgid(65534) == 0 && setuid(65534) == 0) {
      RingOptions o;
      o.interface = "lo";
      if (Ring::Open(o, &error) != nullptr) error = "opened";
    }
    if (write(pipefd[1], error.data(), error.size()) < 0) _exit(2);
    _exit(0);
  }
  close(pipefd[1]);
  std::string error;
  char buf[256];
  ssize_t n;
  while ((n = read(pipefd[0], buf, sizeof(buf))) > 0) error.append(buf, static_cast<size_t>(n));
  close(pipefd[0]);
  waitpid(pid, nullptr, 0);
  EXPECT_EQ(error,
            "you don't have permission to capture on that device "
            "(socket: Operation not permitted)");
}

TEST_F(RingTest, InterfaceDown) {
  // A second veth pair inside A, never brought up.
  ASSERT_EQ(net_->Exec(kA, {"ip", "link", "add", "bTdown0", "type", "veth", "peer", "name",
                            "bTdown1"}),
            0);
  RingOptions o = TestOptions("bTdown0");
  std::string error;
  EXPECT_EQ(OpenIn(*net_, kA, o, &error), nullptr);
  EXPECT_EQ(error, "bTdown0: That device is not up");
  net_->Exec(kA, {"ip", "link", "del", "bTdown0"});
}

TEST_F(RingTest, LinkTypes) {
  int veth = 0, lo = 0, any = 0;
  std::string e1, e2, e3;
  net_->RunIn(kA, [&] {
    veth = LinkTypeFor(net_->ifname(kA), &e1);
    lo = LinkTypeFor("lo", &e2);
    any = LinkTypeFor("any", &e3);
  });
  EXPECT_EQ(veth, kDltEn10mb) << e1;
  EXPECT_EQ(lo, kDltEn10mb) << e2;
  EXPECT_EQ(any, kDltLinuxSll2) << e3;
}

TEST_F(RingTest, FilterSelectsExactlyTheMatchingPackets) {
  auto ring = OpenA("udp dst port 7001");
  ASSERT_NE(ring, nullptr);
  EXPECT_TRUE(ring->FilterInKernel());
  const int64_t before = NowNs();
  ASSERT_TRUE(net_->SendUdp4(kB, 40001, 7001, "one"));
  ASSERT_TRUE(net_->SendUdp4(kB, 40001, 7002, "not me"));
  ASSERT_TRUE(net_->Ping4(kB, 1, 1));
  ASSERT_TRUE(net_->TcpHandshake(kB, 7001));
  ASSERT_TRUE(net_->SendUdp4(kB, 40001, 7001, "two"));
  ASSERT_TRUE(net_->SendUdp6(kB, 40001, 7001, "three"));
  ASSERT_TRUE(net_->SendUdp4(kA, 40001, 7001, "four"));  // outgoing
  const int64_t after = NowNs();
  const std::vector<Captured> got = Drain(*ring);
  ASSERT_EQ(got.size(), 4u);
  const char* payloads[] = {"one", "two", "three", "four"};
  for (size_t i = 0; i < got.size(); ++i) {
    const Captured& c = got[i];
    const bool v6 = Be16(c.data, 12) == 0x86dd;
    const size_t udp = v6 ? 54 : 34;
    EXPECT_EQ(Be16(c.data, udp + 2), 7001) << i;
    EXPECT_EQ(std::string(c.data.begin() + udp + 8, c.data.end()), payloads[i]) << i;
    EXPECT_EQ(c.len, c.data.size());
    EXPECT_EQ(c.ifindex, net_->ifindex(kA));
    EXPECT_EQ(c.direction, i == 3 ? Direction::kOutbound : Direction::kInbound) << i;
    const int64_t ts = c.ts_sec * 1000000000 + c.ts_nsec;
    EXPECT_GE(ts, before);
    EXPECT_LE(ts, after);
    if (i > 0) {
      EXPECT_GE(ts, got[i - 1].ts_sec * 1000000000 + got[i - 1].ts_nsec);
    }
  }
}

TEST_F(RingTest, TcpHandshakeSynsBothWays) {
  auto ring = OpenA("tcp port 7003 and tcp[tcpflags] & tcp-syn != 0");
  ASSERT_NE(ring, nullptr);
  ASSERT_TRUE(net_->TcpHandshake(kB, 7003));
  const std::vector<Captured> got = Drain(*ring);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].data[47] & 0x12, 0x02);  // SYN, inbound
  EXPECT_EQ(got[0].direction, Direction::kInbound);
  EXPECT_EQ(got[1].data[47] & 0x12, 0x12);  // SYN-ACK, outbound
  EXPECT_EQ(got[1].direction, Direction::kOutbound);
}

TEST_F(RingTest, DirectionInOutInOut) {
  struct Case {
    CaptureDirection direction;
    std::vector<uint8_t> icmp_types;  // captured, in order
  } cases[] = {
      {CaptureDirection::kInOut, {8, 0}},
      {CaptureDirection::kIn, {8}},
      {CaptureDirection::kOut, {0}},
  };
  for (const Case& c : cases) {
    RingOptions o = TestOptions("");
    o.direction = c.direction;
    auto ring = OpenA("icmp", o);
    ASSERT_NE(ring, nullptr);
    ASSERT_TRUE(net_->Ping4(kB, 9, static_cast<uint16_t>(c.direction)));
    std::vector<uint8_t> types;
    for (const Captured& p : Drain(*ring)) {
      types.push_back(p.data.at(34));
      EXPECT_EQ(p.direction, p.data.at(34) == 8 ? Direction::kInbound : Direction::kOutbound);
    }
    EXPECT_EQ(types, c.icmp_types) << "direction " << static_cast<int>(c.direction);
  }
}

TEST_F(RingTest, ArpRequestAndReply) {
  auto ring = OpenA("arp");
  ASSERT_NE(ring, nullptr);
  ASSERT_TRUE(net_->SendFrame(kB, net_->ArpRequest(kB)));
  const std::vector<Captured> got = Drain(*ring);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].data, net_->ArpRequest(kB));
  EXPECT_EQ(Be16(got[1].data, 20), 2);  // reply
  EXPECT_EQ(got[1].direction, Direction::kOutbound);
}

TEST_F(RingTest, Ipv6UdpAndEcho) {
  auto ring = OpenA("ip6 and (udp port 7010 or icmp6)");
  ASSERT_NE(ring, nullptr);
  ASSERT_TRUE(net_->SendUdp6(kB, 40010, 7010, "six"));
  ASSERT_TRUE(net_->Ping6(kB, 6, 1));
  std::vector<Captured> got = Drain(*ring);
  // Keep echo traffic only among ICMPv6 (MLD may show up on a fresh link).
  std::vector<uint8_t> kinds;
  for (const Captured& c : got) {
    if (c.data.at(20) == 17) kinds.push_back(17);
    if (c.data.at(20) == 58 && (c.data.at(54) == 128 || c.data.at(54) == 129)) {
      kinds.push_back(c.data.at(54));
    }
  }
  EXPECT_EQ(kinds, (std::vector<uint8_t>{17, 128, 129}));
}

TEST_F(RingTest, VlanTagIsPutBack) {
  auto ring = OpenA("udp port 7020");  // the kernel filters the untagged frame
  ASSERT_NE(ring, nullptr);
  const std::vector<uint8_t> frame = net_->VlanUdp4(kB, 100, 7020, "tagged");
  ASSERT_TRUE(net_->SendFrame(kB, frame));
  const std::vector<Captured> got = Drain(*ring);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].data, frame);
  EXPECT_EQ(got[0].len, frame.size());
}

// On a socket the kernel takes the outer tag out of the frame before the
// filter runs; a program compiled for_kernel tests the tag where it is.
TEST_F(RingTest, VlanFilterSeesStrippedTags) {
  auto ring = OpenAForKernel("vlan 100 and udp port 7021");
  ASSERT_NE(ring, nullptr);
  const std::vector<uint8_t> hit = net_->VlanUdp4(kB, 100, 7021, "hit");
  ASSERT_TRUE(net_->SendFrame(kB, net_->VlanUdp4(kB, 200, 7021, "other vlan")));
  ASSERT_TRUE(net_->SendFrame(kB, hit));
  ASSERT_TRUE(net_->SendUdp4(kB, 40021, 7021, "untagged"));
  const std::vector<Captured> got = Drain(*ring);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].data, hit);

  // The savefile program (tag in the data) misses it on this socket.
  auto offline = OpenA("vlan 100 and udp port 7021");
  ASSERT_NE(offline, nullptr);
  ASSERT_TRUE(net_->SendFrame(kB, hit));
  EXPECT_TRUE(Drain(*offline).empty());
}

// "vlan 100 and geneve 5 and ip" on a socket: the outer tag is in the
// kernel's ancillary data, the Geneve packet right after the Ethernet header.
TEST_F(RingTest, GeneveAfterAStrippedVlanTag) {
  auto ring = OpenAForKernel("vlan 100 and geneve 5 and ip");
  ASSERT_NE(ring, nullptr);
  // Geneve (version 0, no options, Ethernet inside, VNI) / Ethernet / IPv4.
  auto geneve = [](uint8_t vni, uint16_t inner_type) {
    std::string g = {0x00, 0x00, 0x65, 0x58, 0x00, 0x00, static_cast<char>(vni), 0x00};
    g += std::string(12, '\x02');
    g += {static_cast<char>(inner_type >> 8), static_cast<char>(inner_type & 0xff)};
    g += std::string("\x45\x00\x00\x14\x00\x00\x00\x00\x40\x06\x00\x00", 12);
    g += std::string("\xc0\xa8\x01\x01\xc0\xa8\x01\x02", 8);
    return g;
  };
  const std::vector<uint8_t> hit = net_->VlanUdp4(kB, 100, 6081, geneve(5, 0x0800));
  ASSERT_TRUE(net_->SendFrame(kB, net_->VlanUdp4(kB, 200, 6081, geneve(5, 0x0800))));
  ASSERT_TRUE(net_->SendFrame(kB, net_->VlanUdp4(kB, 100, 6081, geneve(6, 0x0800))));
  ASSERT_TRUE(net_->SendFrame(kB, net_->VlanUdp4(kB, 100, 6081, geneve(5, 0x86dd))));
  ASSERT_TRUE(net_->SendUdp4(kB, 40022, 6081, geneve(5, 0x0800)));  // untagged
  ASSERT_TRUE(net_->SendFrame(kB, hit));
  const std::vector<Captured> got = Drain(*ring);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].data, hit);
}

TEST_F(RingTest, SnaplenTruncates) {
  RingOptions o = TestOptions("");
  o.snaplen = 60;
  auto ring = OpenA("udp port 7025", o);
  ASSERT_NE(ring, nullptr);
  EXPECT_EQ(ring->Snaplen(), 60u);
  ASSERT_TRUE(net_->SendUdp4(kB, 40025, 7025, std::string(200, 'x')));
  const std::vector<Captured> got = Drain(*ring);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].data.size(), 60u);
  EXPECT_EQ(got[0].len, 14u + 20 + 8 + 200);
}

// The kernel counts promiscuity requests ("promiscuity N" in ip -d); the
// IFF_PROMISC bit of SIOCGIFFLAGS only shows the one set by ioctl.
bool IsPromiscuous(const NetnsPair& net) {
  std::string out;
  net.Exec(kA, {"ip", "-d", "link", "show", net.ifname(kA)}, &out);
  return out.find("promiscuity 0") == std::string::npos;
}

TEST_F(RingTest, PromiscuousWhileOpenAndUndoneOnClose) {
  ASSERT_FALSE(IsPromiscuous(*net_));
  {
    auto ring = OpenA("");
    ASSERT_NE(ring, nullptr);
    EXPECT_TRUE(IsPromiscuous(*net_));
  }
  EXPECT_FALSE(IsPromiscuous(*net_));
  RingOptions o = TestOptions("");
  o.promiscuous = false;
  auto ring = OpenA("", o);
  ASSERT_NE(ring, nullptr);
  EXPECT_FALSE(IsPromiscuous(*net_));
}

TEST_F(RingTest, StatsCountReceivedAndDropped) {
  auto ring = OpenA("udp port 7030");
  ASSERT_NE(ring, nullptr);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(net_->SendUdp4(kB, 40030, 7030, "s"));
  EXPECT_EQ(Drain(*ring).size(), 5u);
  CaptureStats st;
  ASSERT_TRUE(ring->Stats(&st));
  EXPECT_EQ(st.received, 5u);
  EXPECT_EQ(st.dropped, 0u);
  ASSERT_TRUE(net_->SendUdp4(kB, 40030, 7030, "s"));
  EXPECT_EQ(Drain(*ring).size(), 1u);
  ASSERT_TRUE(ring->Stats(&st));  // adds up across reads
  EXPECT_EQ(st.received, 6u);

  // A ring of two one-page blocks overflows while nobody reads.
  RingOptions o = TestOptions("");
  o.block_size = 4096;
  o.block_count = 2;
  o.block_timeout_ms = 20;
  auto small = OpenA("udp port 7031", o);
  ASSERT_NE(small, nullptr);
  const int kSent = 200;
  for (int i = 0; i < kSent; ++i) ASSERT_TRUE(net_->SendUdp4(kB, 40031, 7031, "drop me"));
  const size_t captured = Drain(*small, 100).size();
  ASSERT_TRUE(small->Stats(&st));
  EXPECT_EQ(st.received, static_cast<uint64_t>(kSent));
  EXPECT_GT(st.dropped, 0u);
  EXPECT_EQ(captured + st.dropped, st.received);
}

TEST_F(RingTest, InterruptUnblocksNext) {
  auto ring = OpenA("udp port 7040");
  ASSERT_NE(ring, nullptr);
  std::thread t([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ring->Interrupt();
  });
  Packet p;
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(ring->Next(&p, -1), ReadStatus::kInterrupted);
  t.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  // The interrupt is consumed: the next call times out normally.
  EXPECT_EQ(ring->Next(&p, 10), ReadStatus::kTimeout);
  // Interrupt() before Next() makes it return at once.
  ring->Interrupt();
  EXPECT_EQ(ring->Next(&p, -1), ReadStatus::kInterrupted);
}

// Ctrl-C must not lose what the kernel already accepted: with a long block
// timeout the packets sit in the block the kernel is filling, and an
// interrupt makes the ring wait for that block instead of dropping it.
TEST_F(RingTest, InterruptDeliversThePartlyFilledBlockFirst) {
  RingOptions o = TestOptions("");
  o.block_timeout_ms = 400;
  auto ring = OpenA("udp dst port 7041", o);
  ASSERT_NE(ring, nullptr);
  ASSERT_TRUE(net_->SendUdp4(kB, 40001, 7041, "a"));
  ASSERT_TRUE(net_->SendUdp4(kB, 40001, 7041, "b"));
  ring->Interrupt();
  const auto start = std::chrono::steady_clock::now();
  Packet p;
  std::vector<std::string> got;
  ReadStatus st;
  while ((st = ring->Next(&p, -1)) == ReadStatus::kPacket) {
    got.emplace_back(reinterpret_cast<const char*>(p.data) + 42, p.caplen - 42);
  }
  EXPECT_EQ(st, ReadStatus::kInterrupted);
  EXPECT_EQ(got, (std::vector<std::string>{"a", "b"}));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(900));
  // Nothing left over, nothing pending: an idle ring stops at once.
  ring->Interrupt();
  const auto again = std::chrono::steady_clock::now();
  EXPECT_EQ(ring->Next(&p, -1), ReadStatus::kInterrupted);
  EXPECT_LT(std::chrono::steady_clock::now() - again, std::chrono::milliseconds(100));
}

TEST_F(RingTest, SetFilterReplacesTheFilter) {
  auto ring = OpenA("udp port 7050");
  ASSERT_NE(ring, nullptr);
  ASSERT_TRUE(net_->SendUdp4(kB, 40050, 7050, "old"));
  ASSERT_TRUE(ring->SetFilter(MustCompile("udp port 7051", kDltEn10mb))) << ring->error();
  ASSERT_TRUE(net_->SendUdp4(kB, 40050, 7050, "old again"));
  ASSERT_TRUE(net_->SendUdp4(kB, 40050, 7051, "new"));
  const std::vector<Captured> got = Drain(*ring);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(Be16(got[0].data, 36), 7051);
}

TEST_F(RingTest, FanoutSpreadsFlowsOverOneGroup) {
  RingOptions o = TestOptions("");
  o.fanout_group = static_cast<uint16_t>(getpid() & 0x7fff);
  auto r1 = OpenA("udp port 7060", o);
  auto r2 = OpenA("udp port 7060", o);
  ASSERT_NE(r1, nullptr);
  ASSERT_NE(r2, nullptr);
  const int kFlows = 32;
  for (int i = 0; i < kFlows; ++i) {
    ASSERT_TRUE(net_->SendUdp4(kB, static_cast<uint16_t>(41000 + i), 7060, "f"));
  }
  const size_t n1 = Drain(*r1).size(), n2 = Drain(*r2, 10).size();
  EXPECT_EQ(n1 + n2, static_cast<size_t>(kFlows));
  EXPECT_GT(n1, 0u);
  EXPECT_GT(n2, 0u);
}

TEST_F(RingTest, AnyDeviceGivesSll2Headers) {
  RingOptions o = TestOptions("any");
  o.filter = MustCompile("udp port 7070", kDltLinuxSll2);
  auto ring = OpenIn(*net_, kA, o);
  ASSERT_NE(ring, nullptr);
  EXPECT_EQ(ring->LinkType(), kDltLinuxSll2);
  EXPECT_TRUE(ring->FilterInKernel()) << ring->UserFilterReason();
  ASSERT_TRUE(net_->SendUdp4(kB, 40070, 7070, "cooked"));
  // Loopback inside A: seen once, not twice.
  net_->RunIn(kA, [] {
    const int fd = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(7070);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sendto(fd, "lo", 2, 0, reinterpret_cast<sockaddr*>(&to), sizeof(to));
    close(fd);
  });
  const std::vector<Captured> got = Drain(*ring);
  ASSERT_EQ(got.size(), 2u);
  const Captured& c = got[0];
  const bpfcap::test::Mac mac_b = net_->mac(kB);
  std::vector<uint8_t> header = {0x08, 0x00, 0, 0, 0, 0, 0, 0, 0, 1, 0 /*host*/, 6};
  header[7] = static_cast<uint8_t>(net_->ifindex(kA));
  header.insert(header.end(), mac_b.begin(), mac_b.end());
  header.insert(header.end(), {0, 0});
  EXPECT_EQ(std::vector<uint8_t>(c.data.begin(), c.data.begin() + 20), header);
  EXPECT_EQ(std::string(c.data.begin() + 20 + 28, c.data.end()), "cooked");
  EXPECT_EQ(c.len, 20u + 28 + 6);
  EXPECT_EQ(Be16(got[1].data, 8), 772);  // ARPHRD_LOOPBACK
  EXPECT_EQ(got[1].ifindex, 1);
}

// -y LINUX_SLL on "any": the 16-byte v1 header, the filter still in the kernel.
TEST_F(RingTest, AnyDeviceGivesSllV1HeadersWhenAsked) {
  RingOptions o = TestOptions("any");
  o.link_type = kDltLinuxSll;
  o.filter = MustCompile("udp port 7072 and inbound", kDltLinuxSll);
  auto ring = OpenIn(*net_, kA, o);
  ASSERT_NE(ring, nullptr);
  EXPECT_EQ(ring->LinkType(), kDltLinuxSll);
  EXPECT_TRUE(ring->FilterInKernel()) << ring->UserFilterReason();
  ASSERT_TRUE(net_->SendUdp4(kB, 40072, 7072, "v1"));
  ASSERT_TRUE(net_->SendUdp4(kA, 40072, 7072, "outbound, filtered out"));
  const std::vector<Captured> got = Drain(*ring);
  ASSERT_EQ(got.size(), 1u);
  const bpfcap::test::Mac mac_b = net_->mac(kB);
  std::vector<uint8_t> header = {0, 0 /*host*/, 0, 1 /*ether*/, 0, 6};
  header.insert(header.end(), mac_b.begin(), mac_b.end());
  header.insert(header.end(), {0, 0, 0x08, 0x00});
  EXPECT_EQ(std::vector<uint8_t>(got[0].data.begin(), got[0].data.begin() + 16), header);
  EXPECT_EQ(std::string(got[0].data.begin() + 16 + 28, got[0].data.end()), "v1");
  // An Ethernet device has no cooked link types.
  RingOptions eth = TestOptions(net_->ifname(kA));
  eth.link_type = kDltLinuxSll;
  std::string error;
  EXPECT_EQ(OpenIn(*net_, kA, eth, &error), nullptr);
  EXPECT_EQ(error, "LINUX_SLL is not one of the DLTs supported by this device");
}

TEST_F(RingTest, AnyDevicePutsVlanTagAfterTheCookedHeader) {
  auto ring = OpenIn(*net_, kA, TestOptions("any"));
  ASSERT_NE(ring, nullptr);
  const std::vector<uint8_t> frame = net_->VlanUdp4(kB, 42, 7071, "v");
  ASSERT_TRUE(net_->SendFrame(kB, frame));
  std::vector<Captured> got = Drain(*ring);
  ASSERT_EQ(got.size(), 1u);
  const Captured& c = got[0];
  EXPECT_EQ(Be16(c.data, 0), 0x8100);
  EXPECT_EQ(Be16(c.data, 20), 42);
  EXPECT_EQ(Be16(c.data, 22), 0x0800);
  EXPECT_EQ(std::vector<uint8_t>(c.data.begin() + 24, c.data.end()),
            std::vector<uint8_t>(frame.begin() + 18, frame.end()));
}

TEST_F(RingTest, InterfaceListInNamespace) {
  std::vector<InterfaceInfo> list;
  std::string error;
  int ifindex = -1;
  std::string missing_error;
  net_->RunIn(kB, [&] {
    ASSERT_TRUE(ListInterfaces(&list, &error)) << error;
    EXPECT_FALSE(ResolveInterface("eth9", &ifindex, &missing_error));
  });
  EXPECT_EQ(missing_error, "eth9: No such device exists");
  EXPECT_EQ(FormatInterfaceList(list),
            "1." + net_->ifname(kB) + " [Up, Running, Connected]\n"
            "2.any (Pseudo-device that captures on all interfaces) [Up, Running]\n"
            "3.lo [Up, Running, Loopback]\n");
}

}  // namespace
}  // namespace bpfcap::capture::test
