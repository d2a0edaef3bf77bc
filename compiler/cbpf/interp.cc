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
#include <cstring>
#include <vector>

#include "compiler/cbpf/cbpf.h"
#include "compiler/cbpf/insn.h"

namespace bpfcap::cbpf {
namespace {

// Registers and scratch memory; all start at 0.
struct Machine {
  uint32_t a = 0;
  uint32_t x = 0;
  uint32_t mem[kMemWords] = {};
};

struct PacketView {
  const uint8_t* data;
  uint32_t caplen;
  uint32_t wirelen;
};

// Loads `size` bytes big-endian at `offset`; false if past caplen.
bool LoadPacket(const PacketView& p, uint64_t offset, uint32_t size,
                uint32_t* out) {
  if (offset + size > p.caplen) return false;
  uint32_t v = 0;
  for (uint32_t i = 0; i < size; ++i) v = (v << 8) | p.data[offset + i];
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

// ld, ldx, st, stx. False when the program must end with 0.
bool Move(const Insn& insn, const PacketView& p, Machine& m) {
  const uint16_t cls = BPF_CLASS(insn.code);
  if (cls == BPF_ST || cls == BPF_STX) {
    if (insn.k >= kMemWords) return false;
    m.mem[insn.k] = cls == BPF_ST ? m.a : m.x;
    return true;
  }
  uint32_t& dst = cls == BPF_LD ? m.a : m.x;
  switch (BPF_MODE(insn.code)) {
    case BPF_IMM:
      dst = insn.k;
      return true;
    case BPF_LEN:
      dst = p.wirelen;
      return true;
    case BPF_MEM:
      if (insn.k >= kMemWords) return false;
      dst = m.mem[insn.k];
      return true;
    case BPF_ABS:
      return LoadPacket(p, insn.k, LoadSize(insn.code), &dst);
    case BPF_IND:  // X + k computed in 64 bits: never wraps into the packet
      return LoadPacket(p, uint64_t{m.x} + insn.k, LoadSize(insn.code), &dst);
    case BPF_MSH: {
      uint32_t byte = 0;
      if (!LoadPacket(p, insn.k, 1, &byte)) return false;
      dst = (byte & 0xf) << 2;
      return true;
    }
    default:
      return false;
  }
}

// A op v. False when the program must end with 0 (division by zero).
bool Alu(uint16_t code, uint32_t a, uint32_t v, uint32_t* out) {
  const bool by_x = BPF_SRC(code) == BPF_X;
  // clang-format off
  switch (BPF_OP(code)) {
    case BPF_ADD: *out = a + v; return true;
    case BPF_SUB: *out = a - v; return true;
    case BPF_MUL: *out = a * v; return true;
    case BPF_OR:  *out = a | v; return true;
    case BPF_AND: *out = a & v; return true;
    case BPF_XOR: *out = a ^ v; return true;
    case BPF_NEG: *out = 0u - a; return true;
    // clang-format on
    case BPF_DIV:
      if (v == 0) return false;
      *out = a / v;
      return true;
    case BPF_MOD:
      if (v == 0) return false;
      *out = a % v;
      return true;
    case BPF_LSH:
      *out = by_x && v >= 32 ? 0 : a << (v & 31);
      return true;
    case BPF_RSH:
      *out = by_x && v >= 32 ? 0 : a >> (v & 31);
      return true;
    default:
      return false;
  }
}

// How far past the next instruction a jump goes.
uint64_t JumpOffset(const Insn& insn, const Machine& m) {
  if (BPF_OP(insn.code) == BPF_JA) return insn.k;
  const uint32_t v = BPF_SRC(insn.code) == BPF_X ? m.x : insn.k;
  bool taken = false;
  switch (BPF_OP(insn.code)) {
    case BPF_JEQ:
      taken = m.a == v;
      break;
    case BPF_JGT:
      taken = m.a > v;
      break;
    case BPF_JGE:
      taken = m.a >= v;
      break;
    default:
      taken = (m.a & v) != 0;
      break;  // BPF_JSET
  }
  return taken ? insn.jt : insn.jf;
}

// How a run may go backwards (RunWithBackwardJumps); the default is
// forward only, without a bound.
struct Loops {
  bool allowed = false;
  uint64_t max_steps = UINT64_MAX;
  uint32_t max_backward_jumps = UINT32_MAX;
  uint32_t backward_jumps = 0;
  bool stopped = false;
};

// Runs `prog`, counting executed instructions into *count. The opcode table
// gates every instruction, so the decoding below by class, mode and op only
// ever sees the kernel's opcodes.
uint32_t Execute(const Insn* prog, size_t n, const PacketView& p, uint64_t* count,
                 Loops* loops) {
  Machine m;
  size_t pc = 0;
  while (pc < n) {  // a jump past the end leaves the loop: reject
    if (*count >= loops->max_steps) {
      loops->stopped = true;
      return 0;
    }
    const Insn& insn = prog[pc++];
    ++*count;
    if (FindOpcode(insn.code) == nullptr) return 0;
    switch (BPF_CLASS(insn.code)) {
      case BPF_RET:
        return insn.code == (BPF_RET | kRetA) ? m.a : insn.k;
      case BPF_LD:
      case BPF_LDX:
      case BPF_ST:
      case BPF_STX:
        if (!Move(insn, p, m)) return 0;
        break;
      case BPF_ALU:
        if (!Alu(insn.code, m.a, BPF_SRC(insn.code) == BPF_X ? m.x : insn.k,
                 &m.a)) {
          return 0;
        }
        break;
      case BPF_MISC:
        if (insn.code == (BPF_MISC | kMiscTax)) {
          m.x = m.a;
        } else {
          m.a = m.x;
        }
        break;
      case BPF_JMP:
        if (loops->allowed && insn.code == (BPF_JMP | BPF_JA) && int32_t(insn.k) < 0) {
          const uint64_t back = uint64_t{0} - uint64_t(int64_t(int32_t(insn.k)));
          if (back > pc) return 0;  // before the start
          if (loops->backward_jumps == loops->max_backward_jumps) {
            loops->stopped = true;
            return 0;
          }
          pc -= back;
          ++loops->backward_jumps;
          break;
        }
        pc += JumpOffset(insn, m);
        break;
    }
  }
  return 0;
}

// The interpreter for plain runs (no count, no backward jumps): one switch
// on the whole opcode, as the kernel's and libpcap's interpreters do, with
// word-wide big-endian loads. It has Execute's semantics exactly (the
// opcodes are the opcode table's; interp_test.cc runs both on random
// programs); Execute stays the reference and does the counting.
inline uint32_t Be32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof(v));
  return __builtin_bswap32(v);
}
inline uint32_t Be16(const uint8_t* p) {
  uint16_t v;
  std::memcpy(&v, p, sizeof(v));
  return __builtin_bswap16(v);
}

uint32_t ExecuteFast(const Insn* prog, size_t n, const PacketView& p) {
  const uint8_t* const data = p.data;
  const uint64_t caplen = p.caplen;
  uint32_t a = 0, x = 0;
  uint32_t mem[kMemWords] = {};
  size_t pc = 0;
  while (pc < n) {  // a jump past the end leaves the loop: reject
    const Insn& i = prog[pc++];
    const uint32_t k = i.k;
    switch (i.code) {
      case BPF_RET | BPF_K: return k;
      case BPF_RET | kRetA: return a;
      case BPF_LD | BPF_W | BPF_ABS:
        if (uint64_t{k} + 4 > caplen) return 0;
        a = Be32(data + k);
        break;
      case BPF_LD | BPF_H | BPF_ABS:
        if (uint64_t{k} + 2 > caplen) return 0;
        a = Be16(data + k);
        break;
      case BPF_LD | BPF_B | BPF_ABS:
        if (uint64_t{k} + 1 > caplen) return 0;
        a = data[k];
        break;
      case BPF_LD | BPF_W | BPF_IND: {
        const uint64_t off = uint64_t{x} + k;
        if (off + 4 > caplen) return 0;
        a = Be32(data + off);
        break;
      }
      case BPF_LD | BPF_H | BPF_IND: {
        const uint64_t off = uint64_t{x} + k;
        if (off + 2 > caplen) return 0;
        a = Be16(data + off);
        break;
      }
      case BPF_LD | BPF_B | BPF_IND: {
        const uint64_t off = uint64_t{x} + k;
        if (off + 1 > caplen) return 0;
        a = data[off];
        break;
      }
      case BPF_LDX | BPF_B | BPF_MSH:
        if (uint64_t{k} + 1 > caplen) return 0;
        x = uint32_t{data[k] & 0xfu} << 2;
        break;
      case BPF_LD | BPF_W | BPF_IMM: a = k; break;
      case BPF_LDX | BPF_W | BPF_IMM: x = k; break;
      case BPF_LD | BPF_W | BPF_LEN: a = p.wirelen; break;
      case BPF_LDX | BPF_W | BPF_LEN: x = p.wirelen; break;
      case BPF_LD | BPF_MEM:
        if (k >= kMemWords) return 0;
        a = mem[k];
        break;
      case BPF_LDX | BPF_MEM:
        if (k >= kMemWords) return 0;
        x = mem[k];
        break;
      case BPF_ST:
        if (k >= kMemWords) return 0;
        mem[k] = a;
        break;
      case BPF_STX:
        if (k >= kMemWords) return 0;
        mem[k] = x;
        break;
      case BPF_MISC | kMiscTax: x = a; break;
      case BPF_MISC | kMiscTxa: a = x; break;
      case kAluK | BPF_ADD: a += k; break;
      case kAluX | BPF_ADD: a += x; break;
      case kAluK | BPF_SUB: a -= k; break;
      case kAluX | BPF_SUB: a -= x; break;
      case kAluK | BPF_MUL: a *= k; break;
      case kAluX | BPF_MUL: a *= x; break;
      case kAluK | BPF_OR: a |= k; break;
      case kAluX | BPF_OR: a |= x; break;
      case kAluK | BPF_AND: a &= k; break;
      case kAluX | BPF_AND: a &= x; break;
      case kAluK | BPF_XOR: a ^= k; break;
      case kAluX | BPF_XOR: a ^= x; break;
      case kAluK | BPF_DIV:
        if (k == 0) return 0;
        a /= k;
        break;
      case kAluX | BPF_DIV:
        if (x == 0) return 0;
        a /= x;
        break;
      case kAluK | BPF_MOD:
        if (k == 0) return 0;
        a %= k;
        break;
      case kAluX | BPF_MOD:
        if (x == 0) return 0;
        a %= x;
        break;
      case kAluK | BPF_LSH: a <<= (k & 31); break;
      case kAluX | BPF_LSH: a = x >= 32 ? 0 : a << x; break;
      case kAluK | BPF_RSH: a >>= (k & 31); break;
      case kAluX | BPF_RSH: a = x >= 32 ? 0 : a >> x; break;
      case BPF_ALU | BPF_NEG: a = 0u - a; break;
      case BPF_JMP | BPF_JA: pc += k; break;
      case kJmpK | BPF_JEQ: pc += a == k ? i.jt : i.jf; break;
      case kJmpX | BPF_JEQ: pc += a == x ? i.jt : i.jf; break;
      case kJmpK | BPF_JGT: pc += a > k ? i.jt : i.jf; break;
      case kJmpX | BPF_JGT: pc += a > x ? i.jt : i.jf; break;
      case kJmpK | BPF_JGE: pc += a >= k ? i.jt : i.jf; break;
      case kJmpX | BPF_JGE: pc += a >= x ? i.jt : i.jf; break;
      case kJmpK | BPF_JSET: pc += (a & k) != 0 ? i.jt : i.jf; break;
      case kJmpX | BPF_JSET: pc += (a & x) != 0 ? i.jt : i.jf; break;
      default: return 0;  // not an opcode
    }
  }
  return 0;
}

}  // namespace

