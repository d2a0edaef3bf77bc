// libbpfcap_preload.so in Debian's real tcpdump (linked with the real
// libpcap):
//
//   - PreloadTcpdump.DumpIsBpfcaps: `tcpdump -d/-dd/-ddd EXPR` with the shim
//     prints exactly `bpfcap -d/-dd/-ddd EXPR`, including for an expression
//     where libpcap's own program differs (so the shim is what compiled it).
//   - PreloadTcpdump.FallsBackWithWarning / StrictModeFails: an expression
//     bpfcap does not support yet goes to libpcap after one warning line,
//     or fails under BPFCAP_PRELOAD_STRICT=1 with bpfcap's message.
//   - PreloadTcpdump.LiveCaptureOnVeth (root): tcpdump -i on one end of a
//     veth pair in a private namespace, with the shim, captures exactly the
//     packets the filter selects from mixed traffic, and the shim reports a
//     program compiled for the live socket.
//   - PreloadTcpdump.LiveCaptureOnAny (root): the same with `-i any` (a
//     cooked socket: libpcap rewrites bpfcap's LINUX_SLL2 program for the
//     kernel) in the namespace, with a filter on the packet's contents and
//     one on its direction, over traffic on the veth and on loopback.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/api/child.h"
#include "tests/integration/netns.h"

