// The eBPF listing (-d --target=ebpf|xdp): golden text for small programs,
// which also pins the code generator's output for them, and one line per
// instruction form.
#include <string>

#include <gtest/gtest.h>

#include "compiler/compile.h"
#include "compiler/ebpf/insn.h"
#include "compiler/ebpf/print.h"

namespace bpfcap::ebpf {
namespace {

std::string Listing(const char* expr, Target target) {
  const EbpfCompileResult r = CompileEbpf(expr, CompileOptions{}, target);
  if (!r.diag.ok()) return "error: " + r.diag.message;
  return Dump(r.program);
}

TEST(EbpfPrint, XdpIp) {
  EXPECT_EQ(Listing("ip", Target::kXdp), R"(0: (61) r6 = *(u32 *)(r1 +0)
1: (61) r7 = *(u32 *)(r1 +4)
2: (bf) r1 = r6
3: (07) r1 += 14
4: (2d) if r1 > r7 goto pc+5
5: (69) r8 = *(u16 *)(r6 +12)
6: (dc) r8 = be16 r8
7: (56) if w8 != 0x800 goto pc+2
8: (b4) w0 = 2
9: (95) exit
10: (b4) w0 = 1
11: (95) exit
)");
}

// A divisor read from the packet: zero rejects, as in cBPF.
TEST(EbpfPrint, XdpDivisionChecksForZero) {
  EXPECT_EQ(Listing("ip[0] / ip[1] > 0", Target::kXdp), R"(0: (61) r6 = *(u32 *)(r1 +0)
1: (61) r7 = *(u32 *)(r1 +4)
2: (bf) r1 = r6
3: (07) r1 += 14
4: (2d) if r1 > r7 goto pc+16
5: (69) r8 = *(u16 *)(r6 +12)
6: (dc) r8 = be16 r8
7: (56) if w8 != 0x800 goto pc+13
8: (bf) r1 = r6
9: (07) r1 += 15
10: (2d) if r1 > r7 goto pc+10
11: (71) r8 = *(u8 *)(r6 +14)
12: (bf) r1 = r6
13: (07) r1 += 16
14: (2d) if r1 > r7 goto pc+6
15: (71) r9 = *(u8 *)(r6 +15)
16: (16) if w9 == 0x0 goto pc+4
17: (3c) w8 /= w9
18: (b6) if w8 <= 0x0 goto pc+2
19: (b4) w0 = 2
20: (95) exit
21: (b4) w0 = 1
22: (95) exit
)");
}

// A shift count read from the packet: 32 or more gives 0, as in cBPF.
TEST(EbpfPrint, SocketFilterShiftByRegister) {
  EXPECT_EQ(Listing("ip[0] << ip[9] > 0", Target::kSocketFilter), R"(0: (bf) r6 = r1
1: (b4) w2 = 12
2: (bf) r1 = r6
3: (bf) r3 = r10
4: (07) r3 += -8
5: (b7) r4 = 2
6: (85) call bpf_skb_load_bytes#26
7: (55) if r0 != 0x0 goto pc+26
8: (69) r7 = *(u16 *)(r10 -8)
9: (dc) r7 = be16 r7
10: (56) if w7 != 0x800 goto pc+23
11: (b4) w2 = 14
12: (bf) r1 = r6
13: (bf) r3 = r10
14: (07) r3 += -8
15: (b7) r4 = 1
16: (85) call bpf_skb_load_bytes#26
17: (55) if r0 != 0x0 goto pc+16
18: (71) r7 = *(u8 *)(r10 -8)
19: (b4) w2 = 23
20: (bf) r1 = r6
21: (bf) r3 = r10
22: (07) r3 += -8
23: (b7) r4 = 1
24: (85) call bpf_skb_load_bytes#26
25: (55) if r0 != 0x0 goto pc+8
26: (71) r8 = *(u8 *)(r10 -8)
27: (26) if w8 > 0x1f goto pc+2
28: (6c) w7 <<= w8
29: (05) goto pc+1
30: (b4) w7 = 0
31: (b6) if w7 <= 0x0 goto pc+2
32: (b4) w0 = 262144
33: (95) exit
34: (b4) w0 = 0
35: (95) exit
)");
}

TEST(EbpfPrint, LenPerTarget) {
  EXPECT_EQ(Listing("len > 100", Target::kSocketFilter), R"(0: (bf) r6 = r1
1: (61) r7 = *(u32 *)(r6 +0)
2: (b6) if w7 <= 0x64 goto pc+2
3: (b4) w0 = 262144
4: (95) exit
5: (b4) w0 = 0
6: (95) exit
)");
  EXPECT_EQ(Listing("len > 100", Target::kXdp), R"(0: (61) r6 = *(u32 *)(r1 +0)
1: (61) r7 = *(u32 *)(r1 +4)
2: (bf) r8 = r7
3: (1f) r8 -= r6
4: (bc) w8 = w8
5: (b6) if w8 <= 0x64 goto pc+2
6: (b4) w0 = 2
7: (95) exit
8: (b4) w0 = 1
9: (95) exit
)");
}

TEST(EbpfPrint, EveryInstructionForm) {
  struct Case {
    Insn insn;
    const char* text;
  };
  const Case cases[] = {
      {Mov64Reg(Reg::kR6, Reg::kR1), "(bf) r6 = r1"},
      {Mov32Imm(Reg::kR0, -1), "(b4) w0 = -1"},
      {Alu64Imm(AluOp::kAdd, Reg::kR3, -8), "(07) r3 += -8"},
      {Alu32Reg(AluOp::kMod, Reg::kR7, Reg::kR8), "(9c) w7 %= w8"},
      {Alu32Imm(AluOp::kRsh, Reg::kR7, 4), "(74) w7 >>= 4"},
      {Alu32Imm(AluOp::kXor, Reg::kR7, 3), "(a4) w7 ^= 3"},
      {Alu64Imm(AluOp::kArsh, Reg::kR1, 2), "(c7) r1 s>>= 2"},
      {Neg32(Reg::kR7), "(84) w7 = -w7"},
      {ToBe(Reg::kR8, 16), "(dc) r8 = be16 r8"},
      {Raw(0xd4, Reg::kR8, Reg::kR0, 0, 32), "(d4) r8 = le32 r8"},
      {LoadMem(Size::kB, Reg::kR7, Reg::kR10, -8), "(71) r7 = *(u8 *)(r10 -8)"},
      {LoadMem(Size::kDw, Reg::kR9, Reg::kR10, -16), "(79) r9 = *(u64 *)(r10 -16)"},
      {StoreMem(Size::kDw, Reg::kR10, -16, Reg::kR9), "(7b) *(u64 *)(r10 -16) = r9"},
      {Raw(BPF_ST | BPF_W | BPF_MEM, Reg::kR10, Reg::kR0, -4, 7), "(62) *(u32 *)(r10 -4) = 7"},
      {Raw(BPF_JMP | BPF_JA, Reg::kR0, Reg::kR0, 3, 0), "(05) goto pc+3"},
      {Raw(0x16, Reg::kR8, Reg::kR0, 2, 0x800), "(16) if w8 == 0x800 goto pc+2"},
      {Raw(0x46, Reg::kR8, Reg::kR0, 1, 0x1fff), "(46) if w8 & 0x1fff goto pc+1"},
      {Raw(0x3e, Reg::kR7, Reg::kR8, 9, 0), "(3e) if w7 >= w8 goto pc+9"},
      {Raw(0x2d, Reg::kR1, Reg::kR7, 30, 0), "(2d) if r1 > r7 goto pc+30"},
      {Raw(0x55, Reg::kR0, Reg::kR0, 4, 0), "(55) if r0 != 0x0 goto pc+4"},
      {Raw(0x65, Reg::kR0, Reg::kR0, 4, -1), "(65) if r0 s> 0xffffffff goto pc+4"},
      {Call(26), "(85) call bpf_skb_load_bytes#26"},
      {Call(1), "(85) call bpf_map_lookup_elem#1"},
      {Call(7), "(85) call #7"},
      {LoadMapFd(Reg::kR1, 5), "(18) r1 = map[fd:5]"},
      {Exit(), "(95) exit"},
      {Raw(0xff, Reg::kR0, Reg::kR0, 0, 0), "(ff) unknown"},
  };
  for (const Case& c : cases) EXPECT_EQ(Image(c.insn), c.text);
}

TEST(EbpfPrint, LddwTakesTwoSlots) {
  const Program prog = {Raw(BPF_LD | BPF_IMM | kSizeDw, Reg::kR1, Reg::kR0, 0, 0x5678),
                        Raw(0, Reg::kR0, Reg::kR0, 0, 0x1234), Exit()};
  EXPECT_EQ(Dump(prog), "0: (18) r1 = 0x123400005678\n2: (95) exit\n");
}

TEST(EbpfPrint, XdpRefusesOtherLinkTypes) {
  CompileOptions opts;
  opts.dlt = 12;  // DLT_RAW
  const EbpfCompileResult r = CompileEbpf("ip", opts, Target::kXdp);
  EXPECT_EQ(r.diag.message, "XDP programs see Ethernet frames only, not link type RAW");
  EXPECT_TRUE(CompileEbpf("ip", opts, Target::kSocketFilter).diag.ok());
}

// The kernel's ancillary data read from the context: the socket filter's
// struct __sk_buff (protocol byte-swapped to host order, as cBPF gives it),
// XDP's xdp_md through the context the prologue keeps at fp-400.
TEST(EbpfPrint, AncillaryFieldsFromTheContext) {
  EXPECT_EQ(Listing("inbound", Target::kSocketFilter), R"(0: (bf) r6 = r1
1: (61) r7 = *(u32 *)(r6 +4)
2: (16) if w7 == 0x4 goto pc+2
3: (b4) w0 = 262144
4: (95) exit
5: (b4) w0 = 0
6: (95) exit
)");
  EXPECT_EQ(Listing("ether[0xfffff000:2] = 0x806", Target::kSocketFilter), R"(0: (bf) r6 = r1
1: (61) r7 = *(u32 *)(r6 +16)
2: (dc) r7 = be16 r7
3: (56) if w7 != 0x806 goto pc+2
4: (b4) w0 = 262144
5: (95) exit
6: (b4) w0 = 0
7: (95) exit
)");
  EXPECT_EQ(Listing("ifindex 3", Target::kXdp), R"(0: (7b) *(u64 *)(r10 -8) = r1
1: (61) r6 = *(u32 *)(r1 +0)
2: (61) r7 = *(u32 *)(r1 +4)
3: (79) r1 = *(u64 *)(r10 -8)
4: (61) r8 = *(u32 *)(r1 +12)
5: (56) if w8 != 0x3 goto pc+2
6: (b4) w0 = 2
7: (95) exit
8: (b4) w0 = 1
9: (95) exit
)");
}

// "vlan" for a live socket: the stripped tag in __sk_buff's vlan_present
// and vlan_tci, or the tag in the frame. XDP sees the frame before the
// kernel strips anything: the savefile program.
TEST(EbpfPrint, VlanForALiveSocket) {
  CompileOptions live;
  live.for_kernel = true;
  const EbpfCompileResult sf = CompileEbpf("vlan 7", live, Target::kSocketFilter);
  ASSERT_TRUE(sf.diag.ok()) << sf.diag.message;
  const std::string text = Dump(sf.program);
  EXPECT_NE(text.find("= *(u32 *)(r6 +20)"), std::string::npos) << text;  // vlan_present
  EXPECT_NE(text.find("= *(u32 *)(r6 +24)"), std::string::npos) << text;  // vlan_tci
  const EbpfCompileResult xdp = CompileEbpf("vlan 7", live, Target::kXdp);
  const EbpfCompileResult saved = CompileEbpf("vlan 7", CompileOptions{}, Target::kXdp);
  ASSERT_TRUE(xdp.diag.ok()) << xdp.diag.message;
  EXPECT_EQ(Dump(xdp.program), Dump(saved.program));
}

TEST(EbpfPrint, AncillaryFieldsATargetCannotRead) {
  struct Case {
    const char* expr;
    Target target;
    const char* error;
  };
  const Case cases[] = {
      {"ether[0xfffff02c:2] = 7", Target::kXdp,
       "the VLAN tag the kernel took out of the frame (ld [vlan_tci]) is not available to XDP "
       "programs, which run before the kernel builds its socket buffer"},
      {"ether[0xfffff01c:2] = 1", Target::kSocketFilter,
       "eBPF socket filters cannot read the device type (ld [hatype], SKF_AD_OFF + 28), which a "
       "classic socket filter reads from the kernel"},
      {"ether[0xfffff028] = 0", Target::kSocketFilter,
       "eBPF socket filters cannot read the classic A ^ X (an operation, not a field) (ld [xor_x], "
       "SKF_AD_OFF + 40), which a classic socket filter reads from the kernel"},
  };
  for (const Case& c : cases) {
    const EbpfCompileResult r = CompileEbpf(c.expr, CompileOptions{}, c.target);
    EXPECT_EQ(r.diag.code, Diag::Code::kSemantic) << c.expr;
    EXPECT_EQ(r.diag.message, c.error) << c.expr;
    EXPECT_EQ(FormatDiag(r.diag, c.expr), std::string(c.error) + " (column 1, near '" + c.expr + "')");
  }
}

}  // namespace
}  // namespace bpfcap::ebpf
