// The assembler: label resolution, trampolines for conditional jumps beyond
// 255, the layout fixed point, and the errors for labels it cannot resolve.
// Short programs are compared as tcpdump -dd text (raw offsets); long ones
// by their shape, and random ones by following every branch to its target.
#include "compiler/cbpf/assemble.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "compiler/cbpf/cbpf.h"
#include "compiler/cbpf/insn.h"

namespace bpfcap::cbpf {
namespace {

constexpr uint16_t kJeq = BPF_JMP | BPF_JEQ | BPF_K;
constexpr uint16_t kJa = BPF_JMP | BPF_JA;

SymInsn S(uint16_t code, uint32_t k) { return SymInsn{code, k}; }
SymInsn Ret(uint32_t k) { return S(BPF_RET | BPF_K, k); }
SymInsn Ld(uint32_t k) { return S(BPF_LD | BPF_IMM, k); }
SymInsn Cond(uint32_t k, uint32_t jt, uint32_t jf) {
  return SymInsn{kJeq, k, jt, jf};
}
SymInsn Goto(uint32_t label) { return SymInsn{kJa, 0, label, kNoLabel}; }

void Fill(SymProgram& sym, int count) {
  for (int i = 0; i < count; ++i) sym.Emit(Ld(static_cast<uint32_t>(i)));
}

Program MustAssemble(const SymProgram& sym) {
  Program out;
  std::string error;
  EXPECT_TRUE(Assemble(sym, &out, &error)) << error;
  return out;
}

struct TextCase {
  const char* name;
  SymProgram (*build)();
  const char* want;  // DumpC of the result
};

const TextCase kTextCases[] = {
    {"straight line passes k through",
     [] {
       SymProgram s;
       s.Emit(S(BPF_LD | BPF_H | BPF_ABS, 12));
       s.Emit(Ret(0x40000));
       return s;
     },
     "{ 0x28, 0, 0, 0x0000000c },\n"
     "{ 0x6, 0, 0, 0x00040000 },\n"},
    {"jump to the very next instruction is offset 0",
     [] {
       SymProgram s;
       uint32_t next = s.NewLabel();
       s.Emit(Cond(1, next, next));
       s.Bind(next);
       s.Emit(Ret(0));
       return s;
     },
     "{ 0x15, 0, 0, 0x00000001 },\n"
     "{ 0x6, 0, 0, 0x00000000 },\n"},
    {"jt and jf resolve independently",
     [] {
       SymProgram s;
       uint32_t yes = s.NewLabel(), no = s.NewLabel();
       s.Emit(Cond(0x800, yes, no));
       s.Emit(Ld(1));
       s.Bind(yes);
       s.Emit(Ret(1));
       s.Bind(no);
       s.Emit(Ret(0));
       return s;
     },
     "{ 0x15, 1, 2, 0x00000800 },\n"
     "{ 0x0, 0, 0, 0x00000001 },\n"
     "{ 0x6, 0, 0, 0x00000001 },\n"
     "{ 0x6, 0, 0, 0x00000000 },\n"},
    {"two labels bound at one place",
     [] {
       SymProgram s;
       uint32_t a = s.NewLabel(), b = s.NewLabel();
       s.Emit(Cond(2, a, b));
       s.Bind(a);
       s.Bind(b);
       s.Emit(Ret(0));
       return s;
     },
     "{ 0x15, 0, 0, 0x00000002 },\n"
     "{ 0x6, 0, 0, 0x00000000 },\n"},
    {"ja resolves its label into k and ignores the symbolic k",
     [] {
       SymProgram s;
       uint32_t end = s.NewLabel();
       SymInsn ja = Goto(end);
       ja.k = 99;
       s.Emit(ja);
       s.Emit(Ret(1));
       s.Emit(Ret(2));
       s.Bind(end);
       s.Emit(Ret(0));
       return s;
     },
     "{ 0x5, 0, 0, 0x00000002 },\n"
     "{ 0x6, 0, 0, 0x00000001 },\n"
     "{ 0x6, 0, 0, 0x00000002 },\n"
     "{ 0x6, 0, 0, 0x00000000 },\n"},
};

TEST(CbpfAssemble, ShortPrograms) {
  for (const TextCase& c : kTextCases) {
    EXPECT_EQ(DumpC(MustAssemble(c.build())), c.want) << c.name;
  }
}

// jeq far, near; `fill` loads; ld #1000 (far); ret #1. The jump's jt
// crosses `fill`.
SymProgram FarTrue(int fill) {
  SymProgram s;
  uint32_t far = s.NewLabel(), near = s.NewLabel();
  s.Emit(Cond(7, far, near));
  s.Bind(near);
  Fill(s, fill);
  s.Bind(far);
  s.Emit(Ld(1000));
  s.Emit(Ret(1));
  return s;
}

TEST(CbpfAssemble, OffsetOf255FitsWithoutTrampoline) {
  Program out = MustAssemble(FarTrue(255));
  ASSERT_EQ(out.size(), 258u);
  EXPECT_EQ(out[0], Jump(kJeq, 7, 255, 0));
}

TEST(CbpfAssemble, LongJumpUsesJaTrampoline) {
  Program out = MustAssemble(FarTrue(256));
  ASSERT_EQ(out.size(), 260u);
  EXPECT_EQ(out[0], Jump(kJeq, 7, 0, 1));  // jf skips the trampoline
  EXPECT_EQ(out[1], Stmt(kJa, 256));       // lands on ld #1000 at 258
  EXPECT_EQ(out[258], Stmt(BPF_LD | BPF_IMM, 1000));
}

// A far return is copied into the trampoline's slot: same size, and the
// packet stops there instead of running a `ja` and then the `ret`.
TEST(CbpfAssemble, FarReturnIsCopiedInsteadOfJumpedTo) {
  SymProgram s;
  uint32_t yes = s.NewLabel(), no = s.NewLabel();
  s.Emit(Cond(7, yes, no));
  s.Bind(no);
  Fill(s, 300);
  s.Bind(yes);
  s.Emit(S(BPF_RET | kRetA, 0));
  Program out = MustAssemble(s);
  ASSERT_EQ(out.size(), 303u);
  EXPECT_EQ(out[0], Jump(kJeq, 7, 0, 1));
  EXPECT_EQ(out[1], Stmt(BPF_RET | kRetA, 0));
  EXPECT_EQ(out[302], Stmt(BPF_RET | kRetA, 0));
  EXPECT_EQ(LongestPath(out), 302u);  // jf: 300 loads and the ret
}

TEST(CbpfAssemble, FarFalseBranchUsesTrampoline) {
  SymProgram s;
  uint32_t far = s.NewLabel(), near = s.NewLabel();
  s.Emit(Cond(7, near, far));
  s.Emit(Ld(1));
  s.Bind(near);
  Fill(s, 300);
  s.Bind(far);
  s.Emit(Ret(1));
  Program out = MustAssemble(s);
  ASSERT_EQ(out.size(), 304u);
  EXPECT_EQ(out[0], Jump(kJeq, 7, 2, 0));  // jt skips trampoline and ld #1
  EXPECT_EQ(out[1], Stmt(BPF_RET | BPF_K, 1));  // the far ret, copied
  EXPECT_EQ(out[303], Stmt(BPF_RET | BPF_K, 1));
}

TEST(CbpfAssemble, BothBranchesFarGetOneTrampolineEach) {
  SymProgram s;
  uint32_t yes = s.NewLabel(), no = s.NewLabel();
  s.Emit(Cond(7, yes, no));
  Fill(s, 300);
  s.Bind(yes);
  s.Emit(Ret(1));
  s.Bind(no);
  s.Emit(Ret(0));
  Program out = MustAssemble(s);
  ASSERT_EQ(out.size(), 305u);
  EXPECT_EQ(out[0], Jump(kJeq, 7, 0, 1));
  EXPECT_EQ(out[1], Stmt(BPF_RET | BPF_K, 1));  // copies of the far returns
  EXPECT_EQ(out[2], Stmt(BPF_RET | BPF_K, 0));
  EXPECT_EQ(out[303], Stmt(BPF_RET | BPF_K, 1));
  EXPECT_EQ(out[304], Stmt(BPF_RET | BPF_K, 0));
}

TEST(CbpfAssemble, BothBranchesToOneFarLabelShareATrampoline) {
  SymProgram s;
  uint32_t far = s.NewLabel();
  s.Emit(Cond(7, far, far));
  Fill(s, 300);
  s.Bind(far);
  s.Emit(Ret(1));
  Program out = MustAssemble(s);
  ASSERT_EQ(out.size(), 303u);
  EXPECT_EQ(out[0], Jump(kJeq, 7, 0, 0));
  EXPECT_EQ(out[1], Stmt(BPF_RET | BPF_K, 1));
}

// Three tests jump to a far return and the last also to a far load: the
// first two use the last one's copy of the return instead of their own.
TEST(CbpfAssemble, NearbyFarBranchesShareATrampoline) {
  SymProgram s;
  uint32_t yes = s.NewLabel(), no = s.NewLabel();
  uint32_t next1 = s.NewLabel(), next2 = s.NewLabel();
  s.Emit(Cond(1, yes, next1));
  s.Bind(next1);
  s.Emit(Cond(2, yes, next2));
  s.Bind(next2);
  s.Emit(Cond(3, yes, no));
  Fill(s, 300);
  s.Bind(no);
  s.Emit(Ld(1000));
  s.Bind(yes);
  s.Emit(Ret(1));
  Program out = MustAssemble(s);
  ASSERT_EQ(out.size(), 307u);
  EXPECT_EQ(out[0], Jump(kJeq, 1, 2, 0));  // → out[3], the shared ret copy
  EXPECT_EQ(out[1], Jump(kJeq, 2, 1, 0));
  EXPECT_EQ(out[2], Jump(kJeq, 3, 0, 1));
  EXPECT_EQ(out[3], Stmt(BPF_RET | BPF_K, 1));
  EXPECT_EQ(out[4], Stmt(kJa, 300));  // 4 + 1 + 300 = 305: ld #1000
  EXPECT_EQ(out[305], Stmt(BPF_LD | BPF_IMM, 1000));
}

// A jump over 200 tests that each jump to a far return is far while every
// test has its own copy of the return (420 instructions), and back within
// reach once they share one: it then loses its trampoline.
TEST(CbpfAssemble, BranchesBackInReachLoseTheirTrampoline) {
  SymProgram s;
  uint32_t skip = s.NewLabel(), yes = s.NewLabel(), first = s.NewLabel();
  s.Emit(Cond(0, skip, first));
  s.Bind(first);
  for (uint32_t i = 0; i < 200; ++i) {
    uint32_t next = s.NewLabel();
    s.Emit(Cond(i + 1, yes, next));
    s.Bind(next);
  }
  Fill(s, 20);
  s.Bind(skip);
  s.Emit(Ld(1000));
  Fill(s, 300);
  s.Bind(yes);
  s.Emit(Ret(1));
  Program out = MustAssemble(s);
  // The tests keep two copies of the return (sharing is greedy), and the
  // first jump reaches ld #1000 directly.
  ASSERT_EQ(out.size(), 1u + 200 + 2 + 20 + 1 + 300 + 1);
  EXPECT_EQ(out[0], Jump(kJeq, 0, 222, 0));
  EXPECT_EQ(out[223], Stmt(BPF_LD | BPF_IMM, 1000));
  std::string error;
  EXPECT_TRUE(Validate(out, &error)) << error;
}

TEST(CbpfAssemble, JaNeedsNoTrampoline) {
  SymProgram s;
  uint32_t far = s.NewLabel();
  s.Emit(Goto(far));
  Fill(s, 5000);
  s.Bind(far);
  s.Emit(Ret(1));
  Program out = MustAssemble(s);
  ASSERT_EQ(out.size(), 5002u);
  EXPECT_EQ(out[0], Stmt(kJa, 5000));
}

// Jump A fits exactly (255) until jump B, between A and its target, grows a
// trampoline; the second layout pass must then give A one too.
TEST(CbpfAssemble, TrampolinesCascadeToAFixedPoint) {
  SymProgram s;
  uint32_t a_target = s.NewLabel(), b_target = s.NewLabel();
  uint32_t after_a = s.NewLabel(), after_b = s.NewLabel();
  s.Emit(Cond(1, a_target, after_a));  // 0
  s.Bind(after_a);
  s.Emit(Cond(2, b_target, after_b));  // 1
  s.Bind(after_b);
  Fill(s, 254);  // 2..255
  s.Bind(a_target);
  s.Emit(Ld(1001));  // 256: offset 255 from A
  Fill(s, 100);
  s.Bind(b_target);
  s.Emit(Ld(1002));
  s.Emit(Ret(2));
  Program out = MustAssemble(s);
  // A, A's trampoline, B, B's trampoline, 254 loads, ld #1001 at 258.
  ASSERT_EQ(out.size(), 361u);
  EXPECT_EQ(out[0], Jump(kJeq, 1, 0, 1));
  EXPECT_EQ(out[1], Stmt(kJa, 256));  // 1 + 1 + 256 = 258
  EXPECT_EQ(out[2], Jump(kJeq, 2, 0, 1));
  EXPECT_EQ(out[3], Stmt(kJa, 355));  // 3 + 1 + 355 = 359
  EXPECT_EQ(out[258], Stmt(BPF_LD | BPF_IMM, 1001));
  EXPECT_EQ(out[359], Stmt(BPF_LD | BPF_IMM, 1002));
  std::string error;
  EXPECT_TRUE(Validate(out, &error)) << error;
}

struct ErrorCase {
  const char* name;
  SymProgram (*build)();
  const char* error;
};

const ErrorCase kErrorCases[] = {
    {"unbound label",
     [] {
       SymProgram s;
       uint32_t l = s.NewLabel();
       s.Emit(Cond(0, l, l));
       s.Emit(Ret(0));
       return s;
     },
     "instruction 0 (jeq): label 0 is never bound"},
    {"label id that was never made",
     [] {
       SymProgram s;
       s.Emit(Ld(0));
       s.Emit(Goto(3));
       s.Emit(Ret(0));
       return s;
     },
     "instruction 1 (ja): label 3 does not exist"},
    {"conditional jump without a false label",
     [] {
       SymProgram s;
       uint32_t l = s.NewLabel();
       s.Emit(Cond(0, l, kNoLabel));
       s.Bind(l);
       s.Emit(Ret(0));
       return s;
     },
     "instruction 0 (jeq): label 4294967295 does not exist"},
    {"backward label",
     [] {
       SymProgram s;
       uint32_t top = s.NewLabel(), end = s.NewLabel();
       s.Bind(top);
       s.Emit(Ld(0));
       s.Emit(Cond(0, end, top));
       s.Bind(end);
       s.Emit(Ret(0));
       return s;
     },
     "instruction 1 (jeq): label 0 is not ahead of the jump (bound at "
     "instruction 0)"},
    {"jump to itself",
     [] {
       SymProgram s;
       uint32_t self = s.NewLabel();
       s.Bind(self);
       s.Emit(Goto(self));
       s.Emit(Ret(0));
       return s;
     },
     "instruction 0 (ja): label 0 is not ahead of the jump (bound at "
     "instruction 0)"},
    {"label bound after the last instruction",
     [] {
       SymProgram s;
       uint32_t end = s.NewLabel();
       s.Emit(Goto(end));
       s.Emit(Ret(0));
       s.Bind(end);
       return s;
     },
     "instruction 0 (ja): label 0 is bound after the last instruction"},
};

TEST(CbpfAssemble, RefusesLabelsItCannotResolve) {
  for (const ErrorCase& c : kErrorCases) {
    Program out;
    std::string error;
    EXPECT_FALSE(Assemble(c.build(), &out, &error)) << c.name;
    EXPECT_EQ(error, c.error) << c.name;
  }
}

TEST(CbpfAssemble, EmptyProgramAssemblesToEmpty) {
  EXPECT_TRUE(MustAssemble(SymProgram{}).empty());
}

// Random programs of conditional jumps, loads and returns, each with a
// unique k, one label per instruction. In the output, dropping the
// trampolines must give back the symbolic sequence, every trampoline (a `ja`,
// or a copy of a far `ret`) must sit right after a conditional jump, and
// every branch must reach (directly or through one trampoline) its label's
// instruction, or a copy of it if that is a return.
TEST(CbpfAssemble, RandomLongProgramsKeepEveryTarget) {
  std::mt19937 rng(4242);
  auto below = [&](uint32_t n) {
    return std::uniform_int_distribution<uint32_t>(0, n - 1)(rng);
  };
  int trampolines = 0, copies = 0;
  for (int round = 0; round < 200; ++round) {
    const uint32_t n = 2 + below(round % 10 == 0 ? 3000 : 700);
    SymProgram sym;
    for (uint32_t i = 0; i < n; ++i) sym.NewLabel();
    auto target = [&](uint32_t i) {  // a later index, near or far
      uint32_t room = n - 1 - i;
      uint32_t span = below(3) == 0 ? room : std::min(room, 300u);
      return i + 1 + below(span);
    };
    for (uint32_t i = 0; i < n; ++i) {
      sym.Bind(i);
      uint32_t kind = i + 1 == n ? 9 : below(10);  // 9: return
      if (kind < 4) {
        sym.Emit(Cond(i, target(i), below(4) == 0 ? target(i) : i + 1));
      } else if (kind < 9) {
        sym.Emit(Ld(i));
      } else {
        sym.Emit(Ret(i));
      }
    }
    Program out = MustAssemble(sym);
    std::string error;
    ASSERT_TRUE(Validate(out, &error, {.kernel_limits = false})) << error;

    std::vector<uint32_t> pos;  // symbolic index → output index
    for (uint32_t p = 0; p < out.size(); ++p) {
      // A copied return names a symbolic instruction further ahead.
      const bool copy = out[p].code == (BPF_RET | BPF_K) && out[p].k > pos.size();
      if (out[p].code == kJa || copy) {
        ASSERT_FALSE(pos.empty()) << "round " << round;
        uint32_t owner = pos.back();
        ASSERT_TRUE(p == owner + 1 || p == owner + 2) << "round " << round;
        ++(copy ? copies : trampolines);
        continue;
      }
      ASSERT_EQ(out[p].k, pos.size()) << "round " << round << " at " << p;
      ASSERT_EQ(out[p].code, sym.insns[pos.size()].code);
      pos.push_back(p);
    }
    ASSERT_EQ(pos.size(), n);
    // The instruction a branch lands on, after its trampoline if any.
    auto land = [&](uint32_t from, uint8_t off) {
      uint32_t q = from + 1 + off;
      if (out[q].code == kJa) q = q + 1 + out[q].k;
      return out[q];
    };
    for (uint32_t i = 0; i < n; ++i) {
      if (sym.insns[i].code != kJeq) continue;
      const Insn& j = out[pos[i]];
      ASSERT_EQ(land(pos[i], j.jt), out[pos[sym.insns[i].jt]]) << "round " << round;
      ASSERT_EQ(land(pos[i], j.jf), out[pos[sym.insns[i].jf]]) << "round " << round;
    }
  }
  EXPECT_GT(trampolines, 1000);  // far branches were common
  EXPECT_GT(copies, 100);        // and so were far returns
}

}  // namespace
}  // namespace bpfcap::cbpf
