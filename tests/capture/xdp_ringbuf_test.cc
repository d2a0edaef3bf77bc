// The XDP ring-buffer engine and the eBPF socket filter on a real kernel: a
// veth pair between two private namespaces, known traffic from B to A, and
// checks that exactly the matching packets arrive with their contents,
// that every packet still reaches A's stack, that VLAN tags are seen
// inline, and that no program stays attached after the capture ends,
// normally or by kill -9. Needs root; skipped with a message otherwise.
#include "capture/xdp_ringbuf.h"

#include <bpf/libbpf.h>
#include <gtest/gtest.h>
#include <linux/if_link.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "capture/ring.h"
#include "tests/api/child.h"
#include "tests/capture/ring_helpers.h"
#include "tests/integration/netns.h"

namespace bpfcap::capture::test {
namespace {

using bpfcap::test::NetnsPair;
constexpr NetnsPair::Side kA = NetnsPair::kA;
constexpr NetnsPair::Side kB = NetnsPair::kB;

int64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

// The UDP payload of an untagged IPv4 frame without options.
std::string Payload(const Captured& c) {
  if (c.data.size() < 42) return "";
  return std::string(c.data.begin() + 42, c.data.end());
}

struct XdpTestNet {
  static constexpr const char* kName = "xdpr";
};
class XdpTest : public NetnsSuite<XdpTestNet> {
 protected:

  // An XDP capture on A's veth end (it sees what B sends).
  std::unique_ptr<XdpRingbufSource> OpenA(const std::string& expr, XdpMode mode = XdpMode::kAuto,
                                          uint32_t snaplen = 262144, std::string* error = nullptr,
                                          uint32_t batch_ms = 0) {
    XdpOptions o;
    o.batch_ms = batch_ms;
    o.interface = net_->ifname(kA);
    o.expression = expr;
    o.mode = mode;
    o.snaplen = snaplen;
    o.ring_kib = 1024;
    std::unique_ptr<XdpRingbufSource> src;
    std::string err;
    net_->RunIn(kA, [&] { src = XdpRingbufSource::Open(o, &err); });
    if (error) *error = err;
    else EXPECT_NE(src, nullptr) << err;
    return src;
  }

  // The XDP program id on A's veth (0: none), in every mode.
  uint32_t AttachedId() const {
    LIBBPF_OPTS(bpf_xdp_query_opts, q);
    net_->RunIn(kA, [&] { bpf_xdp_query(net_->ifindex(kA), 0, &q); });
    return q.prog_id | q.drv_prog_id | q.skb_prog_id;
  }

