// The eBPF socket filter against the classic one, both in the kernel, on
// live AF_PACKET sockets: what the kernel's ancillary data holds (the packet
// type of "inbound"/"outbound", the interface of "ifindex", the VLAN tag it
// stripped, the skb's protocol, ...) cannot be tested with
// BPF_PROG_TEST_RUN, whose skb carries none of it (the kernel refuses
// pkt_type and the VLAN fields in ctx_in), so here each expression,
// compiled for a live socket (CompileOptions::for_kernel), is attached
// twice in namespace A of a private namespace pair: as cBPF with
// SO_ATTACH_FILTER and as eBPF with SO_ATTACH_BPF, each on its own packet
// socket. Traffic in both directions then goes over the veth pair and over
// A's loopback: UDP, ping, ARP, 802.1Q frames received (the kernel strips
// their tag) and sent (the tag stays in the frame). Every socket pair must
// receive exactly the same packets (bytes, packet type, interface), and
// the expressions meant to select some of the traffic must select some but
// not all of it. Needs root.
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/bpf.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "compiler/cbpf/cbpf.h"
#include "compiler/compile.h"
#include "compiler/ebpf/load.h"
#include "compiler/ebpf/print.h"
#include "tests/integration/netns.h"

namespace bpfcap::ebpf {
namespace {

using test::NetnsPair;

// What a socket received: one line per packet, "pkttype ifindex hex".
std::vector<std::string> Drain(int fd) {
  std::vector<std::string> out;
  std::vector<uint8_t> buf(70000);
  for (;;) {
    sockaddr_ll from{};
    socklen_t len = sizeof from;
    const ssize_t n = recvfrom(fd, buf.data(), buf.size(), MSG_DONTWAIT,
                               reinterpret_cast<sockaddr*>(&from), &len);
    if (n < 0) break;
    std::string line = std::to_string(from.sll_pkttype) + " " + std::to_string(from.sll_ifindex) + " ";
    static constexpr char kHex[] = "0123456789abcdef";
    for (ssize_t i = 0; i < n; ++i) {
      line += kHex[buf[size_t(i)] >> 4];
      line += kHex[buf[size_t(i)] & 0xf];
    }
    out.push_back(line);
  }
  return out;
}

// A packet socket in namespace A that sees nothing until Bind(): the filter
// is attached first, so no packet gets in unfiltered.
int QuietPacketSocket(const NetnsPair& net) {
  const int fd = net.Socket(NetnsPair::kA, AF_PACKET, SOCK_RAW, 0);
  if (fd >= 0) {
    const int size = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  }
  return fd;
}

bool Bind(int fd, int ifindex) {
  sockaddr_ll sll{};
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(ETH_P_ALL);
  sll.sll_ifindex = ifindex;  // 0: every interface, as "-i any"
  return bind(fd, reinterpret_cast<sockaddr*>(&sll), sizeof sll) == 0;
}

struct Case {
  std::string expr;
  bool selects_some = true;  // some but not all of the traffic
  uint32_t snaplen = 262144;
};

struct Attached {
  Case c;
  int cbpf_fd = -1;
  int ebpf_fd = -1;
  LoadedProgram prog;
  std::string listing;
};

class EbpfSocketFilter : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) {
      GTEST_SKIP() << "needs root: creates network namespaces, loads eBPF programs and opens "
                      "packet sockets";
    }
    std::string error;
    net_ = NetnsPair::Create("ebsk", &error);
    ASSERT_NE(net_, nullptr) << error;
  }
  void TearDown() override {
    for (Attached& a : attached_) {
      if (a.cbpf_fd >= 0) close(a.cbpf_fd);
      if (a.ebpf_fd >= 0) close(a.ebpf_fd);
    }
  }

  // Compiles and attaches both programs; binds both sockets to `ifindex`.
  void Attach(const Case& c, int ifindex) {
    CompileOptions opts;
    opts.for_kernel = true;
    opts.snaplen = c.snaplen;
    const CompileResult classic = Compile(c.expr, opts);
    ASSERT_TRUE(classic.diag.ok()) << c.expr << ": " << classic.diag.message;
    const EbpfCompileResult e = CompileEbpf(c.expr, opts, Target::kSocketFilter);
    ASSERT_TRUE(e.diag.ok()) << c.expr << ": " << e.diag.message;
    Attached a;
    a.c = c;
    a.listing = "cBPF:\n" + cbpf::DumpAsm(classic.program) + "eBPF:\n" + Dump(e.program);
    std::string error;
    ASSERT_TRUE(LoadedProgram::Load(e.program, Target::kSocketFilter, &a.prog, &error))
        << c.expr << ": " << error;
    a.cbpf_fd = QuietPacketSocket(*net_);
    a.ebpf_fd = QuietPacketSocket(*net_);
    ASSERT_GE(a.cbpf_fd, 0);
    ASSERT_GE(a.ebpf_fd, 0);
    std::vector<sock_filter> raw;
    for (const cbpf::Insn& i : classic.program) raw.push_back({i.code, i.jt, i.jf, i.k});
    const sock_fprog fprog{static_cast<unsigned short>(raw.size()), raw.data()};
    ASSERT_EQ(setsockopt(a.cbpf_fd, SOL_SOCKET, SO_ATTACH_FILTER, &fprog, sizeof fprog), 0)
        << c.expr << ": " << std::strerror(errno);
    const int prog_fd = a.prog.fd();
    ASSERT_EQ(setsockopt(a.ebpf_fd, SOL_SOCKET, SO_ATTACH_BPF, &prog_fd, sizeof prog_fd), 0)
        << c.expr << ": " << std::strerror(errno);
    ASSERT_TRUE(Bind(a.cbpf_fd, ifindex));
    ASSERT_TRUE(Bind(a.ebpf_fd, ifindex));
    attached_.push_back(std::move(a));
  }

  // Both directions over the veth, 802.1Q frames both ways, ARP, and UDP
  // over A's loopback.
  void SendTraffic() {
    const NetnsPair& n = *net_;
    for (int i = 0; i < 2; ++i) {
      ASSERT_TRUE(n.SendUdp4(NetnsPair::kB, 5000, 7777, "to a"));
      ASSERT_TRUE(n.SendUdp4(NetnsPair::kA, 5001, 7778, "to b"));
      ASSERT_TRUE(n.Ping4(NetnsPair::kB, 9, static_cast<uint16_t>(i)));
      ASSERT_TRUE(n.SendUdp6(NetnsPair::kA, 5002, 7779, "six"));
      ASSERT_TRUE(n.SendFrame(NetnsPair::kB, n.VlanUdp4(NetnsPair::kB, 100, 7777, "tag 100 in")));
      ASSERT_TRUE(n.SendFrame(NetnsPair::kB, n.VlanUdp4(NetnsPair::kB, 200, 7780, "tag 200 in")));
      ASSERT_TRUE(n.SendFrame(NetnsPair::kA, n.VlanUdp4(NetnsPair::kA, 300, 7781, "tag 300 out")));
      ASSERT_TRUE(n.SendFrame(NetnsPair::kB, n.ArpRequest(NetnsPair::kB)));
      // Geneve (VNI 5, Ethernet inside, then IPv4 with TCP), tagged and not.
      static constexpr uint8_t kGeneve[] = {
          0x00, 0x00, 0x65, 0x58, 0x00, 0x00, 0x05, 0x00,                          // Geneve
          0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02,  // Ethernet
          0x08, 0x00,
          0x45, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00, 0x40, 0x06, 0x00, 0x00,  // IPv4, TCP
          0xc0, 0xa8, 0x01, 0x01, 0xc0, 0xa8, 0x01, 0x02};
      const std::string geneve(reinterpret_cast<const char*>(kGeneve), sizeof kGeneve);
      ASSERT_TRUE(n.SendFrame(NetnsPair::kB, n.VlanUdp4(NetnsPair::kB, 100, 6081, geneve)));
      ASSERT_TRUE(n.SendUdp4(NetnsPair::kB, 5003, 6081, geneve));
    }
    ASSERT_TRUE(n.RunIn(NetnsPair::kA, [] {
      const int fd = socket(AF_INET, SOCK_DGRAM, 0);
      if (fd < 0) return;
      sockaddr_in to{};
      to.sin_family = AF_INET;
      to.sin_port = htons(7782);
      to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      sendto(fd, "loopback", 8, 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
      close(fd);
    }));
    usleep(200 * 1000);  // let the last packets reach the sockets
  }

  std::unique_ptr<NetnsPair> net_;
  std::vector<Attached> attached_;
};

