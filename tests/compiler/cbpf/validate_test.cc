// The validator: named kernel rules with their exact messages, then random
// mutations of valid programs checked against libpcap's bpf_validate() (it
// must never accept what libpcap refuses) and against the running kernel's
// classic checker through SO_ATTACH_FILTER (it must agree, except that we
// also refuse ancillary loads).
#include <gtest/gtest.h>
#include <linux/filter.h>
#include <pcap/pcap.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <string>
#include <vector>

#include "compiler/cbpf/cbpf.h"
#include "compiler/cbpf/insn.h"
#include "tests/compiler/cbpf/random_program.h"

namespace bpfcap::cbpf {
namespace {

constexpr Insn Ret(uint32_t k) { return Stmt(BPF_RET | BPF_K, k); }
constexpr Insn LdImm(uint32_t k) { return Stmt(BPF_LD | BPF_IMM, k); }
constexpr Insn Jeq(uint32_t k, uint8_t jt, uint8_t jf) {
  return Jump(BPF_JMP | BPF_JEQ | BPF_K, k, jt, jf);
}

struct ValidateCase {
  const char* name;
  Program prog;
  const char* error;  // "" when the program is valid
};

const ValidateCase kCases[] = {
    {"minimal program", {Ret(0)}, ""},
    {"return of A", {LdImm(3), Stmt(BPF_RET | kRetA, 0)}, ""},
    {"empty program", {}, "empty program"},
    {"last instruction must return",
     {Ret(0), LdImm(1)},
     "instruction 1 (ld): the last instruction must be a return"},
    {"unknown opcode 0x08",
     {Stmt(0x08, 0), Ret(0)},
     "instruction 0: unknown opcode 0x8"},
    {"unknown opcode with high bits",
     {Stmt(0x106, 0)},
     "instruction 0: unknown opcode 0x106"},
    {"ret x is not an opcode",
     {Stmt(0x0e, 0)},
     "instruction 0: unknown opcode 0xe"},
    {"ldx len is valid", {Stmt(BPF_LDX | BPF_W | BPF_LEN, 0), Ret(0)}, ""},
    {"division by constant zero",
     {Stmt(BPF_ALU | BPF_DIV | BPF_K, 0), Ret(0)},
     "instruction 0 (div): division by constant zero"},
    {"modulo by constant zero",
     {Stmt(BPF_ALU | BPF_MOD | BPF_K, 0), Ret(0)},
     "instruction 0 (mod): division by constant zero"},
    {"division by X is checked at run time",
     {Stmt(BPF_ALU | BPF_DIV | BPF_X, 0), Ret(0)},
     ""},
    {"shift by constant 31", {Stmt(BPF_ALU | BPF_LSH | BPF_K, 31), Ret(0)}, ""},
    {"shift by constant 32",
     {Stmt(BPF_ALU | BPF_RSH | BPF_K, 32), Ret(0)},
     "instruction 0 (rsh): shift by 32, must be below 32"},
    {"store to M[15]", {Stmt(BPF_ST, 15), Ret(0)}, ""},
    {"store to M[16]",
     {Stmt(BPF_STX, 16), Ret(0)},
     "instruction 0 (stx): scratch index 16 out of range, must be below 16"},
    {"load from M[16]",
     {Stmt(BPF_LD | BPF_MEM, 16), Ret(0)},
     "instruction 0 (ld): scratch index 16 out of range, must be below 16"},
    {"load of a slot never stored",
     {Stmt(BPF_LDX | BPF_MEM, 3), Ret(0)},
     "instruction 0 (ldx): reads M[3], which is not stored on every path "
     "before it"},
    {"load after store",
     {Stmt(BPF_ST, 3), Stmt(BPF_LDX | BPF_MEM, 3), Ret(0)},
     ""},
    {"load of a slot stored on one branch only",
     {Jeq(0, 0, 1), Stmt(BPF_ST, 2), Stmt(BPF_LD | BPF_MEM, 2), Ret(0)},
     "instruction 2 (ld): reads M[2], which is not stored on every path "
     "before it"},
    {"load of a slot stored on both branches",
     {Jeq(0, 0, 2), Stmt(BPF_ST, 2), Stmt(BPF_JMP | BPF_JA, 1),
      Stmt(BPF_STX, 2), Stmt(BPF_LD | BPF_MEM, 2), Ret(0)},
     ""},
    {"load no path reaches is allowed",
     {Stmt(BPF_JMP | BPF_JA, 1), Stmt(BPF_LD | BPF_MEM, 5), Ret(0)},
     ""},
    {"load after a return is checked as if the return fell through",
     {Ret(0), Stmt(BPF_LD | BPF_MEM, 5), Ret(0)},
     "instruction 1 (ld): reads M[5], which is not stored on every path "
     "before it"},
    {"jump to the last instruction", {Jeq(0, 1, 0), LdImm(0), Ret(0)}, ""},
    {"jt past the end",
     {Jeq(0, 1, 0), Ret(0)},
     "instruction 0 (jeq): jt target 2 is past the last instruction 1"},
    {"jf past the end",
     {Jeq(0, 0, 255), Ret(0)},
     "instruction 0 (jeq): jf target 256 is past the last instruction 1"},
    {"ja past the end",
     {Stmt(BPF_JMP | BPF_JA, 1), Ret(0)},
     "instruction 0 (ja): jump target 2 is past the last instruction 1"},
    {"ja with a huge offset does not wrap",
     {Stmt(BPF_JMP | BPF_JA, 0xffffffff), Ret(0)},
     "instruction 0 (ja): jump target 4294967296 is past the last "
     "instruction 1"},
    {"ancillary protocol load allowed",
     {Stmt(BPF_LD | BPF_W | BPF_ABS, 0xfffff000), Ret(0)},
     ""},
    {"ancillary packet type load allowed (\"inbound\")",
     {Stmt(BPF_LD | BPF_H | BPF_ABS, 0xfffff004), Ret(0)},
     ""},
    {"ancillary offset past the last field refused",
     {Stmt(BPF_LD | BPF_W | BPF_ABS, 0xfffff040), Ret(0)},
     "instruction 0 (ld): offset 0xfffff040 is in the kernel's ancillary "
     "data range (SKF_AD_OFF and above) but names no ancillary field"},
    {"absolute load at 0xffffffff refused as the kernel does",
     {Stmt(BPF_LD | BPF_H | BPF_ABS, 0xffffffff), Ret(0)},
     "instruction 0 (ldh): offset 0xffffffff is in the kernel's ancillary "
     "data range (SKF_AD_OFF and above) but names no ancillary field"},
    {"absolute load just below SKF_AD_OFF",
     {Stmt(BPF_LD | BPF_B | BPF_ABS, 0xffffefff), Ret(0)},
     ""},
    {"indexed load with any offset",
     {Stmt(BPF_LD | BPF_H | BPF_IND, 0xffffffff), Ret(0)},
     ""},
};

TEST(CbpfValidate, KernelRules) {
  for (const ValidateCase& c : kCases) {
    std::string error;
    bool ok = Validate(c.prog, &error);
    EXPECT_EQ(ok, c.error[0] == '\0') << c.name << ": " << error;
    if (!ok) {
      EXPECT_EQ(error, c.error) << c.name;
    }
  }
}

TEST(CbpfValidate, KernelInstructionLimitIsOptional) {
  Program at_limit(kMaxInsns, Ret(0));
  Program over_limit(kMaxInsns + 1, Ret(0));
  std::string error;
  EXPECT_TRUE(Validate(at_limit, &error, {.kernel_limits = true})) << error;
  EXPECT_TRUE(Validate(over_limit, &error)) << error;
  EXPECT_FALSE(Validate(over_limit, &error, {.kernel_limits = true}));
  EXPECT_EQ(error,
            "program has 4097 instructions, more than the kernel's limit of "
            "4096");
}

// The running kernel's classic checker: attaches `prog` to a UDP socket.
class KernelChecker {
 public:
  KernelChecker() : fd_(socket(AF_INET, SOCK_DGRAM, 0)) {}
  ~KernelChecker() {
    if (fd_ >= 0) close(fd_);
  }
  KernelChecker(const KernelChecker&) = delete;
  KernelChecker& operator=(const KernelChecker&) = delete;

