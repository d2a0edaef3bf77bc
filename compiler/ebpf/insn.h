// eBPF instructions as the kernel lays them out, builders per instruction
// family, and the symbolic form the code generator emits.
//
// Insn is the wire struct (the kernel's struct bpf_insn): 8 bytes, opcode,
// two 4-bit register numbers, a signed 16-bit offset and a signed 32-bit
// immediate. It goes to bpf(BPF_PROG_LOAD) unchanged. The register nibbles
// are bit-fields: on a little-endian host the first one (dst) takes the low
// four bits of byte 1, which is the kernel's order there; insn_test.cc pins
// the byte layout. Big-endian hosts would need the nibbles swapped (the
// kernel declares them the other way round there); bpfcap refuses to build
// on them rather than emit wrong programs.
//
// Opcodes are class | size | mode for loads and stores, and
// class | op | source for ALU and jumps (kernel Documentation/bpf/
// standardization/instruction-set.rst). bpfcap emits only:
//   ALU   (32-bit, wrapping like cBPF's A): mov add sub mul div mod and or
//         xor lsh rsh neg, end (to_be: loads are big-endian)
//   ALU64 mov and add, for pointers and 64-bit packet offsets
//   LDX/STX MEM: ctx fields, packet bytes, the stack
//   JMP32 for comparing filter values (32-bit, imm not sign-extended to 64)
//   JMP for pointer and offset bounds, helper calls, ja and exit
// Jumps in the symbolic form name labels; Assemble (codegen.h) turns them
// into offsets once the layout is known, as cilium/ebpf's asm package does.
#pragma once

#include <bit>
#include <cstdint>
#include <type_traits>
#include <vector>

#include <linux/bpf_common.h>

namespace bpfcap::ebpf {

static_assert(std::endian::native == std::endian::little,
              "Insn's register nibbles follow the little-endian kernel layout");

// r0 return value / helper result; r1-r5 helper arguments (clobbered by
// calls); r6-r9 callee-saved; r10 read-only frame pointer.
enum class Reg : uint8_t { kR0, kR1, kR2, kR3, kR4, kR5, kR6, kR7, kR8, kR9, kR10 };

// Classes beyond classic BPF's (BPF_LD, BPF_LDX, BPF_ST, BPF_STX, BPF_ALU,
// BPF_JMP come from bpf_common.h).
inline constexpr uint8_t kClassJmp32 = 0x06;
inline constexpr uint8_t kClassAlu64 = 0x07;
inline constexpr uint8_t kSizeDw = 0x18;  // 64-bit load/store; lddw
inline constexpr uint8_t kEndToBe = 0x08; // BPF_END source bit: to big-endian

enum class Size : uint8_t {
  kB = BPF_B,   // u8
  kH = BPF_H,   // u16
  kW = BPF_W,   // u32
  kDw = kSizeDw,  // u64
};

enum class AluOp : uint8_t {
  kAdd = 0x00,   // dst += src
  kSub = 0x10,   // dst -= src
  kMul = 0x20,   // dst *= src
  kDiv = 0x30,   // dst /= src (unsigned; x / 0 == 0 in eBPF)
  kOr = 0x40,    // dst |= src
  kAnd = 0x50,   // dst &= src
  kLsh = 0x60,   // dst <<= src (count masked to the width)
  kRsh = 0x70,   // dst >>= src (logical)
  kNeg = 0x80,   // dst = -dst
  kMod = 0x90,   // dst %= src (x % 0 == x in eBPF)
  kXor = 0xa0,   // dst ^= src
  kMov = 0xb0,   // dst = src
  kArsh = 0xc0,  // dst s>>= src
  kEnd = 0xd0,   // byte swap: dst = be16/be32/le16... dst
};

enum class JmpOp : uint8_t {
  kJa = 0x00,    // goto
  kJeq = 0x10,   // ==
  kJgt = 0x20,   // > unsigned
  kJge = 0x30,   // >= unsigned
  kJset = 0x40,  // & != 0
  kJne = 0x50,   // !=
  kJsgt = 0x60,  // s>
  kJsge = 0x70,  // s>=
  kCall = 0x80,  // call helper imm
  kExit = 0x90,  // return r0
  kJlt = 0xa0,   // < unsigned
  kJle = 0xb0,   // <= unsigned
  kJslt = 0xc0,  // s<
  kJsle = 0xd0,  // s<=
};

struct Insn {
  uint8_t code;
  uint8_t dst : 4;
  uint8_t src : 4;
  int16_t off;
  int32_t imm;