namespace bpfcap::apitest {
namespace {

std::string Shim() { return BuildDir() + "/lib/libbpfcap_preload.so"; }

// Environment for a tcpdump with the shim loaded.
std::vector<std::string> ShimEnv(std::vector<std::string> extra = {}) {
  extra.push_back("LD_PRELOAD=" + PreloadValue(Shim()));
  // In the ASan tree the runtimes are preloaded into an uninstrumented
  // tcpdump; its own leaks are not ours.
  extra.push_back("ASAN_OPTIONS=detect_leaks=0:verify_asan_link_order=0");
  return extra;
}

bool HaveTcpdump() { return access("/usr/bin/tcpdump", X_OK) == 0; }

#define REQUIRE_TCPDUMP() \
  if (!HaveTcpdump()) GTEST_SKIP() << "tcpdump is not installed (scripts/install-deps.sh installs it)"

TEST(PreloadTcpdump, DumpIsBpfcaps) {
  REQUIRE_TCPDUMP();
  const std::vector<std::string> exprs = {
      "host 10.0.0.1 or host 10.0.0.2",  // libpcap's optimizer gives another program
      "tcp port 80 and host 10.0.0.1", "vlan and ip", "icmp[icmptype] == icmp-echo", "ip6 and udp"};
  for (const std::string& e : exprs) {
    for (const char* flag : {"-d", "-dd", "-ddd"}) {
      std::string got, want, err;
      ASSERT_EQ(RunProgram({"tcpdump", flag, e}, ShimEnv(), &got, &err), 0) << e << ": " << err;
      EXPECT_EQ(err.find("bpfcap"), std::string::npos) << err;
      ASSERT_EQ(RunProgram({BuildDir() + "/bpfcap", flag, e}, {}, &want, &err), 0) << err;
      EXPECT_EQ(got, want) << "tcpdump " << flag << " '" << e << "'";
    }
  }
  // Without the shim the first expression's program is libpcap's, which
  // differs: the comparison above really saw bpfcap's compiler.
  std::string libpcap_text, bpfcap_text;
  ASSERT_EQ(RunProgram({"tcpdump", "-d", exprs[0]}, {}, &libpcap_text, nullptr), 0);
  ASSERT_EQ(RunProgram({BuildDir() + "/bpfcap", "-d", exprs[0]}, {}, &bpfcap_text, nullptr), 0);
  EXPECT_NE(libpcap_text, bpfcap_text);
}

TEST(PreloadTcpdump, LinkTypeAndSnaplenComeFromTheHandle) {
  REQUIRE_TCPDUMP();
  std::string got, want, err;
  // tcpdump -d with -y and -s opens a dead handle with that link type.
  ASSERT_EQ(RunProgram({"tcpdump", "-y", "LINUX_SLL", "-s", "96", "-d", "udp port 53"},
                       ShimEnv({"BPFCAP_PRELOAD_VERBOSE=1"}), &got, &err),
            0)
      << err;
  EXPECT_NE(err.find("bpfcap: compiled 'udp port 53' for LINUX_SLL (savefile, snaplen 96)"), std::string::npos)
      << err;
  ASSERT_EQ(RunProgram({BuildDir() + "/bpfcap", "-y", "LINUX_SLL", "-s", "96", "-d", "udp port 53"}, {}, &want, &err),
            0);
  EXPECT_EQ(got, want);
}

TEST(PreloadTcpdump, FallsBackWithWarning) {
  REQUIRE_TCPDUMP();
  const std::string e = "tcp[100000:4] = 1";  // libpcap wraps the offset; bpfcap refuses it
  std::string got, want, err, err2;
  ASSERT_EQ(RunProgram({"tcpdump", "-d", e}, ShimEnv(), &got, &err), 0) << err;
  ASSERT_EQ(RunProgram({"tcpdump", "-d", e}, {}, &want, &err2), 0) << err2;
  EXPECT_EQ(got, want);  // libpcap's program
  EXPECT_NE(err.find("bpfcap: warning: tcp[100000] is beyond the largest possible IP packet (65535 bytes) "
                     "(column 1, near 'tcp[100000:4]'); using libpcap's compiler\n"),
            std::string::npos)
      << err;
}

TEST(PreloadTcpdump, StrictModeFails) {
  REQUIRE_TCPDUMP();
  std::string got, err;
  EXPECT_NE(RunProgram({"tcpdump", "-d", "tcp[100000:4] = 1"},
                       ShimEnv({"BPFCAP_PRELOAD_STRICT=1"}), &got, &err),
            0);
  EXPECT_EQ(got, "");
  // tcpdump prints pcap_geterr(): bpfcap's message.
  EXPECT_NE(err.find("tcpdump: bpfcap: tcp[100000] is beyond the largest possible IP packet"),
            std::string::npos)
      << err;
  EXPECT_EQ(err.find("using libpcap's compiler"), std::string::npos) << err;
}

TEST(PreloadTcpdump, ErrorsStillFail) {
  REQUIRE_TCPDUMP();
  // An invalid expression: bpfcap refuses it, so does libpcap after the
  // warning; tcpdump exits with an error either way.
  std::string got, err;
  EXPECT_NE(RunProgram({"tcpdump", "-d", "tcp prot 80"}, ShimEnv(), &got, &err), 0);
  EXPECT_EQ(got, "");
  EXPECT_NE(err.find("bpfcap: warning: syntax error"), std::string::npos) << err;
}

// Lines of tcpdump's output: one per packet.
std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string l;
  while (std::getline(in, l)) {
    if (!l.empty()) out.push_back(l);
  }
  return out;
}

TEST(PreloadTcpdump, LiveCaptureOnVeth) {
  REQUIRE_TCPDUMP();
  if (geteuid() != 0) GTEST_SKIP() << "needs root: creates network namespaces and captures live";
  std::string error;
  auto net = test::NetnsPair::Create("apil", &error);
  ASSERT_NE(net, nullptr) << error;
  using test::NetnsPair;
  constexpr int kWanted = 3;
  Child dump;
  ASSERT_TRUE(dump.Start({"ip", "netns", "exec", net->ns(NetnsPair::kA), "tcpdump", "-i",
                          net->ifname(NetnsPair::kA), "-c", std::to_string(kWanted), "-nn", "-l",
                          "udp port 7777"},
                         ShimEnv({"BPFCAP_PRELOAD_VERBOSE=1"})));
  ASSERT_TRUE(dump.WaitForStderr("listening on", 10000)) << dump.err();
  // Mixed traffic from B; only the UDP datagrams to port 7777 match.
  for (int i = 0; i < kWanted; ++i) {
    ASSERT_TRUE(net->SendUdp4(NetnsPair::kB, 5000, 80, "not this"));
    ASSERT_TRUE(net->TcpHandshake(NetnsPair::kB, 7778));
    ASSERT_TRUE(net->Ping4(NetnsPair::kB, 7, static_cast<uint16_t>(i)));
    ASSERT_TRUE(net->SendUdp6(NetnsPair::kB, 5000, 7776, "nor this"));
    ASSERT_TRUE(net->SendUdp4(NetnsPair::kB, 5000 + i, 7777, "this"));
  }
  ASSERT_EQ(dump.Wait(15000), 0) << dump.err();
  EXPECT_NE(dump.err().find("bpfcap: compiled 'udp port 7777' for EN10MB (live socket"), std::string::npos)
      << dump.err();
  const std::vector<std::string> lines = Lines(dump.out());
  ASSERT_EQ(lines.size(), static_cast<size_t>(kWanted)) << dump.out();
  for (int i = 0; i < kWanted; ++i) {
    EXPECT_NE(lines[i].find("IP 10.251.0.2." + std::to_string(5000 + i) + " > 10.251.0.1.7777: UDP"),
              std::string::npos)
        << lines[i];
  }
  EXPECT_NE(dump.err().find(std::to_string(kWanted) + " packets captured"), std::string::npos) << dump.err();
}

// tcpdump -i any in namespace A with the shim, and a filter: exactly the
// packets it selects, given traffic both ways on the veth and on A's
// loopback. The direction filter reads the cooked header's packet type,
// which libpcap's own rewriting for the cooked socket turns into the
// kernel's ancillary packet type.
void CaptureOnAny(const test::NetnsPair& net, const std::string& filter, int wanted,
                  const std::string& each_line_has, const std::string& tag) {
  using test::NetnsPair;
  Child dump;
  ASSERT_TRUE(dump.Start({"ip", "netns", "exec", net.ns(NetnsPair::kA), "tcpdump", "-i", "any", "-c",
                          std::to_string(wanted), "-nn", "-l", filter},
                         ShimEnv({"BPFCAP_PRELOAD_VERBOSE=1", "BPFCAP_PRELOAD_STRICT=1"})));
  ASSERT_TRUE(dump.WaitForStderr("listening on", 10000)) << dump.err();
  for (int i = 0; i < wanted; ++i) {
    ASSERT_TRUE(net.SendUdp4(NetnsPair::kB, 5000, 80, "not this"));
    ASSERT_TRUE(net.SendUdp4(NetnsPair::kA, 5000, 7777, "out, not this"));
    ASSERT_TRUE(net.TcpHandshake(NetnsPair::kB, 7778));
    ASSERT_TRUE(net.Ping4(NetnsPair::kB, 7, static_cast<uint16_t>(i)));
    ASSERT_TRUE(net.SendUdp6(NetnsPair::kB, 5000, 7777, "six"));
    ASSERT_TRUE(net.RunIn(NetnsPair::kA, [] {  // loopback: seen twice, out and in
      const int fd = socket(AF_INET, SOCK_DGRAM, 0);
      sockaddr_in to{};
      to.sin_family = AF_INET;
      to.sin_port = htons(7777);
      to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      sendto(fd, "lo", 2, 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
      close(fd);
    }));
    ASSERT_TRUE(net.SendUdp4(NetnsPair::kB, static_cast<uint16_t>(5000 + i), 7777, "this"));
  }
  ASSERT_EQ(dump.Wait(15000), 0) << tag << ": " << dump.err();
  EXPECT_NE(dump.err().find("bpfcap: compiled '" + filter + "' for LINUX_SLL"), std::string::npos)
      << dump.err();
  EXPECT_NE(dump.err().find("(live socket"), std::string::npos) << dump.err();
  const std::vector<std::string> lines = Lines(dump.out());
  ASSERT_EQ(lines.size(), static_cast<size_t>(wanted)) << dump.out();
  for (const std::string& l : lines) EXPECT_NE(l.find(each_line_has), std::string::npos) << tag << ": " << l;
  EXPECT_NE(dump.err().find(std::to_string(wanted) + " packets captured"), std::string::npos) << dump.err();
  // The kernel ran the program (libpcap filters in user space when it cannot
  // rewrite one for the cooked socket; the count would then include the
  // packets the filter refused).
  EXPECT_NE(dump.err().find(std::to_string(wanted) + " packets received by filter"), std::string::npos)
      << dump.err();
}

TEST(PreloadTcpdump, LiveCaptureOnAny) {
  REQUIRE_TCPDUMP();
  if (geteuid() != 0) GTEST_SKIP() << "needs root: creates network namespaces and captures live";
  std::string error;
  auto net = test::NetnsPair::Create("apia", &error);
  ASSERT_NE(net, nullptr) << error;
  const std::string veth = net->ifname(test::NetnsPair::kA);
  // From B to A's port 7777 over IPv4: not A's own datagrams to B's 7777,
  // not loopback's, not IPv6.
  CaptureOnAny(*net, "udp port 7777 and src host 10.251.0.2", 3,
               veth + " In  IP 10.251.0.2.", "content");
  // A's echo replies: outgoing ICMP, not the requests coming in.
  CaptureOnAny(*net, "outbound and icmp[icmptype] == icmp-echoreply", 3,
               veth + " Out IP 10.251.0.1 > 10.251.0.2: ICMP echo reply", "direction");
}

}  // namespace
}  // namespace bpfcap::apitest
