// The AF_XDP engine (capture/afxdp.h, capture/xsk.h) in the real kernel, on
// veth pairs in private namespaces: exactly the redirected packets arrive
// through the sockets, they no longer reach the stack, other traffic still
// flows, every queue is served, the kernel's counters add up, and nothing
// stays attached after the source goes away or its process is killed.
//
// Most tests here use a small hand-written XDP program (redirect IPv4 UDP
// to one destination port, pass the rest), so that the socket and UMEM
// machinery is tested on its own; AfXdpFilter and AfXdpCli use the
// compiled filter (XdpOnMatch::kRedirectXsk), the latter through the CLI.
#include "capture/afxdp.h"

#include <arpa/inet.h>
#include <linux/bpf.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "capture/savefile.h"
#include "compiler/ebpf/codegen.h"
#include "compiler/ebpf/insn.h"
#include "compiler/ebpf/object.h"
#include "tests/api/child.h"
#include "tests/integration/netns.h"
#include "tests/integration/traffic.h"

namespace bpfcap::capture {
namespace {

using bpfcap::test::NetnsPair;
using ebpf::AluOp;
using ebpf::JmpOp;
using ebpf::Reg;
using ebpf::Size;

#define SKIP_UNLESS_ROOT()                                                                   \
  if (geteuid() != 0) GTEST_SKIP() << "needs root: creates network namespaces, AF_XDP sockets " \
                                      "and XDP programs"

// lddw dst, map fd (BPF_PSEUDO_MAP_FD): two slots.
void LoadMapFd(ebpf::SymProgram* p, Reg dst, int fd) {
  p->Emit(ebpf::Raw(BPF_LD | BPF_IMM | ebpf::kSizeDw, dst, static_cast<Reg>(BPF_PSEUDO_MAP_FD), 0, fd));
  p->Emit(ebpf::Raw(0, Reg::kR0, Reg::kR0, 0, 0));
}

// Redirects IPv4 (no options) UDP to `port` into the XSKMAP at the
// packet's receive queue; passes everything else.
ebpf::Program RedirectUdpPort(int map_fd, uint16_t port) {
  ebpf::SymProgram p;
  const ebpf::Label pass = p.NewLabel();
  p.Emit(ebpf::LoadMem(Size::kW, Reg::kR6, Reg::kR1, offsetof(xdp_md, data)));
  p.Emit(ebpf::LoadMem(Size::kW, Reg::kR7, Reg::kR1, offsetof(xdp_md, data_end)));
  p.Emit(ebpf::LoadMem(Size::kW, Reg::kR8, Reg::kR1, offsetof(xdp_md, rx_queue_index)));
  p.Emit(ebpf::Mov64Reg(Reg::kR2, Reg::kR6));
  p.Emit(ebpf::Alu64Imm(AluOp::kAdd, Reg::kR2, 38));  // through the UDP destination port
  p.Emit(ebpf::JmpReg(JmpOp::kJgt, Reg::kR2, Reg::kR7, pass));
  const struct {
    Size size;
    int16_t off;
    int32_t value;  // as loaded: the packet's bytes in host (little-endian) order
  } kTests[] = {
      {Size::kH, 12, htons(0x0800)},  // EtherType IPv4
      {Size::kB, 14, 0x45},           // version 4, 20-byte header
      {Size::kB, 23, 17},             // UDP
      {Size::kH, 36, htons(port)},    // destination port
  };
  for (const auto& t : kTests) {
    p.Emit(ebpf::LoadMem(t.size, Reg::kR3, Reg::kR6, t.off));
    p.Emit(ebpf::Jmp32Imm(JmpOp::kJne, Reg::kR3, t.value, pass));
  }
  LoadMapFd(&p, Reg::kR1, map_fd);
  p.Emit(ebpf::Mov64Reg(Reg::kR2, Reg::kR8));
  p.Emit(ebpf::Mov64Imm(Reg::kR3, ebpf::kXdpPass));  // no socket on this queue: pass
  p.Emit(ebpf::Call(BPF_FUNC_redirect_map));
  p.Emit(ebpf::Exit());
  p.Bind(pass);
  p.Emit(ebpf::Mov32Imm(Reg::kR0, ebpf::kXdpPass));
  p.Emit(ebpf::Exit());
  ebpf::Program out;
  std::string error;
  EXPECT_TRUE(ebpf::Assemble(p, &out, &error)) << error;
  return out;
}

AfXdpOptions Options(const NetnsPair& net, uint16_t port, XdpMode mode = XdpMode::kAuto) {
  AfXdpOptions o;
  o.interface = net.ifname(NetnsPair::kB);
  o.mode = mode;
  o.buffer_kib = 1024;  // 256 frames per queue
  o.program = [port](int map_fd, ebpf::Program* out, std::string*) {
    *out = RedirectUdpPort(map_fd, port);
    return true;
  };
  return o;
}

std::unique_ptr<AfXdpSource> OpenIn(const NetnsPair& net, const AfXdpOptions& o,
                                    std::string* error) {
  std::unique_ptr<AfXdpSource> src;
  net.RunIn(NetnsPair::kB, [&] { src = AfXdpSource::Open(o, error); });
  return src;
}

// "prog/xdp" in `ip link show` of B's veth: an XDP program is attached.
bool XdpAttached(const NetnsPair& net) {
  std::string out;
  net.Exec(NetnsPair::kB, {"ip", "link", "show", "dev", net.ifname(NetnsPair::kB)}, &out);
  return out.find("prog/xdp") != std::string::npos;
}

struct Got {
  std::vector<std::string> payloads;  // UDP payloads, in arrival order
  std::vector<uint16_t> dst_ports;
  std::set<uint32_t> queues;          // receive queues they came from
};

// Reads until nothing arrived for quiet_ms.
Got Drain(AfXdpSource& src, int quiet_ms = 100) {
  Got g;
  Packet p;
  while (src.Next(&p, quiet_ms) == ReadStatus::kPacket) {
    EXPECT_EQ(p.caplen, p.len);
    EXPECT_EQ(p.direction, Direction::kInbound);
    EXPECT_EQ(p.ifindex, src.ifindex());
    if (p.caplen < 42) continue;
    g.queues.insert(src.last_queue());
    g.dst_ports.push_back(static_cast<uint16_t>((p.data[36] << 8) | p.data[37]));
    g.payloads.emplace_back(reinterpret_cast<const char*>(p.data) + 42, p.caplen - 42);
  }
  return g;
}

class AfXdp : public ::testing::Test {
 protected:
  void SetUp() override {
    SKIP_UNLESS_ROOT();
    std::string error;
    net_ = NetnsPair::Create("xsk", &error);
    ASSERT_NE(net_, nullptr) << error;
  }
  std::unique_ptr<NetnsPair> net_;
};

TEST_F(AfXdp, RedirectedPacketsArriveAndLeaveTheStack) {
  for (XdpMode mode : {XdpMode::kNative, XdpMode::kGeneric}) {
    SCOPED_TRACE(mode == XdpMode::kNative ? "native" : "generic");
    std::string error;
    auto src = OpenIn(*net_, Options(*net_, 7200, mode), &error);
    ASSERT_NE(src, nullptr) << error;
    EXPECT_EQ(src->attached_mode(), mode);
    EXPECT_EQ(src->queues(), 1u);
    EXPECT_TRUE(XdpAttached(*net_));

    test::UdpReceiver taken(*net_, NetnsPair::kB, 7200), passed(*net_, NetnsPair::kB, 7201);
    for (int i = 0; i < 5; ++i) {
      ASSERT_TRUE(net_->SendUdp4(NetnsPair::kA, 40000, 7200, "match " + std::to_string(i)));
      ASSERT_TRUE(net_->SendUdp4(NetnsPair::kA, 40000, 7201, "other " + std::to_string(i)));
    }
    EXPECT_TRUE(test::PingReplies(*net_, NetnsPair::kA, 1, 1));
    const Got got = Drain(*src);
    ASSERT_EQ(got.payloads.size(), 5u);
    for (int i = 0; i < 5; ++i) {
      EXPECT_EQ(got.payloads[size_t(i)], "match " + std::to_string(i));
      EXPECT_EQ(got.dst_ports[size_t(i)], 7200);
    }
    EXPECT_FALSE(taken.Receive(0)) << "a redirected packet reached the stack too";
    for (int i = 0; i < 5; ++i) EXPECT_TRUE(passed.Receive(100)) << i;

    CaptureStats st;
    ASSERT_TRUE(src->Stats(&st));
    EXPECT_EQ(st.received, 5u);
    EXPECT_EQ(st.dropped, 0u);
    src.reset();
    EXPECT_FALSE(XdpAttached(*net_)) << "the program outlived its source";
    ASSERT_TRUE(net_->SendUdp4(NetnsPair::kA, 40000, 7200, "after"));
    EXPECT_TRUE(taken.Receive(200)) << "the stack gets the port back";
  }
}

TEST_F(AfXdp, FramesAreRecycledThroughTheFillRing) {
  std::string error;
  auto src = OpenIn(*net_, Options(*net_, 7210), &error);  // 256 frames
  ASSERT_NE(src, nullptr) << error;
  size_t total = 0;
  for (int round = 0; round < 4; ++round) {
    for (int i = 0; i < 200; ++i) ASSERT_TRUE(net_->SendUdp4(NetnsPair::kA, 40000, 7210, "r"));
    total += Drain(*src, 50).payloads.size();
  }
  EXPECT_EQ(total, 800u);  // three times the UMEM: frames went back and came round
  CaptureStats st;
  ASSERT_TRUE(src->Stats(&st));
  EXPECT_EQ(st.dropped, 0u);
}

TEST_F(AfXdp, FullRingsAreCountedAsDrops) {
  std::string error;
  AfXdpOptions o = Options(*net_, 7220);
  o.buffer_kib = 256;  // 64 frames
  auto src = OpenIn(*net_, o, &error);
  ASSERT_NE(src, nullptr) << error;
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(net_->SendUdp4(NetnsPair::kA, 40000, 7220, "d"));
  const size_t got = Drain(*src, 50).payloads.size();
  CaptureStats st;
  ASSERT_TRUE(src->Stats(&st));
  EXPECT_EQ(got, 64u);
  EXPECT_EQ(st.dropped, 36u);
  EXPECT_EQ(st.received, 100u);
}

TEST_F(AfXdp, InterruptReturnsAfterWhatIsQueued) {
  std::string error;
  auto src = OpenIn(*net_, Options(*net_, 7230), &error);
  ASSERT_NE(src, nullptr) << error;
  ASSERT_TRUE(net_->SendUdp4(NetnsPair::kA, 40000, 7230, "queued"));
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  src->Interrupt();
  Packet p;
  ASSERT_EQ(src->Next(&p, -1), ReadStatus::kPacket);
  EXPECT_EQ(src->Next(&p, -1), ReadStatus::kInterrupted);
}

TEST_F(AfXdp, AnotherProgramIsLeftAlone) {
  std::string error;
  {
    // Another bpfcap (a bpf_link) ...
    auto first = OpenIn(*net_, Options(*net_, 7240), &error);
    ASSERT_NE(first, nullptr) << error;
    EXPECT_EQ(OpenIn(*net_, Options(*net_, 7241), &error), nullptr);
    EXPECT_EQ(error.find(net_->ifname(NetnsPair::kB) + ": an XDP program (id "), 0u) << error;
    EXPECT_NE(error.find(") is already attached; bpfcap does not replace it"), std::string::npos)
        << error;
  }
  // ... or a program attached through netlink, as iproute2 does.
  const std::string file = "/tmp/bpfcap-afxdp-" + std::to_string(getpid()) + ".o";
  ASSERT_TRUE(ebpf::WriteElfObject(file, {ebpf::Mov32Imm(Reg::kR0, ebpf::kXdpPass), ebpf::Exit()},
                                   &error)) << error;
  std::string out;
  const int status = net_->Exec(NetnsPair::kB, {"ip", "link", "set", "dev",
                                                net_->ifname(NetnsPair::kB), "xdp", "obj", file,
                                                "sec", "xdp"}, &out);
  unlink(file.c_str());
  ASSERT_EQ(status, 0) << out;
  EXPECT_EQ(OpenIn(*net_, Options(*net_, 7242), &error), nullptr);
  EXPECT_NE(error.find("is already attached; bpfcap does not replace it"), std::string::npos)
      << error;
  EXPECT_TRUE(XdpAttached(*net_)) << "the other program must stay";
}

TEST_F(AfXdp, NoInterfaceOrAnyIsAnError) {
  std::string error;
  AfXdpOptions o = Options(*net_, 7250);
  o.interface = "any";
  EXPECT_EQ(OpenIn(*net_, o, &error), nullptr);
  EXPECT_EQ(error, "any: the AF_XDP engine captures on one interface, not on 'any'");
  o.interface = "nosuchdev0";
  EXPECT_EQ(OpenIn(*net_, o, &error), nullptr);
  EXPECT_EQ(error, "nosuchdev0: No such device exists");
}

TEST(AfXdpQueues, EveryReceiveQueueHasASocket) {
  SKIP_UNLESS_ROOT();
  std::string error;
  auto net = NetnsPair::Create("xsq", &error, 4);
  ASSERT_NE(net, nullptr) << error;
  auto src = OpenIn(*net, Options(*net, 7260), &error);
  ASSERT_NE(src, nullptr) << error;
  EXPECT_EQ(src->queues(), 4u);
  // Flows differ by source port, so the sender's stack spreads them over
  // its transmit queues, and the veth over the matching receive queues.
  constexpr int kFlows = 64;
  std::set<std::string> sent;
  for (int i = 0; i < kFlows; ++i) {
    const std::string payload = "flow " + std::to_string(i);
    ASSERT_TRUE(net->SendUdp4(NetnsPair::kA, static_cast<uint16_t>(41000 + i), 7260, payload));
    sent.insert(payload);
  }
  const Got got = Drain(*src);
  EXPECT_EQ(std::set<std::string>(got.payloads.begin(), got.payloads.end()), sent);
  EXPECT_EQ(got.payloads.size(), size_t{kFlows});
  EXPECT_GE(got.queues.size(), 2u) << "all flows came through one queue";
}

// A device without ethtool channels (ifb): one queue, and a warning that
// says so; a device with them (veth): none.
TEST(AfXdpQueues, UnknownQueueCountIsOneQueueAndAWarning) {
  SKIP_UNLESS_ROOT();
  std::string error;
  auto net = NetnsPair::Create("xsw", &error);
  ASSERT_NE(net, nullptr) << error;
  auto with_channels = OpenIn(*net, Options(*net, 7270), &error);
  ASSERT_NE(with_channels, nullptr) << error;
  EXPECT_EQ(with_channels->queue_warning(), "");
  with_channels.reset();
  ASSERT_EQ(net->Exec(NetnsPair::kB, {"ip", "link", "add", "bpfcTxsw0", "type", "ifb"}), 0);
  ASSERT_EQ(net->Exec(NetnsPair::kB, {"ip", "link", "set", "bpfcTxsw0", "up"}), 0);
  AfXdpOptions o = Options(*net, 7270, XdpMode::kGeneric);
  o.interface = "bpfcTxsw0";
  auto ifb = OpenIn(*net, o, &error);  // the namespace takes the ifb with it
  ASSERT_NE(ifb, nullptr) << error;
  EXPECT_EQ(ifb->queues(), 1u);
  EXPECT_EQ(ifb->queue_warning(),
            "bpfcTxsw0: the driver does not say how many receive queues it has "
            "(ETHTOOL_GCHANNELS: Operation not supported): bpfcap captures queue 0 only");
}

// The program goes with the process, however it ends: the bpf_link's only
// fd closes when the kernel tears the process down.
TEST_F(AfXdp, NothingStaysAttachedAfterKill9) {
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    // The child: single-threaded, so it can enter the namespace itself.
    close(ready[0]);
    std::string err;
    std::unique_ptr<AfXdpSource> src;
    net_->RunIn(NetnsPair::kB, [&] { src = AfXdpSource::Open(Options(*net_, 7270), &err); });
    const char ok = src ? 'y' : 'n';
    [[maybe_unused]] ssize_t n = write(ready[1], &ok, 1);
    for (;;) pause();
  }
  close(ready[1]);
  char ok = 0;
  ASSERT_EQ(read(ready[0], &ok, 1), 1);
  close(ready[0]);
  const bool attached = XdpAttached(*net_);
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_EQ(ok, 'y');
  EXPECT_TRUE(attached);
  EXPECT_FALSE(XdpAttached(*net_)) << "the XDP program outlived a killed process";
  test::UdpReceiver rx(*net_, NetnsPair::kB, 7270);
  ASSERT_TRUE(net_->SendUdp4(NetnsPair::kA, 40000, 7270, "back"));
  EXPECT_TRUE(rx.Receive(200));
}

}  // namespace
}  // namespace bpfcap::capture