  bool available() const { return fd_ >= 0; }
  bool Accepts(const Program& prog) {
    std::vector<sock_filter> raw;
    for (const Insn& i : prog) raw.push_back({i.code, i.jt, i.jf, i.k});
    sock_fprog fprog{static_cast<unsigned short>(raw.size()), raw.data()};
    return setsockopt(fd_, SOL_SOCKET, SO_ATTACH_FILTER, &fprog,
                      sizeof fprog) == 0;
  }

 private:
  int fd_;
};

bool LibpcapAccepts(const Program& prog) {
  std::vector<bpf_insn> raw = test::ToLibpcap(prog);
  return bpf_validate(raw.data(), static_cast<int>(raw.size())) != 0;
}

bool HasAncillaryLoad(const Program& prog) {
  for (const Insn& i : prog) {
    const OpcodeInfo* op = FindOpcode(i.code);
    if (op != nullptr && op->rule == KRule::kPacketAbs && i.k >= 0xfffff000) {
      return true;
    }
  }
  return false;
}

// Every row of the table, in a program that satisfies its rule, is valid;
// every other code is not. The kernel agrees on every code below 0x400 and a
// sample of the larger ones (one attach each is slow).
TEST(CbpfValidate, AcceptsExactlyTheOpcodeTable) {
  KernelChecker kernel;
  if (!kernel.available()) GTEST_SKIP() << "no UDP socket to attach filters to";
  for (uint32_t code = 0; code <= 0xffff; ++code) {
    Insn probe{static_cast<uint16_t>(code), 0, 0, 1};
    Program prog = {Stmt(BPF_ST, 1), probe, Ret(0), Ret(0)};
    std::string error;
    bool ours = Validate(prog, &error);
    ASSERT_EQ(ours, FindOpcode(static_cast<uint16_t>(code)) != nullptr)
        << "code 0x" << std::hex << code << ": " << error;
    if (code < 0x400 || code % 97 == 0) {
      ASSERT_EQ(ours, kernel.Accepts(prog)) << "code 0x" << std::hex << code;
    }
  }
}

// A valid program with one to three random edits.
Program Mutant(test::RandomPrograms& gen) {
  Program prog = gen.Valid(24);
  for (uint32_t edits = 1 + gen.Below(3); edits > 0; --edits) {
    uint32_t at = gen.Below(static_cast<uint32_t>(prog.size()));
    switch (gen.Below(7)) {
      case 0:
        prog[at].code = gen.AnyInsn().code;
        break;
      case 1:
        prog[at].k = gen.Interesting();
        break;
      case 2:
        prog[at].k = gen.Offset();
        break;
      case 3:
        prog[at].jt = static_cast<uint8_t>(gen.Below(256));
        break;
      case 4:
        prog[at].jf = static_cast<uint8_t>(gen.Below(256));
        break;
      case 5:
        prog.resize(at);
        break;
      default:
        prog.push_back(gen.AnyInsn());
        break;
    }
    if (prog.empty()) break;
  }
  return prog;
}

TEST(CbpfValidate, RefusesEverythingLibpcapRefuses) {
  test::RandomPrograms gen(77);
  int refused_by_libpcap = 0;
  for (int i = 0; i < 30000; ++i) {
    Program prog = Mutant(gen);
    std::string error;
    bool ours = Validate(prog, &error);
    if (!LibpcapAccepts(prog)) {
      ++refused_by_libpcap;
      ASSERT_FALSE(ours) << "libpcap refuses, we accept:\n" << DumpAsm(prog);
    }
  }
  EXPECT_GT(refused_by_libpcap, 3000);  // the mutations bite
}

TEST(CbpfValidate, AgreesWithTheKernel) {
  KernelChecker kernel;
  if (!kernel.available()) GTEST_SKIP() << "no UDP socket to attach filters to";
  test::RandomPrograms gen(78);
  int accepted = 0;
  for (int i = 0; i < 10000; ++i) {
    Program prog = Mutant(gen);
    std::string error;
    bool ours = Validate(prog, &error);
    bool theirs = kernel.Accepts(prog);
    if (HasAncillaryLoad(prog)) {
      ASSERT_FALSE(ours) << DumpAsm(prog);
      continue;
    }
    ASSERT_EQ(ours, theirs) << (ours ? "" : error) << "\n" << DumpAsm(prog);
    accepted += ours;
  }
  EXPECT_GT(accepted, 1000);
  EXPECT_LT(accepted, 9000);
}

// Mutants we accept are safe for libpcap's bpf_filter (no undefined shifts,
// divisions or scratch reads), so the interpreters must agree on them too.
TEST(CbpfValidate, AcceptedMutantsRunLikeLibpcap) {
  test::RandomPrograms gen(79);
  for (int i = 0; i < 5000; ++i) {
    Program prog = Mutant(gen);
    std::string error;
    if (!Validate(prog, &error)) continue;
    std::vector<bpf_insn> raw = test::ToLibpcap(prog);
    test::Packet p = gen.RandomPacket();
    ASSERT_EQ(cbpf::Run(prog, p.bytes.data(), p.wirelen, p.caplen),
              bpf_filter(raw.data(), p.bytes.data(), p.wirelen, p.caplen))
        << DumpAsm(prog);
  }
}

// --- ValidateLikeLibpcap: exactly libpcap's bpf_validate ---------------------

bool LibpcapAcceptsRaw(const Program& prog) {
  std::vector<bpf_insn> raw = test::ToLibpcap(prog);
  return bpf_validate(raw.empty() ? nullptr : raw.data(), static_cast<int>(raw.size())) != 0;
}

bool OursLikeLibpcap(const Program& prog) {
  return ValidateLikeLibpcap(prog.empty() ? nullptr : prog.data(), static_cast<int>(prog.size()));
}

// Every 16-bit code, with k at the edges of each rule and jump fields inside
// and just outside the program, first and last in the program.
TEST(CbpfValidateLikeLibpcap, EveryCodeAgrees) {
  int accepted = 0, refused = 0;
  for (uint32_t code = 0; code <= 0xffff; ++code) {
    for (uint32_t k : {0u, 1u, 15u, 16u, 0xfffffffeu, 0xffffffffu}) {
      for (uint8_t j : {uint8_t{0}, uint8_t{1}, uint8_t{2}}) {
        const Insn probe{static_cast<uint16_t>(code), j, static_cast<uint8_t>(2 - j), k};
        for (const Program& prog : {Program{probe, Ret(0), Ret(1)}, Program{LdImm(1), probe}}) {
          const bool theirs = LibpcapAcceptsRaw(prog);
          ASSERT_EQ(OursLikeLibpcap(prog), theirs) << "code 0x" << std::hex << code << " k 0x" << k
                                                   << " jt " << std::dec << int(j) << "\n"
                                                   << DumpAsm(prog);
          (theirs ? accepted : refused)++;
        }
      }
    }
  }
  EXPECT_GT(accepted, 100000);
  EXPECT_GT(refused, 100000);
}

// Generated valid programs with one to three edits, and programs of random
// instructions: the same verdict as libpcap on each.
TEST(CbpfValidateLikeLibpcap, MutantsAndRandomProgramsAgree) {
  test::RandomPrograms gen(80);
  int accepted = 0, stricter = 0;
  for (int i = 0; i < 40000; ++i) {
    Program prog = Mutant(gen);
    if (i % 2 == 1) {
      prog.clear();
      for (uint32_t n = gen.Below(6); n > 0; --n) {
        Insn in = gen.AnyInsn();
        in.jt = static_cast<uint8_t>(gen.Below(6));
        in.jf = static_cast<uint8_t>(gen.Below(6));
        if (gen.OneIn(3)) in.k = gen.Below(8);
        prog.push_back(in);
      }
      if (gen.OneIn(2)) prog.push_back(Stmt(BPF_RET | BPF_K, gen.Interesting()));
    }
    const bool theirs = LibpcapAcceptsRaw(prog);
    ASSERT_EQ(OursLikeLibpcap(prog), theirs) << DumpAsm(prog);
    accepted += theirs;
    std::string error;
    stricter += theirs && !Validate(prog, &error);
  }
  EXPECT_GT(accepted, 5000);
  EXPECT_GT(stricter, 500);  // the kernel's rules really are stricter
}

// ja's 32-bit target arithmetic: an offset that wraps lands back inside the
// program, and libpcap accepts it; long programs (past BPF_MAXINSNS) too.
TEST(CbpfValidateLikeLibpcap, JumpArithmeticAndLength) {
  for (uint32_t at = 0; at < 4; ++at) {
    for (uint32_t k : {0u, 1u, 2u, 3u, 0x7fffffffu, 0xfffffff0u, 0xfffffffcu, 0xfffffffdu,
                       0xfffffffeu, 0xffffffffu}) {
      Program prog(5, LdImm(1));
      prog[at] = Stmt(BPF_JMP | BPF_JA, k);
      prog[4] = Ret(0);
      EXPECT_EQ(OursLikeLibpcap(prog), LibpcapAcceptsRaw(prog)) << "ja at " << at << " k " << k;
    }
  }
  Program big(10000, Stmt(BPF_ST, 3));
  big.back() = Ret(0);
  EXPECT_TRUE(LibpcapAcceptsRaw(big));
  EXPECT_TRUE(OursLikeLibpcap(big));
  EXPECT_FALSE(OursLikeLibpcap({}));
  EXPECT_FALSE(ValidateLikeLibpcap(big.data(), 0));
  EXPECT_FALSE(ValidateLikeLibpcap(big.data(), -1));
}

}  // namespace
}  // namespace bpfcap::cbpf
