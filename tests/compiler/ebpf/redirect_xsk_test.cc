// XdpOnMatch::kRedirectXsk (the AF_XDP engine's program): the accept leaf
// returns what bpf_redirect_map returns, the rest passes; the verifier takes
// it with a real XSKMAP. Redirection itself is tested on a veth pair in
// tests/capture/afxdp_test.cc.
#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <unistd.h>

#include <string>

#include <gtest/gtest.h>

#include "compiler/compile.h"
#include "compiler/ebpf/codegen.h"
#include "compiler/ebpf/load.h"
#include "compiler/ebpf/print.h"

namespace bpfcap::ebpf {
namespace {

GenOptions Redirect(int map_fd) {
  GenOptions g;
  g.target = Target::kXdp;
  g.xdp_reject = kXdpPass;
  g.on_match.kind = XdpOnMatch::Kind::kRedirectXsk;
  g.on_match.map_fd = map_fd;
  return g;
}

TEST(XdpRedirectXsk, TheLeafReturnsTheRedirectAndTheRestPasses) {
  const EbpfCompileResult r = CompileEbpf("udp port 4789", CompileOptions{}, Redirect(7));
  ASSERT_TRUE(r.diag.ok()) << r.diag.message;
  const std::string text = Dump(r.program);
  // ctx kept at fp-8 for rx_queue_index; the leaf: map, queue, XDP_PASS, call, exit.
  EXPECT_NE(text.find("*(u64 *)(r10 -8) = r1"), std::string::npos) << text;
  const size_t leaf = text.find("r1 = map[fd:7]");
  ASSERT_NE(leaf, std::string::npos) << text;
  const std::string tail = text.substr(leaf);
  for (const char* want : {"r2 = *(u64 *)(r10 -8)", "r2 = *(u32 *)(r2 +16)", "r3 = 2",
                           "call bpf_redirect_map#51", "exit", "w0 = 2"}) {
    EXPECT_NE(tail.find(want), std::string::npos) << want << "\n" << text;
  }
  // Nothing after the call's exit but the reject leaf (XDP_PASS).
  const size_t call = tail.find("call bpf_redirect_map#51");
  EXPECT_EQ(tail.find("w0 = 2", call), tail.rfind("w0 = 2")) << text;
}

TEST(XdpRedirectXsk, TheVerifierTakesItWithAnXskMap) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root (CAP_BPF) to create maps and load programs";
  const int map = bpf_map_create(BPF_MAP_TYPE_XSKMAP, "bpfcap_t_xsks", 4, 4, 4, nullptr);
  ASSERT_GE(map, 0) << "bpf_map_create: " << -map;
  for (const char* expr : {"", "udp port 4789", "vlan 5 and udp", "inbound and ifindex 1",
                           "tcp[tcpflags] & tcp-syn != 0"}) {
    const EbpfCompileResult r = CompileEbpf(expr, CompileOptions{}, Redirect(map));
    ASSERT_TRUE(r.diag.ok()) << expr << ": " << r.diag.message;
    LoadedProgram p;
    std::string error;
    EXPECT_TRUE(LoadedProgram::Load(r.program, Target::kXdp, &p, &error)) << expr << "\n" << error;
    // No socket in the map: a match falls back to XDP_PASS, as a miss does.
    const std::vector<uint8_t> frame(60, 0);
    uint32_t ret = 0;
    ASSERT_TRUE(p.TestRun(frame, &ret, &error)) << error;
    EXPECT_EQ(ret, uint32_t{kXdpPass}) << expr;
  }
  close(map);
}

}  // namespace
}  // namespace bpfcap::ebpf
