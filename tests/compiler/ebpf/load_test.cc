// The loader against the real kernel: the verifier's log comes back as the
// error, and what a program sees of its input under BPF_PROG_TEST_RUN for
// each program type (the facts load.h documents, pinned here).
#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <unistd.h>

#include <cstddef>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "compiler/ebpf/insn.h"
#include "compiler/compile.h"
#include "compiler/ebpf/load.h"

namespace bpfcap::ebpf {
namespace {

#define SKIP_UNLESS_ROOT()                                                          \
  if (geteuid() != 0) GTEST_SKIP() << "needs root (CAP_BPF) to load eBPF programs; " \
                                      "run the tests as root"

// r0 = skb->len (socket filter) or data_end - data (XDP).
Program LenProgram(Target t) {
  if (t == Target::kSocketFilter) {
    return {LoadMem(Size::kW, Reg::kR0, Reg::kR1, offsetof(__sk_buff, len)), Exit()};
  }
  return {LoadMem(Size::kW, Reg::kR2, Reg::kR1, offsetof(xdp_md, data)),
          LoadMem(Size::kW, Reg::kR0, Reg::kR1, offsetof(xdp_md, data_end)),
          Alu64Reg(AluOp::kSub, Reg::kR0, Reg::kR2), Exit()};
}

// r0 = the frame's first byte + 1, or 0 if there is none.
Program FirstByteProgram(Target t) {
  if (t == Target::kSocketFilter) {
    return {Mov64Imm(Reg::kR2, 0),
            Mov64Reg(Reg::kR3, Reg::kR10),
            Alu64Imm(AluOp::kAdd, Reg::kR3, -8),
            Mov64Imm(Reg::kR4, 1),
            Call(BPF_FUNC_skb_load_bytes),
            Raw(BPF_JMP | static_cast<uint8_t>(JmpOp::kJeq) | BPF_K, Reg::kR0, Reg::kR0, 2, 0),
            Mov64Imm(Reg::kR0, 0),
            Exit(),
            LoadMem(Size::kB, Reg::kR0, Reg::kR10, -8),
            Alu64Imm(AluOp::kAdd, Reg::kR0, 1),
            Exit()};
  }
  return {LoadMem(Size::kW, Reg::kR2, Reg::kR1, offsetof(xdp_md, data)),
          LoadMem(Size::kW, Reg::kR3, Reg::kR1, offsetof(xdp_md, data_end)),
          Mov64Reg(Reg::kR1, Reg::kR2),
          Alu64Imm(AluOp::kAdd, Reg::kR1, 1),
          Raw(BPF_JMP | static_cast<uint8_t>(JmpOp::kJge) | BPF_X, Reg::kR3, Reg::kR1, 2, 0),
          Mov64Imm(Reg::kR0, 0),
          Exit(),
          LoadMem(Size::kB, Reg::kR0, Reg::kR2, 0),
          Alu64Imm(AluOp::kAdd, Reg::kR0, 1),
          Exit()};
}

TEST(EbpfLoad, RefusedProgramReturnsTheVerifierLog) {
  SKIP_UNLESS_ROOT();
  // Reads r2, which is not initialised at entry.
  const Program bad = {Mov64Reg(Reg::kR0, Reg::kR2), Exit()};
  for (Target t : {Target::kSocketFilter, Target::kXdp}) {
    LoadedProgram p;
    std::string error;
    EXPECT_FALSE(LoadedProgram::Load(bad, t, &p, &error));
    EXPECT_EQ(p.fd(), -1);
    EXPECT_NE(error.find("bpf_prog_load: Permission denied; verifier log:\n"), std::string::npos)
        << error;
    EXPECT_NE(error.find("R2 !read_ok"), std::string::npos) << error;
  }
}

TEST(EbpfLoad, UnreachableInstructionIsRefused) {
  SKIP_UNLESS_ROOT();
  const Program bad = {Mov64Imm(Reg::kR0, 0), Exit(), Mov64Imm(Reg::kR0, 1), Exit()};
  LoadedProgram p;
  std::string error;
  EXPECT_FALSE(LoadedProgram::Load(bad, Target::kXdp, &p, &error));
  EXPECT_NE(error.find("unreachable insn 2"), std::string::npos) << error;
}

TEST(EbpfLoad, ReportsInstructionsProcessed) {
  SKIP_UNLESS_ROOT();
  LoadedProgram p;
  std::string error;
  uint64_t processed = 0;
  ASSERT_TRUE(LoadedProgram::Load(FirstByteProgram(Target::kXdp), Target::kXdp, &p, &error,
                                  &processed))
      << error;
  EXPECT_GE(p.fd(), 0);
  EXPECT_GE(processed, 5u);
  EXPECT_LE(processed, 20u);
}

// The fact behind LoadedProgram::TestRun's padding: for a socket filter the
// kernel's test harness consumes an Ethernet header (eth_type_trans), so
// skb->data starts 14 bytes into the input.
TEST(EbpfLoad, SocketFilterTestRunStartsAfterAnEthernetHeader) {
  SKIP_UNLESS_ROOT();
  for (bool first_byte : {false, true}) {
    LoadedProgram p;
    std::string error;
    const Program prog =
        first_byte ? FirstByteProgram(Target::kSocketFilter) : LenProgram(Target::kSocketFilter);
    ASSERT_TRUE(LoadedProgram::Load(prog, Target::kSocketFilter, &p, &error)) << error;
    std::vector<uint8_t> in(40);
    for (size_t i = 0; i < in.size(); ++i) in[i] = static_cast<uint8_t>(i);
    LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = in.data(), .data_size_in = 40, .repeat = 1);
    ASSERT_EQ(bpf_prog_test_run_opts(p.fd(), &opts), 0);
    EXPECT_EQ(opts.retval, first_byte ? 14u + 1 : 40u - 14);
  }
}

// Through TestRun, both program types see the frame from offset 0, at every
// length (socket filters), or every length from 14 bytes on (XDP: the kernel
// refuses shorter frames, even behind XDP metadata).
TEST(EbpfLoad, TestRunShowsTheWholeFrame) {
  SKIP_UNLESS_ROOT();
  for (Target t : {Target::kSocketFilter, Target::kXdp}) {
    LoadedProgram len, first;
    std::string error;
    ASSERT_TRUE(LoadedProgram::Load(LenProgram(t), t, &len, &error)) << error;
    ASSERT_TRUE(LoadedProgram::Load(FirstByteProgram(t), t, &first, &error)) << error;
    for (size_t n : {0, 1, 2, 13, 14, 15, 60, 1514}) {
      std::vector<uint8_t> frame(n);
      for (size_t i = 0; i < n; ++i) frame[i] = static_cast<uint8_t>(0xa0 + i);
      uint32_t got = 0;
      if (t == Target::kXdp && n < 14) {
        EXPECT_FALSE(len.TestRun(frame, &got, &error));
        EXPECT_EQ(error, "BPF_PROG_TEST_RUN: the kernel runs XDP programs on frames of 14 bytes "
                         "or more, not " + std::to_string(n));
        continue;
      }
      ASSERT_TRUE(len.TestRun(frame, &got, &error)) << error;
      EXPECT_EQ(got, n) << "target " << int(t) << ", frame of " << n;
      ASSERT_TRUE(first.TestRun(frame, &got, &error)) << error;
      EXPECT_EQ(got, n == 0 ? 0u : 0xa0u + 1) << "target " << int(t) << ", frame of " << n;
    }
  }
}

// XDP's "ifindex" is the receiving interface (xdp_md.ingress_ifindex, read
// through the context the prologue saved): a test run receives on the
// loopback device, interface 1. The verifier accepts the saved context.
TEST(EbpfLoad, XdpIfindexIsTheReceivingInterface) {
  SKIP_UNLESS_ROOT();
  for (const auto& [expr, want] : {std::pair{"ifindex 1", kXdpPass}, std::pair{"ifindex 2", kXdpDrop},
                                   std::pair{"ifindex 1 and ip[0] = 0x45", kXdpPass}}) {
    const EbpfCompileResult r = CompileEbpf(expr, CompileOptions{}, Target::kXdp);
    ASSERT_TRUE(r.diag.ok()) << r.diag.message;
    LoadedProgram prog;
    std::string error;
    ASSERT_TRUE(LoadedProgram::Load(r.program, Target::kXdp, &prog, &error)) << expr << ": " << error;
    std::vector<uint8_t> frame(60, 0);
    frame[12] = 0x08;  // IPv4, version 4, 20-byte header
    frame[14] = 0x45;
    uint32_t got = 0;
    ASSERT_TRUE(prog.TestRun(frame, &got, &error)) << error;
    EXPECT_EQ(got, static_cast<uint32_t>(want)) << expr;
  }
}

}  // namespace
}  // namespace bpfcap::ebpf