// --- the compiled filter ------------------------------------------------------------

namespace bpfcap::capture {
namespace {

AfXdpOptions FilterOptions(const NetnsPair& net, const std::string& expr) {
  AfXdpOptions o;
  o.interface = net.ifname(NetnsPair::kB);
  o.expression = expr;
  o.buffer_kib = 1024;
  return o;
}

class AfXdpFilter : public AfXdp {};

TEST_F(AfXdpFilter, ExactlyTheMatchingPacketsArriveAndPingStillWorks) {
  std::string error;
  auto src = OpenIn(*net_, FilterOptions(*net_, "udp port 4789"), &error);
  ASSERT_NE(src, nullptr) << error;
  test::UdpReceiver vxlan(*net_, NetnsPair::kB, 4789), other(*net_, NetnsPair::kB, 4790);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(net_->SendUdp4(NetnsPair::kA, 40000, 4789, "vxlan " + std::to_string(i)));
    ASSERT_TRUE(net_->SendUdp4(NetnsPair::kA, 40000, 4790, "other " + std::to_string(i)));
    ASSERT_TRUE(net_->SendUdp6(NetnsPair::kA, 40000, 4789, "vxlan6 " + std::to_string(i)));
    EXPECT_TRUE(test::PingReplies(*net_, NetnsPair::kA, 3, static_cast<uint16_t>(i)));
  }
  ASSERT_TRUE(net_->SendFrame(NetnsPair::kA, net_->VlanUdp4(NetnsPair::kA, 5, 4789, "tagged")));
  ASSERT_TRUE(net_->TcpHandshake(NetnsPair::kA, 4789));  // TCP to the port: not UDP
  const Got got = Drain(*src);
  // 3 IPv4 + 3 IPv6; the tagged frame is not "udp" (that is "vlan and udp").
  std::multiset<std::string> want;
  for (int i = 0; i < 3; ++i) {
    want.insert("vxlan " + std::to_string(i));
    EXPECT_TRUE(other.Receive(100)) << "non-matching datagram " << i << " lost";
  }
  std::multiset<std::string> got4;
  size_t got6 = 0;
  for (size_t i = 0; i < got.payloads.size(); ++i) {
    if (got.payloads[i].rfind("vxlan ", 0) == 0) {
      got4.insert(got.payloads[i]);
      EXPECT_EQ(got.dst_ports[i], 4789);
    } else {
      ++got6;  // IPv6: the Drain helper reads IPv4 offsets; count them
    }
  }
  EXPECT_EQ(got4, want);
  EXPECT_EQ(got6, 3u);
  EXPECT_FALSE(vxlan.Receive(0)) << "a matching packet reached the stack";
}

TEST_F(AfXdpFilter, VlanIsTestedInTheFrame) {
  std::string error;
  auto src = OpenIn(*net_, FilterOptions(*net_, "vlan 5 and udp port 4789"), &error);
  ASSERT_NE(src, nullptr) << error;
  ASSERT_TRUE(net_->SendFrame(NetnsPair::kA, net_->VlanUdp4(NetnsPair::kA, 5, 4789, "tagged")));
  ASSERT_TRUE(net_->SendFrame(NetnsPair::kA, net_->VlanUdp4(NetnsPair::kA, 6, 4789, "vid 6")));
  ASSERT_TRUE(net_->SendUdp4(NetnsPair::kA, 40000, 4789, "untagged"));
  Packet p;
  ASSERT_EQ(src->Next(&p, 500), ReadStatus::kPacket);
  ASSERT_GE(p.caplen, 18u);
  EXPECT_EQ(p.data[12], 0x81);  // the tag is in the frame, as on the wire
  EXPECT_EQ(p.data[15], 5);
  EXPECT_EQ(src->Next(&p, 100), ReadStatus::kTimeout);
}

TEST_F(AfXdpFilter, RefusesWhatXdpCannotSee) {
  std::string error;
  EXPECT_EQ(OpenIn(*net_, FilterOptions(*net_, "udp or outbound"), &error), nullptr);
  EXPECT_EQ(error, "'outbound' never matches at XDP, which sees received packets only "
                   "(column 8, near 'outbound')");
  EXPECT_EQ(OpenIn(*net_, FilterOptions(*net_, "udp prot 1"), &error), nullptr);
  EXPECT_EQ(error.rfind("syntax error", 0), 0u) << error;
  EXPECT_FALSE(XdpAttached(*net_));
}

}  // namespace
}  // namespace bpfcap::capture

