// MergeTails: identical instruction suffixes emitted once, meaning unchanged.
#include "compiler/cbpf/merge_tails.h"

#include <gtest/gtest.h>

#include "compiler/cbpf/cbpf.h"
#include "compiler/compile.h"
#include "tests/compiler/cbpf/random_program.h"

namespace bpfcap::cbpf {
namespace {

// A wire program as symbolic instructions: one label per instruction.
SymProgram ToSym(const Program& prog) {
  SymProgram s;
  for (size_t i = 0; i <= prog.size(); ++i) s.NewLabel();
  for (size_t i = 0; i < prog.size(); ++i) {
    const Insn& x = prog[i];
    s.Bind(static_cast<uint32_t>(i));
    SymInsn y{x.code, x.k};
    if (BPF_CLASS(x.code) == BPF_JMP) {
      if (BPF_OP(x.code) == BPF_JA) {
        y.jt = static_cast<uint32_t>(i + 1 + x.k);
        y.k = 0;
      } else {
        y.jt = static_cast<uint32_t>(i + 1 + x.jt);
        y.jf = static_cast<uint32_t>(i + 1 + x.jf);
      }
    }
    s.Emit(y);
  }
  s.Bind(static_cast<uint32_t>(prog.size()));
  return s;
}

TEST(MergeTails, SharedProtocolTestsAsLibpcapHasThem) {
  CompileResult r = Compile("tcp or udp or sctp", CompileOptions{});
  ASSERT_TRUE(r.diag.ok());
  EXPECT_EQ(DumpAsm(r.program),
            "(000) ldh      [12]\n"
            "(001) jeq      #0x800           jt 2\tjf 4\n"
            "(002) ldb      [23]\n"
            "(003) jeq      #0x6             jt 12\tjf 10\n"
            "(004) jeq      #0x86dd          jt 5\tjf 13\n"
            "(005) ldb      [20]\n"
            "(006) jeq      #0x6             jt 12\tjf 7\n"
            "(007) jeq      #0x2c            jt 8\tjf 10\n"
            "(008) ldb      [54]\n"
            "(009) jeq      #0x6             jt 12\tjf 10\n"
            "(010) jeq      #0x11            jt 12\tjf 11\n"
            "(011) jeq      #0x84            jt 12\tjf 13\n"
            "(012) ret      #262144\n"
            "(013) ret      #0\n");
}

TEST(MergeTails, FallThroughIntoACopyGetsAJump) {
  // Two copies of "ldb [1]; add #3; jeq #7 → ret 1 / ret 0". The first is
  // entered by falling through from "ldx #5": it goes, and a `ja` to the
  // second (kept: jumps only go forward) takes its place.
  SymProgram s;
  for (int i = 0; i < 4; ++i) s.NewLabel();
  const uint32_t fall = 0, second = 1, yes = 2, no = 3;
  s.Emit({BPF_LD | BPF_B | BPF_ABS, 0});
  s.Emit({BPF_JMP | BPF_JEQ | BPF_K, 1, second, fall});
  s.Bind(fall);
  s.Emit({BPF_LDX | BPF_W | BPF_IMM, 5});
  s.Emit({BPF_LD | BPF_B | BPF_ABS, 1});
  s.Emit({BPF_ALU | BPF_ADD | BPF_K, 3});
  s.Emit({BPF_JMP | BPF_JEQ | BPF_K, 7, yes, no});
  s.Bind(second);
  s.Emit({BPF_LD | BPF_B | BPF_ABS, 1});
  s.Emit({BPF_ALU | BPF_ADD | BPF_K, 3});
  s.Emit({BPF_JMP | BPF_JEQ | BPF_K, 7, yes, no});
  s.Bind(yes);
  s.Emit({BPF_RET | BPF_K, 1});
  s.Bind(no);
  s.Emit({BPF_RET | BPF_K, 0});
  ASSERT_TRUE(MergeTails(&s));
  Program prog;
  std::string error;
  ASSERT_TRUE(Assemble(s, &prog, &error)) << error;
  EXPECT_EQ(DumpAsm(prog),
            "(000) ldb      [0]\n"
            "(001) jeq      #0x1             jt 4\tjf 2\n"
            "(002) ldx      #0x5\n"
            "(003) ja       4\n"
            "(004) ldb      [1]\n"
            "(005) add      #3\n"
            "(006) jeq      #0x7             jt 7\tjf 8\n"
            "(007) ret      #1\n"
            "(008) ret      #0\n");
}

// Random valid programs keep their verdict on random packets.
TEST(MergeTails, RandomProgramsKeepTheirMeaning) {
  test::RandomPrograms gen(20261124);
  int merged = 0;
  for (int n = 0; n < 40000; ++n) {
    const Program prog = gen.Valid(40);
    SymProgram s = ToSym(prog);
    if (!MergeTails(&s)) continue;
    ++merged;
    Program out;
    std::string error;
    ASSERT_TRUE(Assemble(s, &out, &error)) << error;
    ASSERT_TRUE(Validate(out, &error)) << error;
    EXPECT_LE(out.size(), prog.size());
    for (int k = 0; k < 50; ++k) {
      const test::Packet p = gen.RandomPacket();
      ASSERT_EQ(cbpf::Run(prog, p.bytes.data(), p.wirelen, p.caplen),
                cbpf::Run(out, p.bytes.data(), p.wirelen, p.caplen))
          << DumpAsm(prog) << "--\n" << DumpAsm(out);
    }
  }
  EXPECT_GT(merged, 30);  // random programs rarely repeat a suffix
}

}  // namespace
}  // namespace bpfcap::cbpf