  // Slots taken: 2 for lddw (the immediate's high half is a second insn).
  int Width() const { return code == (BPF_LD | BPF_IMM | kSizeDw) ? 2 : 1; }
  friend bool operator==(const Insn&, const Insn&) = default;
};
static_assert(sizeof(Insn) == 8);
static_assert(std::is_trivially_copyable_v<Insn>);

using Program = std::vector<Insn>;

inline constexpr uint8_t Class(uint8_t code) { return code & 0x07; }
inline constexpr uint8_t OpOf(uint8_t code) { return code & 0xf0; }
inline constexpr uint8_t SizeOf(uint8_t code) { return code & 0x18; }
inline constexpr uint8_t ModeOf(uint8_t code) { return code & 0xe0; }
inline constexpr bool SrcIsReg(uint8_t code) { return (code & BPF_X) != 0; }

constexpr Insn Raw(uint8_t code, Reg dst, Reg src, int16_t off, int32_t imm) {
  return Insn{code, static_cast<uint8_t>(dst), static_cast<uint8_t>(src), off, imm};
}

// --- ALU ----------------------------------------------------------------------
constexpr Insn Alu32Imm(AluOp op, Reg dst, int32_t imm) {
  return Raw(BPF_ALU | static_cast<uint8_t>(op) | BPF_K, dst, Reg::kR0, 0, imm);
}
constexpr Insn Alu32Reg(AluOp op, Reg dst, Reg src) {
  return Raw(BPF_ALU | static_cast<uint8_t>(op) | BPF_X, dst, src, 0, 0);
}
constexpr Insn Alu64Imm(AluOp op, Reg dst, int32_t imm) {
  return Raw(kClassAlu64 | static_cast<uint8_t>(op) | BPF_K, dst, Reg::kR0, 0, imm);
}
constexpr Insn Alu64Reg(AluOp op, Reg dst, Reg src) {
  return Raw(kClassAlu64 | static_cast<uint8_t>(op) | BPF_X, dst, src, 0, 0);
}
constexpr Insn Mov32Imm(Reg dst, int32_t imm) { return Alu32Imm(AluOp::kMov, dst, imm); }
constexpr Insn Mov32Reg(Reg dst, Reg src) { return Alu32Reg(AluOp::kMov, dst, src); }
constexpr Insn Mov64Imm(Reg dst, int32_t imm) { return Alu64Imm(AluOp::kMov, dst, imm); }
constexpr Insn Mov64Reg(Reg dst, Reg src) { return Alu64Reg(AluOp::kMov, dst, src); }
constexpr Insn Neg32(Reg dst) { return Raw(BPF_ALU | static_cast<uint8_t>(AluOp::kNeg), dst, Reg::kR0, 0, 0); }
// dst = host-to-big-endian of its low `bits` (16 or 32) bits, zero-extended.
constexpr Insn ToBe(Reg dst, int32_t bits) {
  return Raw(BPF_ALU | static_cast<uint8_t>(AluOp::kEnd) | kEndToBe, dst, Reg::kR0, 0, bits);
}

// --- memory -------------------------------------------------------------------
// dst = *(size *)(src + off), zero-extended.
constexpr Insn LoadMem(Size size, Reg dst, Reg src, int16_t off) {
  return Raw(BPF_LDX | static_cast<uint8_t>(size) | BPF_MEM, dst, src, off, 0);
}
// *(size *)(dst + off) = src
constexpr Insn StoreMem(Size size, Reg dst, int16_t off, Reg src) {
  return Raw(BPF_STX | static_cast<uint8_t>(size) | BPF_MEM, dst, src, off, 0);
}

// *(size *)(dst + off) = imm
constexpr Insn StoreImm(Size size, Reg dst, int16_t off, int32_t imm) {
  return Raw(BPF_ST | static_cast<uint8_t>(size) | BPF_MEM, dst, Reg::kR0, off, imm);
}

// lddw's source nibble when its immediate is a map fd (BPF_PSEUDO_MAP_FD):
// the loader turns it into the map's address.
inline constexpr uint8_t kPseudoMapFd = 1;
// dst = the map behind `fd`: an lddw, two slots (emit both).
constexpr Insn LoadMapFd(Reg dst, int32_t fd) {
  return Raw(BPF_LD | BPF_IMM | kSizeDw, dst, static_cast<Reg>(kPseudoMapFd), 0, fd);
}
constexpr Insn LoadImm64High() { return Raw(0, Reg::kR0, Reg::kR0, 0, 0); }

// --- calls and exit -----------------------------------------------------------
constexpr Insn Call(int32_t helper) {
  return Raw(BPF_JMP | static_cast<uint8_t>(JmpOp::kCall), Reg::kR0, Reg::kR0, 0, helper);
}
constexpr Insn Exit() { return Raw(BPF_JMP | static_cast<uint8_t>(JmpOp::kExit), Reg::kR0, Reg::kR0, 0, 0); }

// --- the symbolic form ----------------------------------------------------------
using Label = uint32_t;
inline constexpr Label kNoLabel = UINT32_MAX;

// An instruction whose jump offset is still a label. Non-jumps have
// target == kNoLabel and are final as they are.
struct SymInsn {
  Insn insn;
  Label target = kNoLabel;