// --- through the CLI ------------------------------------------------------------------

namespace bpfcap::capture {
namespace {

class AfXdpCli : public AfXdp {
 protected:
  // bpfcap -i B's veth --engine=afxdp ... inside namespace B.
  bool Start(apitest::Child* child, const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"ip", "netns", "exec", net_->ns(NetnsPair::kB),
                                     apitest::BuildDir() + "/bpfcap", "-i",
                                     net_->ifname(NetnsPair::kB), "--engine=afxdp"};
    argv.insert(argv.end(), args.begin(), args.end());
    return child->Start(argv) && child->WaitForStderr("listening on", 5000);
  }
};

TEST_F(AfXdpCli, CapturesUdp4789WhilePingWorksAndWarns) {
  const std::string file = "/tmp/bpfcap-afxdp-cli-" + std::to_string(getpid()) + ".pcap";
  struct Remove {
    std::string path;
    ~Remove() { unlink(path.c_str()); }
  } remove{file};
  apitest::Child bpfcap;
  ASSERT_TRUE(Start(&bpfcap, {"-w", file, "-U", "udp port 4789"})) << bpfcap.err();
  EXPECT_NE(bpfcap.err().find("bpfcap: WARNING: --engine=afxdp takes the packets matching 'udp "
                              "port 4789' away from the kernel stack of " +
                              net_->ifname(NetnsPair::kB)),
            std::string::npos)
      << bpfcap.err();
  EXPECT_TRUE(XdpAttached(*net_));

  test::UdpReceiver vxlan(*net_, NetnsPair::kB, 4789), other(*net_, NetnsPair::kB, 4790);
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(net_->SendUdp4(NetnsPair::kA, 40000, 4789, "vxlan " + std::to_string(i)));
    ASSERT_TRUE(net_->SendUdp4(NetnsPair::kA, 40000, 4790, "other"));
    EXPECT_TRUE(test::PingReplies(*net_, NetnsPair::kA, 9, static_cast<uint16_t>(i)))
        << "ping stopped working during the capture";
    EXPECT_TRUE(other.Receive(200)) << "non-matching traffic stopped";
  }
  EXPECT_FALSE(vxlan.Receive(100)) << "a captured packet reached the stack";
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ASSERT_TRUE(bpfcap.Signal(SIGINT));
  EXPECT_EQ(bpfcap.Wait(5000), 0) << bpfcap.err();
  EXPECT_NE(bpfcap.err().find("\n4 packets captured\n4 packets received by filter\n"
                              "0 packets dropped by kernel\n"),
            std::string::npos)
      << bpfcap.err();
  EXPECT_FALSE(XdpAttached(*net_)) << "the program outlived bpfcap";