  // Waits up to 2 s for the attachment to go (link release may be deferred).
  bool DetachedSoon() const {
    for (int i = 0; i < 200; ++i) {
      if (AttachedId() == 0) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

};

TEST_F(XdpTest, ExactlyTheMatchingPacketsArriveWithTheirContents) {
  auto src = OpenA("udp dst port 7101");
  ASSERT_NE(src, nullptr);
  const int64_t before = NowNs();
  ASSERT_TRUE(net_->SendUdp4(kB, 40101, 7101, "one"));
  ASSERT_TRUE(net_->SendUdp4(kB, 40101, 7102, "not me"));
  ASSERT_TRUE(net_->Ping4(kB, 1, 1));
  ASSERT_TRUE(net_->SendUdp4(kB, 40101, 7101, std::string(1400, 'x')));
  ASSERT_TRUE(net_->SendUdp6(kB, 40101, 7101, "v6 is not udp-over-ip4 here"));
  const std::vector<Captured> got = Drain(*src, 80);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(Payload(got[0]), "one");
  EXPECT_EQ(Payload(got[1]), std::string(1400, 'x'));
  for (const Captured& c : got) {
    EXPECT_EQ(c.len, c.data.size());
    EXPECT_EQ(c.ifindex, net_->ifindex(kA));
    EXPECT_EQ(c.direction, Direction::kInbound);
    const int64_t ts = c.ts_sec * 1000000000 + c.ts_nsec;
    EXPECT_GE(ts, before - 5000000);  // the clock offset is read, not exact
    EXPECT_LE(ts, NowNs() + 5000000);
    // Source and destination MAC: B to A.
    const bpfcap::test::Mac a = net_->mac(kA), b = net_->mac(kB);
    EXPECT_TRUE(std::equal(a.begin(), a.end(), c.data.begin()));
    EXPECT_TRUE(std::equal(b.begin(), b.end(), c.data.begin() + 6));
  }
  CaptureStats st;
  ASSERT_TRUE(src->Stats(&st));
  EXPECT_EQ(st.received, 3u);
  EXPECT_EQ(st.dropped, 0u);
}

TEST_F(XdpTest, EveryPacketStillReachesTheStack) {
  // Echo replies and SYN-ACKs come back only if A's stack saw the request:
  // matching (icmp) and non-matching (tcp) traffic both pass.
  auto src = OpenA("icmp");
  ASSERT_NE(src, nullptr);
  EXPECT_TRUE(net_->Ping4(kB, 7, 1));
  EXPECT_TRUE(net_->Ping4(kB, 7, 2));
  EXPECT_TRUE(net_->TcpHandshake(kB, 7110));
  const std::vector<Captured> got = Drain(*src, 80);
  ASSERT_EQ(got.size(), 2u);  // the two requests; A's replies leave A, unseen
  for (const Captured& c : got) EXPECT_EQ(c.data.at(34), 8) << "an echo request";
}

TEST_F(XdpTest, BatchedReaderStillGetsEveryPacket) {
  // Without wake-ups below a quarter of the ring, the reader finds the
  // packets on its 30 ms tick.
  auto src = OpenA("udp port 7105", XdpMode::kAuto, 262144, nullptr, 30);
  ASSERT_NE(src, nullptr);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(net_->SendUdp4(kB, 40105, 7105, "b" + std::to_string(i)));
  const std::vector<Captured> got = Drain(*src, 100);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(Payload(got[2]), "b2");
}

TEST_F(XdpTest, VlanTagsAreInTheFrame) {
  auto src = OpenA("vlan 42 and udp port 7120");
  ASSERT_NE(src, nullptr);
  const std::vector<uint8_t> hit = net_->VlanUdp4(kB, 42, 7120, "tagged");
  ASSERT_TRUE(net_->SendFrame(kB, net_->VlanUdp4(kB, 43, 7120, "other vlan")));
  ASSERT_TRUE(net_->SendFrame(kB, hit));
  ASSERT_TRUE(net_->SendUdp4(kB, 40120, 7120, "untagged"));
  const std::vector<Captured> got = Drain(*src, 80);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].data, hit);
}

TEST_F(XdpTest, SnapLengthTruncatesTheCopy) {
  auto src = OpenA("udp port 7130", XdpMode::kAuto, 60);
  ASSERT_NE(src, nullptr);
  EXPECT_EQ(src->Snaplen(), 60u);
  ASSERT_TRUE(net_->SendUdp4(kB, 40130, 7130, std::string(500, 'y')));
  const std::vector<Captured> got = Drain(*src, 80);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].data.size(), 60u);
  EXPECT_EQ(got[0].len, 14u + 20 + 8 + 500);
}

TEST_F(XdpTest, InboundAlwaysHoldsAndIfindexIsTheIngressDevice) {
  auto src = OpenA("inbound and ifindex " + std::to_string(net_->ifindex(kA)) +
                   " and udp port 7140");
  ASSERT_NE(src, nullptr);
  ASSERT_TRUE(net_->SendUdp4(kB, 40140, 7140, "in"));
  EXPECT_EQ(Drain(*src, 80).size(), 1u);
  std::string error;
  EXPECT_EQ(OpenA("udp or outbound", XdpMode::kAuto, 262144, &error), nullptr);
  EXPECT_EQ(error,
            "'outbound' never matches at XDP, which sees received packets only "
            "(column 8, near 'outbound')");
}

TEST_F(XdpTest, NativeAndGenericModes) {
  for (XdpMode mode : {XdpMode::kNative, XdpMode::kGeneric}) {
    auto src = OpenA("udp port 7150", mode);
    ASSERT_NE(src, nullptr);
    EXPECT_EQ(src->mode(), mode);
    std::string shown;
    net_->Exec(kA, {"ip", "link", "show", net_->ifname(kA)}, &shown);
    EXPECT_NE(shown.find(mode == XdpMode::kNative ? " xdp " : " xdpgeneric "), std::string::npos)
        << shown;
    ASSERT_TRUE(net_->SendUdp4(kB, 40150, 7150, "m"));
    EXPECT_EQ(Drain(*src, 80).size(), 1u);
    src.reset();
    EXPECT_TRUE(DetachedSoon());
  }
  auto automatic = OpenA("");
  ASSERT_NE(automatic, nullptr);
  EXPECT_EQ(automatic->mode(), XdpMode::kNative) << "veth has native XDP";
}