uint32_t Run(std::span<const Insn> prog, const uint8_t* pkt, uint32_t wirelen,
             uint32_t caplen, uint64_t* executed) {
  const PacketView view{pkt, caplen, wirelen};
  if (executed == nullptr) return ExecuteFast(prog.data(), prog.size(), view);
  uint64_t count = 0;
  Loops forward_only;
  const uint32_t result = Execute(prog.data(), prog.size(), view, &count, &forward_only);
  *executed = count;
  return result;
}

LoopingRun RunWithBackwardJumps(const Program& prog, const uint8_t* pkt, uint32_t wirelen,
                                uint32_t caplen, uint64_t max_steps,
                                uint32_t max_backward_jumps) {
  LoopingRun r;
  Loops loops;
  loops.allowed = true;
  loops.max_steps = max_steps;
  loops.max_backward_jumps = max_backward_jumps;
  r.result = Execute(prog.data(), prog.size(), PacketView{pkt, caplen, wirelen}, &r.executed, &loops);
  r.backward_jumps = loops.backward_jumps;
  r.stopped = loops.stopped;
  return r;
}

uint32_t RunUnbounded(const Insn* prog, const uint8_t* pkt, uint32_t wirelen,
                      uint32_t caplen) {
  return ExecuteFast(prog, kMaxUnboundedExtent, PacketView{pkt, caplen, wirelen});
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