TEST_F(EbpfSocketFilter, AncillaryFieldsMatchTheClassicFilter) {
  const std::string veth = std::to_string(net_->ifindex(NetnsPair::kA));
  const std::vector<Case> on_veth = {
      {"", false},
      {"inbound"},
      {"outbound"},
      {"inbound and udp"},
      {"outbound and udp port 7778"},
      {"vlan"},
      {"not vlan"},
      {"vlan 100"},
      {"vlan 200 or vlan 300"},
      {"vlan and udp port 7777"},
      {"vlan 300 and udp"},
      {"vlan and not inbound"},
      {"vlan 100 and geneve 5 and tcp"},         // the outer tag stripped, geneve after it
      {"geneve and not vlan"},                   // a tag after geneve is in the inner frame
      {"vlan 100 or geneve"},
      {"ether[0xfffff000:2] = 0x800"},           // protocol
      {"ether[0xfffff000:4] = 0x806"},
      {"ether[0xfffff004] = 1"},                 // packet type, ldb: broadcast
      {"ether[0xfffff004:4] = 4"},               // outgoing
      {"ether[0xfffff02c:2] & 0xfff = 100"},     // the stripped tag
      {"ether[0xfffff030] = 1"},                 // a tag was stripped
      {"ether[0xfffff03c:2] = 0x8100"},          // its TPID
      {"ether[0xfffff014:4] = 0", false},        // mark
      {"ether[0xfffff018:4] = 0", false},        // queue
      {"ether[0xfffff020:4] & 1 = 0", false},    // hash
      {"ether[0xfffff024:4] < 4096", false},     // cpu
      {"udp", true, 60},                         // truncated to the snap length
  };
  const std::vector<Case> on_any = {
      {"", false},
      {"ifindex " + veth},
      {"not ifindex " + veth},
      {"ifindex 1 and inbound"},
      {"ether[0xfffff008:2] = 1"},  // ifindex, ldh: loopback
      {"outbound and ifindex 1"},
  };
  for (const Case& c : on_veth) Attach(c, net_->ifindex(NetnsPair::kA));
  for (const Case& c : on_any) Attach(c, 0);
  ASSERT_FALSE(HasFatalFailure());
  // What arrived while the sockets were bound one by one (A's MLD report)
  // reached some sockets and not others: start from empty queues.
  usleep(100 * 1000);
  for (const Attached& a : attached_) {
    Drain(a.cbpf_fd);
    Drain(a.ebpf_fd);
  }
  SendTraffic();
  ASSERT_FALSE(HasFatalFailure());
  size_t all_veth = 0, all_any = 0;
  for (const Attached& a : attached_) {
    const std::vector<std::string> got_cbpf = Drain(a.cbpf_fd);
    const std::vector<std::string> got_ebpf = Drain(a.ebpf_fd);
    EXPECT_EQ(got_ebpf, got_cbpf) << "'" << a.c.expr << "'\n" << a.listing;
    const bool any = &a >= &attached_[on_veth.size()];
    if (a.c.expr.empty()) {
      (any ? all_any : all_veth) = got_cbpf.size();
      EXPECT_GT(got_cbpf.size(), 20u) << (any ? "any" : "veth");
      continue;
    }
    if (a.c.selects_some) {
      const size_t all = any ? all_any : all_veth;
      EXPECT_GT(got_cbpf.size(), 0u) << "'" << a.c.expr << "' selects nothing";
      EXPECT_LT(got_cbpf.size(), all) << "'" << a.c.expr << "' selects everything";
    }
    if (a.c.snaplen < 100) {
      for (const std::string& p : got_ebpf) {
        EXPECT_LE(p.size() - p.rfind(' ') - 1, 2 * a.c.snaplen) << "'" << a.c.expr << "'";
      }
    }
  }
}