  SymInsn(const Insn& i) : insn(i) {}  // NOLINT: every Insn is a SymInsn
  SymInsn(const Insn& i, Label l) : insn(i), target(l) {}
};

// if (dst op imm) goto target; JMP compares 64 bits (imm sign-extended),
// JMP32 the low 32 bits.
inline SymInsn JmpImm(JmpOp op, Reg dst, int32_t imm, Label target) {
  return {Raw(BPF_JMP | static_cast<uint8_t>(op) | BPF_K, dst, Reg::kR0, 0, imm), target};
}
inline SymInsn JmpReg(JmpOp op, Reg dst, Reg src, Label target) {
  return {Raw(BPF_JMP | static_cast<uint8_t>(op) | BPF_X, dst, src, 0, 0), target};
}
inline SymInsn Jmp32Imm(JmpOp op, Reg dst, int32_t imm, Label target) {
  return {Raw(kClassJmp32 | static_cast<uint8_t>(op) | BPF_K, dst, Reg::kR0, 0, imm), target};
}
inline SymInsn Jmp32Reg(JmpOp op, Reg dst, Reg src, Label target) {
  return {Raw(kClassJmp32 | static_cast<uint8_t>(op) | BPF_X, dst, src, 0, 0), target};
}
inline SymInsn Ja(Label target) { return JmpImm(JmpOp::kJa, Reg::kR0, 0, target); }

struct SymProgram {
  std::vector<SymInsn> insns;
  std::vector<uint32_t> labels;  // label → index of the insn it stands before

  Label NewLabel() {
    labels.push_back(UINT32_MAX);
    return static_cast<Label>(labels.size() - 1);
  }
  void Bind(Label l) { labels[l] = static_cast<uint32_t>(insns.size()); }
  void Emit(const SymInsn& i) { insns.push_back(i); }
};

}  // namespace bpfcap::ebpf
