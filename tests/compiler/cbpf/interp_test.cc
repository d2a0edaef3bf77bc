// The interpreter against libpcap 1.10.3's bpf_filter(): a table of named
// behaviours, then a differential run over random valid programs and random
// (often truncated) packets, which must agree on every verdict.
#include <gtest/gtest.h>
#include <pcap/pcap.h>

#include <cstdint>
#include <string>
#include <vector>

#include "compiler/cbpf/cbpf.h"
#include "compiler/cbpf/insn.h"
#include "tests/compiler/cbpf/random_program.h"

namespace bpfcap::cbpf {
namespace {

uint32_t LibpcapRun(const Program& prog, const uint8_t* pkt, uint32_t wirelen,
                    uint32_t caplen) {
  std::vector<bpf_insn> raw = test::ToLibpcap(prog);
  return bpf_filter(raw.data(), pkt, wirelen, caplen);
}

constexpr Insn Ret(uint32_t k) { return Stmt(BPF_RET | BPF_K, k); }
constexpr Insn RetA() { return Stmt(BPF_RET | kRetA, 0); }
constexpr Insn LdImm(uint32_t k) { return Stmt(BPF_LD | BPF_IMM, k); }
constexpr Insn LdxImm(uint32_t k) { return Stmt(BPF_LDX | BPF_IMM, k); }
constexpr Insn Alu(uint16_t op, uint16_t src, uint32_t k = 0) {
  return Stmt(BPF_ALU | op | src, k);
}

// Packet used by the table: 00 01 02 ... 0f, with caplen/wirelen per case.
const std::vector<uint8_t> kCounting = {0, 1, 2,  3,  4,  5,  6,  7,
                                        8, 9, 10, 11, 12, 13, 14, 15};

struct RunCase {
  const char* name;
  Program prog;
  uint32_t caplen;
  uint32_t wirelen;
  uint32_t want;
  uint64_t want_executed;
};

// clang-format off
const RunCase kRunCases[] = {
    {"ld word is big-endian", {Stmt(BPF_LD | BPF_W | BPF_ABS, 4), RetA()},
     16, 16, 0x04050607, 2},
    {"ldh is big-endian", {Stmt(BPF_LD | BPF_H | BPF_ABS, 14), RetA()}, 16, 16,
     0x0e0f, 2},
    {"word ending exactly at caplen loads",
     {Stmt(BPF_LD | BPF_W | BPF_ABS, 12), RetA()}, 16, 16, 0x0c0d0e0f, 2},
    {"word one byte past caplen rejects",
     {Stmt(BPF_LD | BPF_W | BPF_ABS, 13), Ret(1)}, 16, 16, 0, 1},
    {"load past caplen rejects even inside wirelen",
     {Stmt(BPF_LD | BPF_B | BPF_ABS, 8), Ret(1)}, 8, 100, 0, 1},
    {"huge absolute offset rejects without wrapping",
     {Stmt(BPF_LD | BPF_W | BPF_ABS, 0xfffffffe), Ret(1)}, 16, 16, 0, 1},
    {"indexed load adds X",
     {LdxImm(3), Stmt(BPF_LD | BPF_H | BPF_IND, 2), RetA()}, 16, 16, 0x0506,
     3},
    {"indexed offset X + k does not wrap around 2^32",
     {LdxImm(2), Stmt(BPF_LD | BPF_B | BPF_IND, 0xffffffff), Ret(1)}, 16, 16,
     0, 2},
    {"ld len gives wirelen, not caplen",
     {Stmt(BPF_LD | BPF_W | BPF_LEN, 0), RetA()}, 10, 1514, 1514, 2},
    {"ldx len gives wirelen",
     {Stmt(BPF_LDX | BPF_W | BPF_LEN, 0), Stmt(BPF_MISC | kMiscTxa, 0),
      RetA()},
     10, 60, 60, 3},
    {"ldxb msh is 4 * low nibble",
     {Stmt(BPF_LDX | BPF_B | BPF_MSH, 15), Stmt(BPF_MISC | kMiscTxa, 0),
      RetA()},
     16, 16, 60, 3},
    {"ldxb msh past caplen rejects",
     {Stmt(BPF_LDX | BPF_B | BPF_MSH, 16), Ret(1)}, 16, 16, 0, 1},
    {"div by X == 0 rejects",
     {LdImm(7), Alu(BPF_DIV, BPF_X), Ret(1)}, 16, 16, 0, 2},
    {"mod by X == 0 rejects",
     {LdImm(7), Alu(BPF_MOD, BPF_X), Ret(1)}, 16, 16, 0, 2},
    {"div and mod by X", {LdImm(47), LdxImm(10), Alu(BPF_MOD, BPF_X), RetA()},
     16, 16, 7, 4},
    {"lsh by X >= 32 gives 0",
     {LdImm(1), LdxImm(32), Alu(BPF_LSH, BPF_X), RetA()}, 16, 16, 0, 4},
    {"rsh by X >= 32 gives 0",
     {LdImm(0x80000000), LdxImm(0xffffffff), Alu(BPF_RSH, BPF_X), RetA()},
     16, 16, 0, 4},
    {"lsh by X == 31", {LdImm(3), LdxImm(31), Alu(BPF_LSH, BPF_X), RetA()},
     16, 16, 0x80000000, 4},
    {"neg is two's complement", {LdImm(1), Alu(BPF_NEG, 0), RetA()}, 16, 16,
     0xffffffff, 3},
    {"xor and mul wrap", {LdImm(0x80000001), Alu(BPF_MUL, BPF_K, 2),
                          Alu(BPF_XOR, BPF_K, 0xff), RetA()},
     16, 16, 0xfd, 4},
    {"scratch store and load",
     {LdImm(9), Stmt(BPF_ST, 15), LdImm(0), Stmt(BPF_LDX | BPF_MEM, 15),
      Stmt(BPF_MISC | kMiscTxa, 0), RetA()},
     16, 16, 9, 6},
    {"jump to next instruction is offset 0",
     {LdImm(5), Jump(BPF_JMP | BPF_JEQ | BPF_K, 5, 0, 0), Ret(3)}, 16, 16, 3,
     3},
    {"jgt taken skips", {LdImm(5), Jump(BPF_JMP | BPF_JGT | BPF_K, 4, 1, 0),
                         Ret(1), Ret(2)},
     16, 16, 2, 3},
    {"jset on X", {LdImm(6), LdxImm(4), Jump(BPF_JMP | BPF_JSET | BPF_X, 0, 0, 1),
                   Ret(1), Ret(2)},
     16, 16, 1, 4},
    {"ja skips", {Stmt(BPF_JMP | BPF_JA, 1), Ret(1), Ret(2)}, 16, 16, 2, 2},
    {"caplen zero: every load rejects",
     {Stmt(BPF_LD | BPF_B | BPF_ABS, 0), Ret(1)}, 0, 0, 0, 1},
    // Programs Validate refuses still run safely.
    {"unknown opcode rejects", {Stmt(0x08, 0), Ret(1)}, 16, 16, 0, 1},
    {"falling off the end rejects", {LdImm(1)}, 16, 16, 0, 1},
    {"jump past the end rejects", {Stmt(BPF_JMP | BPF_JA, 5), Ret(1)}, 16, 16,
     0, 1},
    {"scratch index 16 rejects", {Stmt(BPF_ST, 16), Ret(1)}, 16, 16, 0, 1},
    {"div by constant 0 rejects", {Alu(BPF_DIV, BPF_K, 0), Ret(1)}, 16, 16, 0,
     1},
    {"empty program rejects", {}, 16, 16, 0, 0},
};
// clang-format on

TEST(CbpfRun, NamedBehaviours) {
  for (const RunCase& c : kRunCases) {
    uint64_t executed = 0;
    EXPECT_EQ(
        cbpf::Run(c.prog, kCounting.data(), c.wirelen, c.caplen, &executed),
        c.want)
        << c.name << "\n"
        << DumpAsm(c.prog);
    EXPECT_EQ(executed, c.want_executed) << c.name;
    EXPECT_EQ(cbpf::Run(c.prog, kCounting.data(), c.wirelen, c.caplen), c.want)
        << c.name << " (without a count)";
  }
}

TEST(CbpfRun, NamedBehavioursOfValidProgramsMatchLibpcap) {
  std::string error;
  for (const RunCase& c : kRunCases) {
    if (!Validate(c.prog, &error)) continue;
    EXPECT_EQ(cbpf::Run(c.prog, kCounting.data(), c.wirelen, c.caplen),
              LibpcapRun(c.prog, kCounting.data(), c.wirelen, c.caplen))
        << c.name;
  }
}

// The interpreter's switch knows exactly the opcode table: each row runs
// and reaches `ret #7` (or returns itself), any other code rejects.
TEST(CbpfRun, ExecutesExactlyTheOpcodeTable) {
  for (uint32_t code = 0; code <= 0xffff; ++code) {
    Insn probe{static_cast<uint16_t>(code), 0, 0, 1};
    Program prog = {LdxImm(1), LdImm(1), probe, Ret(7), Ret(7)};
    uint32_t got = cbpf::Run(prog, kCounting.data(), 16, 16);
    const OpcodeInfo* op = FindOpcode(static_cast<uint16_t>(code));
    if (op == nullptr) {
      ASSERT_EQ(got, 0u) << "code 0x" << std::hex << code;
    } else if (BPF_CLASS(code) == BPF_RET) {
      ASSERT_EQ(got, 1u) << "code 0x" << std::hex << code;
    } else {
      ASSERT_EQ(got, 7u) << "code 0x" << std::hex << code;
    }
  }
}

// libpcap tests X >= 32 before shifting; random programs rarely hit the
// edges, so sweep them here (valid programs only: constant shifts < 32).
TEST(CbpfRun, ShiftEdgesMatchLibpcap) {
  constexpr uint32_t kAmounts[] = {0,  1,  31,  32,         33,
                                   63, 64, 255, 0x80000000, 0xffffffff};
  for (uint16_t op : {BPF_LSH, BPF_RSH}) {
    for (uint32_t amount : kAmounts) {
      Program by_x = {LdImm(0x80000001), LdxImm(amount), Alu(op, BPF_X),
                      RetA()};
      EXPECT_EQ(cbpf::Run(by_x, nullptr, 0, 0), LibpcapRun(by_x, nullptr, 0, 0))
          << DumpAsm(by_x);
      if (amount >= 32) continue;
      Program by_k = {LdImm(0x80000001), Alu(op, BPF_K, amount), RetA()};
      EXPECT_EQ(cbpf::Run(by_k, nullptr, 0, 0), LibpcapRun(by_k, nullptr, 0, 0))
          << DumpAsm(by_k);
    }
  }
}

TEST(CbpfRun, AgreesWithLibpcapOnRandomPrograms) {
  constexpr int kPrograms = 20000;
  constexpr int kPacketsPerProgram = 8;
  test::RandomPrograms gen(0x5eed);
  uint64_t accepted = 0;
  for (int i = 0; i < kPrograms; ++i) {
    Program prog = gen.Valid(i % 4 == 0 ? 200 : 30);
    std::vector<bpf_insn> raw = test::ToLibpcap(prog);
    uint64_t bound = LongestPath(prog);
    for (int j = 0; j < kPacketsPerProgram; ++j) {
      test::Packet p = gen.RandomPacket();
      uint64_t executed = 0;
      uint32_t ours =
          cbpf::Run(prog, p.bytes.data(), p.wirelen, p.caplen, &executed);
      uint32_t theirs =
          bpf_filter(raw.data(), p.bytes.data(), p.wirelen, p.caplen);
      ASSERT_EQ(ours, theirs)
          << "program " << i << " packet " << test::Hex(p.bytes) << " caplen "
          << p.caplen << " wirelen " << p.wirelen << "\n"
          << DumpAsm(prog);
      ASSERT_LE(executed, bound) << DumpAsm(prog);
      ASSERT_GE(executed, 1u);
      accepted += ours != 0;
    }
  }
  // Both verdicts must be well represented for the comparison to mean much.
  EXPECT_GT(accepted, uint64_t{kPrograms} * kPacketsPerProgram / 10);
  EXPECT_LT(accepted, uint64_t{kPrograms} * kPacketsPerProgram * 9 / 10);
}

// Run without a count takes the fast interpreter, with one the counting
// reference: the same verdict on every program, valid or not (random bits,
// wild jumps, bad scratch indices), and every packet.
TEST(CbpfRun, FastAndCountingInterpretersAgree) {
  constexpr int kPrograms = 20000;
  test::RandomPrograms gen(0xfa57);
  for (int i = 0; i < kPrograms; ++i) {
    Program prog;
    if (i % 2 == 0) {
      prog = gen.Valid(i % 8 == 0 ? 120 : 24);
    } else {
      const size_t n = 1 + gen.Below(24);
      for (size_t j = 0; j < n; ++j) prog.push_back(gen.AnyInsn());
    }
    for (int j = 0; j < 4; ++j) {
      test::Packet p = gen.RandomPacket();
      uint64_t executed = 0;
      const uint32_t counted = cbpf::Run(prog, p.bytes.data(), p.wirelen, p.caplen, &executed);
      ASSERT_EQ(cbpf::Run(prog, p.bytes.data(), p.wirelen, p.caplen), counted)
          << "program " << i << " packet " << test::Hex(p.bytes) << " caplen " << p.caplen
          << " wirelen " << p.wirelen << "\n"
          << DumpAsm(prog);
    }
  }
}

struct PathCase {
  const char* name;
  Program prog;
  uint64_t want;
};

const PathCase kPathCases[] = {
    {"empty", {}, 0},
    {"single return", {Ret(0)}, 1},
    {"straight line", {LdImm(1), Alu(BPF_ADD, BPF_K, 1), RetA()}, 3},
    {"longer of two branches",
     {Jump(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 3), LdImm(1), LdImm(2), Ret(1),
      Ret(0)},
     4},
    {"ja skips code",
     {Stmt(BPF_JMP | BPF_JA, 2), LdImm(1), LdImm(2), Ret(1)},
     2},
    {"return in the middle ends the path",
     {Jump(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0), Ret(5), LdImm(1), LdImm(2),
      Ret(1)},
     4},
    {"diamond counts the join once",
     {Jump(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1), LdImm(1), LdImm(2),
      Jump(BPF_JMP | BPF_JGT | BPF_K, 0, 0, 1), LdImm(3), Ret(1)},
     6},
};

TEST(CbpfLongestPath, CountsTheLongestPath) {
  for (const PathCase& c : kPathCases) {
    EXPECT_EQ(LongestPath(c.prog), c.want) << c.name;
  }
}

}  // namespace
}  // namespace bpfcap::cbpf