// BPF_PROG_TEST_RUN cannot stand in for the sockets above: the kernel
// refuses an skb context that sets the packet type or the VLAN fields.
TEST_F(EbpfSocketFilter, TestRunCannotSetTheSkbMetadata) {
  const EbpfCompileResult e = CompileEbpf("inbound", CompileOptions{}, Target::kSocketFilter);
  ASSERT_TRUE(e.diag.ok()) << e.diag.message;
  LoadedProgram prog;
  std::string error;
  ASSERT_TRUE(LoadedProgram::Load(e.program, Target::kSocketFilter, &prog, &error)) << error;
  std::vector<uint8_t> frame(64, 0);
  __sk_buff ctx{};
  ctx.pkt_type = 4;  // PACKET_OUTGOING
  bpf_test_run_opts opts{};
  opts.sz = sizeof opts;
  opts.data_in = frame.data();
  opts.data_size_in = static_cast<uint32_t>(frame.size());
  opts.ctx_in = &ctx;
  opts.ctx_size_in = sizeof ctx;
  EXPECT_NE(bpf_prog_test_run_opts(prog.fd(), &opts), 0);
  ctx.pkt_type = 0;
  ctx.vlan_present = 1;
  EXPECT_NE(bpf_prog_test_run_opts(prog.fd(), &opts), 0);
}

}  // namespace
}  // namespace bpfcap::ebpf
