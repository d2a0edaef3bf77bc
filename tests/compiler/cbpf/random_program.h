// Random classic BPF programs and packets for the cBPF differential tests
// (interp_test, validate_test, print_test). Everything is driven by one
// seeded std::mt19937, so a failure reproduces from the seed alone. Also the
// bridge to libpcap's struct bpf_insn, which Insn mirrors field for field.
#pragma once

#include <pcap/pcap.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "compiler/cbpf/cbpf.h"
#include "compiler/cbpf/insn.h"

namespace bpfcap::cbpf::test {

inline std::vector<bpf_insn> ToLibpcap(const Program& prog) {
  std::vector<bpf_insn> out;
  out.reserve(prog.size());
  for (const Insn& i : prog) out.push_back(bpf_insn{i.code, i.jt, i.jf, i.k});
  return out;
}

inline std::string Hex(const std::vector<uint8_t>& bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (uint8_t b : bytes) {
    out += kDigits[b >> 4];
    out += kDigits[b & 0xf];
  }
  return out;
}

struct Packet {
  std::vector<uint8_t> bytes;  // bytes.size() >= caplen
  uint32_t caplen = 0;
  uint32_t wirelen = 0;
};

class RandomPrograms {
 public:
  explicit RandomPrograms(uint32_t seed) : rng_(seed) {}

  uint32_t Below(uint32_t n) {  // uniform in [0, n)
    return std::uniform_int_distribution<uint32_t>(0, n - 1)(rng_);
  }
  bool OneIn(uint32_t n) { return Below(n) == 0; }
  uint32_t Bits32() { return static_cast<uint32_t>(rng_()); }

  // Values near the edges of everything the interpreter compares or shifts.
  uint32_t Interesting() {
    static constexpr uint32_t kValues[] = {
        0,          1,          2,          3,         4,     5,      7,
        8,          14,         15,         16,        31,    32,     33,
        63,         64,         255,        256,       0x800, 0xffff, 0x10000,
        0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff};
    if (OneIn(4)) return Bits32();
    return kValues[Below(sizeof kValues / sizeof kValues[0])];
  }

  // A packet offset: mostly inside or just past a small packet, sometimes
  // one that overflows 32 bits once X is added.
  uint32_t Offset() {
    if (OneIn(8)) return 0xffffffff - Below(8);
    if (OneIn(16)) return 0x7fffffff + Below(3);
    return Below(kMaxPacket + 8);
  }

  // One instruction with random bits, valid or not.
  Insn AnyInsn() {
    uint16_t code = OneIn(2) ? static_cast<uint16_t>(Below(0x100))
                             : static_cast<uint16_t>(Bits32());
    if (OneIn(2)) code = Row().code;
    return Insn{code, static_cast<uint8_t>(Below(256)),
                static_cast<uint8_t>(Below(256)), Interesting()};
  }

  // A program of 1..max_len instructions that passes Validate.
  Program Valid(size_t max_len) {
    std::string error;
    for (;;) {
      Program prog = Candidate(1 + Below(static_cast<uint32_t>(max_len)));
      if (Validate(prog, &error)) return prog;
    }
  }

  // A packet of up to kMaxPacket bytes, possibly truncated (caplen < size)
  // and with a wire length that need not match either.
  Packet RandomPacket() {
    Packet p;
    p.bytes.resize(Below(kMaxPacket + 1));
    for (uint8_t& b : p.bytes) {
      uint32_t r = Below(8);
      b = r == 0   ? 0
          : r == 1 ? 0x45
          : r == 2 ? 0xff
                   : static_cast<uint8_t>(Bits32());
    }
    uint32_t size = static_cast<uint32_t>(p.bytes.size());
    p.caplen = OneIn(3) ? Below(size + 1) : size;
    switch (Below(4)) {
      case 0:
        p.wirelen = p.caplen;
        break;
      case 1:
        p.wirelen = p.caplen + Below(1500);
        break;
      case 2:
        p.wirelen = Below(size + 1);
        break;
      default:
        p.wirelen = Interesting();
        break;
    }
    return p;
  }

  static constexpr uint32_t kMaxPacket = 64;

 private:
  const OpcodeInfo& Row() {
    auto rows = AllOpcodes();
    return rows[Below(static_cast<uint32_t>(rows.size()))];
  }

  // A non-return row for position i of n, with k, jt and jf drawn to fit
  // its rule (jumps land inside the program, scratch loads read a slot
  // already stored on the straight-line path, which usually validates).
  Insn Body(size_t i, size_t n, uint16_t* stored) {
    for (;;) {
      const OpcodeInfo& op = Row();
      if (BPF_CLASS(op.code) == BPF_RET && !OneIn(8)) continue;
      Insn insn{op.code, 0, 0, Interesting()};
      uint32_t room = static_cast<uint32_t>(n - 2 - i);  // max jump offset
      switch (op.rule) {
        case KRule::kAny:
          if (op.operand == Operand::kInd || op.operand == Operand::kMsh) {
            insn.k = Offset();
          }
          break;
        case KRule::kNonZero:
          if (insn.k == 0) insn.k = 1 + Below(9);
          break;
        case KRule::kShift:
          insn.k = Below(32);
          break;
        case KRule::kScratchWrite:
          insn.k = Below(kMemWords);
          *stored |= static_cast<uint16_t>(1u << insn.k);
          break;
        case KRule::kScratchRead:
          if (*stored == 0) continue;
          do insn.k = Below(kMemWords);
          while ((*stored >> insn.k & 1) == 0);
          break;
        case KRule::kPacketAbs:
          insn.k = Offset();
          if (insn.k >= 0xfffff000) insn.k = 0xffffefff - Below(4);
          break;
        case KRule::kJumpTarget:
          insn.k = Below(room + 1);
          break;
        case KRule::kBranchTargets: {
          uint32_t max = room < 255 ? room : 255;
          insn.jt = static_cast<uint8_t>(Below(max + 1));
          insn.jf = static_cast<uint8_t>(Below(max + 1));
          if (OneIn(2)) insn.k = Below(16);  // small: loads often match
          break;
        }
      }
      return insn;
    }
  }

  Program Candidate(size_t n) {
    Program prog;
    uint16_t stored = 0;
    for (size_t i = 0; i + 1 < n; ++i) prog.push_back(Body(i, n, &stored));
    prog.push_back(OneIn(2) ? Stmt(BPF_RET | kRetA, 0)
                            : Stmt(BPF_RET | BPF_K, Interesting()));
    return prog;
  }

  std::mt19937 rng_;
};

}  // namespace bpfcap::cbpf::test
