// The wire layout of eBPF instructions, byte for byte, and the assembler.
#include <cstring>
#include <string>

#include <gtest/gtest.h>

#include "compiler/ebpf/codegen.h"
#include "compiler/ebpf/insn.h"

namespace bpfcap::ebpf {
namespace {

std::string Bytes(const Insn& i) {
  unsigned char b[sizeof(Insn)];
  std::memcpy(b, &i, sizeof b);
  std::string out;
  for (unsigned char c : b) {
    char hex[4];
    std::snprintf(hex, sizeof hex, "%02x ", c);
    out += hex;
  }
  out.pop_back();
  return out;
}

// Byte 1 holds dst in its low nibble and src in its high one; off and imm are
// little-endian, as the kernel reads them on x86 and arm64.
TEST(EbpfInsn, WireLayoutMatchesTheKernel) {
  struct Case {
    Insn insn;
    const char* bytes;
  };
  const Case cases[] = {
      {Mov64Reg(Reg::kR6, Reg::kR1), "bf 16 00 00 00 00 00 00"},
      {Mov32Imm(Reg::kR0, 262144), "b4 00 00 00 00 00 04 00"},
      {Mov64Imm(Reg::kR4, -1), "b7 04 00 00 ff ff ff ff"},
      {LoadMem(Size::kH, Reg::kR8, Reg::kR6, 12), "69 68 0c 00 00 00 00 00"},
      {LoadMem(Size::kB, Reg::kR7, Reg::kR10, -8), "71 a7 f8 ff 00 00 00 00"},
      {StoreMem(Size::kDw, Reg::kR10, -16, Reg::kR9), "7b 9a f0 ff 00 00 00 00"},
      {Alu32Imm(AluOp::kAnd, Reg::kR8, 0xf), "54 08 00 00 0f 00 00 00"},
      {Alu32Reg(AluOp::kDiv, Reg::kR8, Reg::kR9), "3c 98 00 00 00 00 00 00"},
      {Alu64Reg(AluOp::kSub, Reg::kR3, Reg::kR6), "1f 63 00 00 00 00 00 00"},
      {Neg32(Reg::kR5), "84 05 00 00 00 00 00 00"},
      {ToBe(Reg::kR8, 32), "dc 08 00 00 20 00 00 00"},
      {Call(26), "85 00 00 00 1a 00 00 00"},
      {Exit(), "95 00 00 00 00 00 00 00"},
      {Raw(0x2d, Reg::kR1, Reg::kR7, 300, 0), "2d 71 2c 01 00 00 00 00"},
      {Jmp32Imm(JmpOp::kJeq, Reg::kR8, 0x800, 0).insn, "16 08 00 00 00 08 00 00"},
      {Jmp32Reg(JmpOp::kJgt, Reg::kR8, Reg::kR9, 0).insn, "2e 98 00 00 00 00 00 00"},
      {JmpImm(JmpOp::kJne, Reg::kR0, 0, 0).insn, "55 00 00 00 00 00 00 00"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(Bytes(c.insn), c.bytes);
  }
  const Insn i = Raw(0x71, Reg::kR10, Reg::kR3, 0, 0);
  EXPECT_EQ(i.dst, 10);
  EXPECT_EQ(i.src, 3);
}

TEST(EbpfInsn, WidthIsTwoForLddwOnly) {
  EXPECT_EQ(Raw(BPF_LD | BPF_IMM | kSizeDw, Reg::kR1, Reg::kR0, 0, 1).Width(), 2);
  EXPECT_EQ(Mov64Imm(Reg::kR1, 1).Width(), 1);
  EXPECT_EQ(LoadMem(Size::kDw, Reg::kR1, Reg::kR10, -8).Width(), 1);
}

TEST(EbpfAssemble, ResolvesForwardLabels) {
  SymProgram sym;
  const Label out = sym.NewLabel(), skip = sym.NewLabel();
  sym.Emit(Jmp32Imm(JmpOp::kJeq, Reg::kR8, 1, out));
  sym.Emit(Ja(skip));
  sym.Emit(Mov32Imm(Reg::kR0, 1));
  sym.Bind(skip);
  sym.Bind(out);
  sym.Emit(Exit());
  Program prog;
  std::string error;
  ASSERT_TRUE(Assemble(sym, &prog, &error)) << error;
  ASSERT_EQ(prog.size(), 4u);
  EXPECT_EQ(prog[0].off, 2);
  EXPECT_EQ(prog[1].off, 1);
  EXPECT_EQ(prog[2], Mov32Imm(Reg::kR0, 1));
}

TEST(EbpfAssemble, RefusesBackwardAndUnboundLabels) {
  std::string error;
  Program prog;
  {
    SymProgram sym;
    const Label top = sym.NewLabel();
    sym.Bind(top);
    sym.Emit(Mov32Imm(Reg::kR0, 0));
    sym.Emit(Ja(top));
    EXPECT_FALSE(Assemble(sym, &prog, &error));
    EXPECT_EQ(error, "instruction 1: backward jump");
  }
  {
    SymProgram sym;
    sym.Emit(Ja(sym.NewLabel()));
    EXPECT_FALSE(Assemble(sym, &prog, &error));
    EXPECT_EQ(error, "instruction 0: jump to an unbound label");
  }
  {
    SymProgram sym;
    const Label far = sym.NewLabel();
    sym.Emit(Ja(far));
    for (int i = 0; i < 40000; ++i) sym.Emit(Mov32Imm(Reg::kR0, 0));
    sym.Bind(far);
    sym.Emit(Exit());
    EXPECT_FALSE(Assemble(sym, &prog, &error));
    EXPECT_EQ(error, "instruction 0: jump of 40000 instructions does not fit in 16 bits");
  }
}

}  // namespace
}  // namespace bpfcap::ebpf
