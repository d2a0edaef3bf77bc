// The classic BPF interpreter, with libpcap's bpf_filter semantics, and the
// longest-path bound on the instructions a program can execute.
//
// Semantics (checked against libpcap 1.10.3's bpf_filter by interp_test.cc):
//   - A, X and M[0..15] start at 0.
//   - A packet load reaching past `caplen` ends the program with 0; offsets
//     are computed without wrap-around, so [x + k] never wraps back into the
//     packet.
//   - `ld len` and `ldx len` load `wirelen`.
//   - div and mod by X == 0 end the program with 0.
//   - lsh/rsh by X >= 32 give 0 (libpcap tests for it); lsh/rsh by a constant
//     k >= 32 shift by k & 31, which is what libpcap's plain C shift does on
//     x86 (Validate refuses such programs, as the kernel does).
// Programs Validate would refuse still run safely: an unknown opcode, a
// scratch index >= 16, a constant divisor 0, or control leaving the program
// (a jump past the end, or no return) ends the program with 0.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "compiler/cbpf/cbpf.h"
#include "compiler/cbpf/insn.h"

namespace bpfcap::cbpf {
namespace {

// Loads `size` bytes big-endian at `offset`; false if past `caplen`.
bool LoadPacket(const uint8_t* pkt, uint32_t caplen, uint64_t offset,
                uint32_t size, uint32_t* out) {
  if (offset + size > caplen) return false;
  uint32_t v = 0;
  for (uint32_t i = 0; i < size; ++i) v = (v << 8) | pkt[offset + i];
  *out = v;
  return true;
}

uint32_t LoadSize(uint16_t code) {
  switch (BPF_SIZE(code)) {
    case BPF_W:
      return 4;
    case BPF_H:
      return 2;
    default:
      return 1;
  }
}

// A op v. False when the program must end with 0 (division by zero).
bool Alu(uint16_t code, uint32_t a, uint32_t v, uint32_t* out) {
  bool by_x = BPF_SRC(code) == BPF_X;
  switch (BPF_OP(code)) {
    case BPF_ADD: *out = a + v; return true;
    case BPF_SUB: *out = a - v; return true;
    case BPF_MUL: *out = a * v; return true;
    case BPF_OR:  *out = a | v; return true;
    case BPF_AND: *out = a & v; return true;
    case BPF_XOR: *out = a ^ v; return true;
    case BPF_NEG: *out = 0u - a; return true;
    case BPF_DIV:
      if (v == 0) return false;
      *out = a / v;
      return true;
    case BPF_MOD:
      if (v == 0) return false;
      *out = a % v;
      return true;
    case BPF_LSH:
      if (by_x && v >= 32) { *out = 0; return true; }
      *out = a << (v & 31);
      return true;
    case BPF_RSH:
      if (by_x && v >= 32) { *out = 0; return true; }
      *out = a >> (v & 31);
      return true;
    default:
      return false;
  }
}

// Runs `prog`, counting executed instructions into *count.
uint32_t Execute(const Program& prog, const uint8_t* pkt, uint32_t wirelen,
                 uint32_t caplen, uint64_t* count) {
  uint32_t a = 0;
  uint32_t x = 0;
  uint32_t mem[kMemWords] = {};
  const size_t n = prog.size();
  size_t pc = 0;
  while (pc < n) {
    const Insn& insn = prog[pc++];
    ++*count;
    switch (insn.code) {
      case BPF_RET | BPF_K:
        return insn.k;
      case BPF_RET | kRetA:
        return a;

      case BPF_LD | BPF_W | BPF_ABS:
      case BPF_LD | BPF_H | BPF_ABS:
      case BPF_LD | BPF_B | BPF_ABS:
        if (!LoadPacket(pkt, caplen, insn.k, LoadSize(insn.code), &a)) return 0;
        break;
      case BPF_LD | BPF_W | BPF_IND:
      case BPF_LD | BPF_H | BPF_IND:
      case BPF_LD | BPF_B | BPF_IND:
        if (!LoadPacket(pkt, caplen, uint64_t{x} + insn.k, LoadSize(insn.code),
                        &a)) {
          return 0;
        }
        break;
      case BPF_LDX | BPF_B | BPF_MSH: {
        uint32_t byte = 0;
        if (!LoadPacket(pkt, caplen, insn.k, 1, &byte)) return 0;
        x = (byte & 0xf) << 2;
        break;
      }
      case BPF_LD | BPF_W | BPF_LEN:
        a = wirelen;
        break;
      case BPF_LDX | BPF_W | BPF_LEN:
        x = wirelen;
        break;
      case BPF_LD | BPF_W | BPF_IMM:
        a = insn.k;
        break;
      case BPF_LDX | BPF_W | BPF_IMM:
        x = insn.k;
        break;
      case BPF_LD | BPF_MEM:
        if (insn.k >= kMemWords) return 0;
        a = mem[insn.k];
        break;
      case BPF_LDX | BPF_MEM:
        if (insn.k >= kMemWords) return 0;
        x = mem[insn.k];
        break;
      case BPF_ST:
        if (insn.k >= kMemWords) return 0;
        mem[insn.k] = a;
        break;
      case BPF_STX:
        if (insn.k >= kMemWords) return 0;
        mem[insn.k] = x;
        break;

      case BPF_ALU | BPF_K | BPF_ADD: case BPF_ALU | BPF_X | BPF_ADD:
      case BPF_ALU | BPF_K | BPF_SUB: case BPF_ALU | BPF_X | BPF_SUB:
      case BPF_ALU | BPF_K | BPF_MUL: case BPF_ALU | BPF_X | BPF_MUL:
      case BPF_ALU | BPF_K | BPF_DIV: case BPF_ALU | BPF_X | BPF_DIV:
      case BPF_ALU | BPF_K | BPF_MOD: case BPF_ALU | BPF_X | BPF_MOD:
      case BPF_ALU | BPF_K | BPF_OR:  case BPF_ALU | BPF_X | BPF_OR:
      case BPF_ALU | BPF_K | BPF_AND: case BPF_ALU | BPF_X | BPF_AND:
      case BPF_ALU | BPF_K | BPF_XOR: case BPF_ALU | BPF_X | BPF_XOR:
      case BPF_ALU | BPF_K | BPF_LSH: case BPF_ALU | BPF_X | BPF_LSH:
      case BPF_ALU | BPF_K | BPF_RSH: case BPF_ALU | BPF_X | BPF_RSH:
      case BPF_ALU | BPF_NEG: {
        uint32_t v = BPF_SRC(insn.code) == BPF_X ? x : insn.k;
        if (!Alu(insn.code, a, v, &a)) return 0;
        break;
      }

      case BPF_MISC | kMiscTax:
        x = a;
        break;
      case BPF_MISC | kMiscTxa:
        a = x;
        break;

      case BPF_JMP | BPF_JA:
        pc += insn.k;  // past the end: the loop ends and the program rejects
        break;
      case BPF_JMP | BPF_K | BPF_JEQ: case BPF_JMP | BPF_X | BPF_JEQ:
      case BPF_JMP | BPF_K | BPF_JGT: case BPF_JMP | BPF_X | BPF_JGT:
      case BPF_JMP | BPF_K | BPF_JGE: case BPF_JMP | BPF_X | BPF_JGE:
      case BPF_JMP | BPF_K | BPF_JSET: case BPF_JMP | BPF_X | BPF_JSET: {
        uint32_t v = BPF_SRC(insn.code) == BPF_X ? x : insn.k;
        bool taken = false;
        switch (BPF_OP(insn.code)) {
          case BPF_JEQ: taken = a == v; break;
          case BPF_JGT: taken = a > v; break;
          case BPF_JGE: taken = a >= v; break;
          default: taken = (a & v) != 0; break;  // BPF_JSET
        }
        pc += taken ? insn.jt : insn.jf;
        break;
      }

      default:
        return 0;  // not in the opcode table
    }
  }
  return 0;
}

}  // namespace

uint32_t Run(const Program& prog, const uint8_t* pkt, uint32_t wirelen,
             uint32_t caplen, uint64_t* executed) {
  uint64_t count = 0;
  uint32_t result = Execute(prog, pkt, wirelen, caplen, &count);
  if (executed != nullptr) *executed = count;
  return result;
}

uint64_t LongestPath(const Program& prog) {
  // Jumps only go forward, so one backward sweep sees every successor first.
  // longest[i]: most instructions executed starting at i. A successor outside
  // the program ends the path there.
  const size_t n = prog.size();
  std::vector<uint64_t> longest(n + 1, 0);
  auto at = [&](uint64_t target) { return target < n ? longest[target] : 0; };
  for (size_t i = n; i-- > 0;) {
    const Insn& insn = prog[i];
    uint64_t rest = 0;
    if (BPF_CLASS(insn.code) == BPF_RET) {
      rest = 0;
    } else if (insn.code == (BPF_JMP | BPF_JA)) {
      rest = at(i + 1 + uint64_t{insn.k});
    } else if (BPF_CLASS(insn.code) == BPF_JMP) {
      rest = std::max(at(i + 1 + insn.jt), at(i + 1 + insn.jf));
    } else {
      rest = at(i + 1);
    }
    longest[i] = 1 + rest;
  }
  return n == 0 ? 0 : longest[0];
}

}  // namespace bpfcap::cbpf