  std::string error;
  auto saved = OpenSavefile(file, &error);
  ASSERT_NE(saved, nullptr) << error;
  Packet p;
  int n = 0;
  while (saved->Next(&p, 0) == ReadStatus::kPacket) {
    ASSERT_GE(p.caplen, 42u);
    EXPECT_EQ((p.data[36] << 8) | p.data[37], 4789);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(p.data) + 42, p.caplen - 42),
              "vxlan " + std::to_string(n));
    ++n;
  }
  EXPECT_EQ(n, 4);
}

TEST_F(AfXdpCli, NothingStaysAttachedAfterKill9) {
  apitest::Child bpfcap;
  ASSERT_TRUE(Start(&bpfcap, {"-w", "/dev/null", "udp port 4789"})) << bpfcap.err();
  ASSERT_TRUE(XdpAttached(*net_));
  EXPECT_EQ(bpfcap.Wait(0), -1);  // SIGKILL at once
  EXPECT_FALSE(XdpAttached(*net_)) << "the XDP program outlived bpfcap killed with -9";
  test::UdpReceiver vxlan(*net_, NetnsPair::kB, 4789);
  ASSERT_TRUE(net_->SendUdp4(NetnsPair::kA, 40000, 4789, "back to the stack"));
  EXPECT_TRUE(vxlan.Receive(200));
}

TEST_F(AfXdpCli, ErrorsAreOneLine) {
  apitest::Child bpfcap;
  std::vector<std::string> argv = {"ip", "netns", "exec", net_->ns(NetnsPair::kB),
                                    apitest::BuildDir() + "/bpfcap", "-i", "any",
                                    "--engine=afxdp", "udp"};
  ASSERT_TRUE(bpfcap.Start(argv));
  EXPECT_EQ(bpfcap.Wait(5000), 1);
  EXPECT_EQ(bpfcap.err(), "bpfcap: any: the AF_XDP engine captures on one interface, not on 'any'\n");
}

}  // namespace
}  // namespace bpfcap::capture