TEST_F(XdpTest, AnotherProgramIsNeverReplaced) {
  auto first = OpenA("udp");
  ASSERT_NE(first, nullptr);
  const uint32_t id = AttachedId();
  ASSERT_NE(id, 0u);
  std::string error;
  EXPECT_EQ(OpenA("tcp", XdpMode::kAuto, 262144, &error), nullptr);
  EXPECT_EQ(error, net_->ifname(kA) + ": an XDP program (id " + std::to_string(id) +
                       ") is already attached; bpfcap does not replace it");
  EXPECT_EQ(AttachedId(), id);
}

TEST_F(XdpTest, NothingStaysAttachedAfterExitOrKill9) {
  const std::string bpfcap = apitest::BuildDir() + "/bpfcap";
  for (const bool kill9 : {false, true}) {
    {
      apitest::Child c;
      ASSERT_TRUE(c.Start({"ip", "netns", "exec", net_->ns(kA), bpfcap, "-i", net_->ifname(kA),
                           "--engine=xdp", "-c", "1", "-w", "/dev/null", "udp port 7160"}));
      ASSERT_TRUE(c.WaitForStderr("listening on", 10000)) << c.err();
      EXPECT_NE(AttachedId(), 0u);
      if (!kill9) {
        ASSERT_TRUE(net_->SendUdp4(kB, 40160, 7160, "stop"));
        EXPECT_EQ(c.Wait(5000), 0) << c.err();
        EXPECT_NE(c.err().find("1 packet captured"), std::string::npos) << c.err();
      }
    }  // ~Child: SIGKILL if still running
    EXPECT_TRUE(DetachedSoon()) << (kill9 ? "after kill -9" : "after exit");
  }
}

TEST_F(XdpTest, ClearErrors) {
  std::string error;
  XdpOptions o;
  o.interface = "lo";
  net_->RunIn(kA, [&] { EXPECT_EQ(XdpRingbufSource::Open(o, &error), nullptr); });
  EXPECT_EQ(error, "lo: the XDP engine needs an Ethernet device (hardware type 772); "
                   "use --engine=packet");
  o.interface = "any";
  EXPECT_EQ(XdpRingbufSource::Open(o, &error), nullptr);
  EXPECT_EQ(error, "any: the XDP engine captures on one interface, not on 'any'");
  o.interface = "bpfcnosuch9";
  EXPECT_EQ(XdpRingbufSource::Open(o, &error), nullptr);
  EXPECT_EQ(error, "bpfcnosuch9: No such device exists");
}

TEST_F(XdpTest, InterruptUnblocksNext) {
  auto src = OpenA("udp port 7170");
  ASSERT_NE(src, nullptr);
  std::thread t([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    src->Interrupt();
  });
  Packet p;
  EXPECT_EQ(src->Next(&p, -1), ReadStatus::kInterrupted);
  t.join();
  EXPECT_EQ(src->Next(&p, 10), ReadStatus::kTimeout);
}

// --engine=packet --target=ebpf: the AF_PACKET ring with SO_ATTACH_BPF.
TEST_F(XdpTest, EbpfSocketFilterSelectsExactlyTheMatchingPackets) {
  RingOptions o = TestOptions(net_->ifname(kA));
  CompileOptions c;
  c.for_kernel = true;
  ebpf::GenOptions gen;
  EbpfCompileResult r = CompileEbpf("udp dst port 7181 or (vlan 100 and udp port 7182)", c, gen);
  ASSERT_TRUE(r.diag.ok()) << r.diag.message;
  o.ebpf_filter = r.program;
  auto ring = OpenIn(*net_, kA, o);
  ASSERT_NE(ring, nullptr);
  ASSERT_TRUE(net_->SendUdp4(kB, 40181, 7181, "one"));
  ASSERT_TRUE(net_->SendUdp4(kB, 40181, 7183, "not me"));
  ASSERT_TRUE(net_->Ping4(kB, 3, 1));
  const std::vector<uint8_t> tagged = net_->VlanUdp4(kB, 100, 7182, "tagged");
  ASSERT_TRUE(net_->SendFrame(kB, net_->VlanUdp4(kB, 101, 7182, "other vlan")));
  ASSERT_TRUE(net_->SendFrame(kB, tagged));
  const std::vector<Captured> got = Drain(*ring);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(Payload(got[0]), "one");
  EXPECT_EQ(got[1].data, tagged);  // the kernel's stripped tag, read from the skb and put back
  CaptureStats st;
  ASSERT_TRUE(ring->Stats(&st));
  EXPECT_EQ(st.received, 2u);
}

}  // namespace
}  // namespace bpfcap::capture::test
