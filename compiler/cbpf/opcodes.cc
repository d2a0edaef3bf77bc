// The classic BPF opcode table: one row per opcode the kernel's classic
// checker accepts, with the name and operand notation libpcap's bpf_image
// uses and the rule the validator applies to k. FindOpcode is a constant-time
// lookup through an index built at compile time.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "compiler/cbpf/insn.h"

namespace bpfcap::cbpf {
namespace {

using O = Operand;
using R = KRule;

// Sorted by code (asserted below).
// clang-format off
constexpr OpcodeInfo kOpcodes[] = {
    // code                           mnemonic operand      rule
    {BPF_LD | BPF_W | BPF_IMM,        "ld",    O::kImmHex,  R::kAny},
    {BPF_LDX | BPF_W | BPF_IMM,       "ldx",   O::kImmHex,  R::kAny},
    {BPF_ST,                          "st",    O::kMem,     R::kScratchWrite},
    {BPF_STX,                         "stx",   O::kMem,     R::kScratchWrite},
    {kAluK | BPF_ADD,                 "add",   O::kImmDec,  R::kAny},
    {BPF_JMP | BPF_JA,                "ja",    O::kJa,      R::kJumpTarget},
    {BPF_RET | BPF_K,                 "ret",   O::kImmDec,  R::kAny},
    {BPF_MISC | kMiscTax,             "tax",   O::kNone,    R::kAny},
    {kAluX | BPF_ADD,                 "add",   O::kX,       R::kAny},
    {kAluK | BPF_SUB,                 "sub",   O::kImmDec,  R::kAny},
    {kJmpK | BPF_JEQ,                 "jeq",   O::kCondK,   R::kBranchTargets},
    {BPF_RET | kRetA,                 "ret",   O::kNone,    R::kAny},
    {kAluX | BPF_SUB,                 "sub",   O::kX,       R::kAny},
    {kJmpX | BPF_JEQ,                 "jeq",   O::kCondX,   R::kBranchTargets},
    {BPF_LD | BPF_W | BPF_ABS,        "ld",    O::kAbs,     R::kPacketAbs},
    {kAluK | BPF_MUL,                 "mul",   O::kImmDec,  R::kAny},
    {kJmpK | BPF_JGT,                 "jgt",   O::kCondK,   R::kBranchTargets},
    {BPF_LD | BPF_H | BPF_ABS,        "ldh",   O::kAbs,     R::kPacketAbs},
    {kAluX | BPF_MUL,                 "mul",   O::kX,       R::kAny},
    {kJmpX | BPF_JGT,                 "jgt",   O::kCondX,   R::kBranchTargets},
    {BPF_LD | BPF_B | BPF_ABS,        "ldb",   O::kAbs,     R::kPacketAbs},
    {kAluK | BPF_DIV,                 "div",   O::kImmDec,  R::kNonZero},
    {kJmpK | BPF_JGE,                 "jge",   O::kCondK,   R::kBranchTargets},
    {kAluX | BPF_DIV,                 "div",   O::kX,       R::kAny},
    {kJmpX | BPF_JGE,                 "jge",   O::kCondX,   R::kBranchTargets},
    {BPF_LD | BPF_W | BPF_IND,        "ld",    O::kInd,     R::kAny},
    {kAluK | BPF_OR,                  "or",    O::kImmHex,  R::kAny},
    {kJmpK | BPF_JSET,                "jset",  O::kCondK,   R::kBranchTargets},
    {BPF_LD | BPF_H | BPF_IND,        "ldh",   O::kInd,     R::kAny},
    {kAluX | BPF_OR,                  "or",    O::kX,       R::kAny},
    {kJmpX | BPF_JSET,                "jset",  O::kCondX,   R::kBranchTargets},
    {BPF_LD | BPF_B | BPF_IND,        "ldb",   O::kInd,     R::kAny},
    {kAluK | BPF_AND,                 "and",   O::kImmHex,  R::kAny},
    {kAluX | BPF_AND,                 "and",   O::kX,       R::kAny},
    {BPF_LD | BPF_MEM,                "ld",    O::kMem,     R::kScratchRead},
    {BPF_LDX | BPF_MEM,               "ldx",   O::kMem,     R::kScratchRead},
    {kAluK | BPF_LSH,                 "lsh",   O::kImmDec,  R::kShift},
    {kAluX | BPF_LSH,                 "lsh",   O::kX,       R::kAny},
    {kAluK | BPF_RSH,                 "rsh",   O::kImmDec,  R::kShift},
    {kAluX | BPF_RSH,                 "rsh",   O::kX,       R::kAny},
    {BPF_LD | BPF_W | BPF_LEN,        "ld",    O::kPktLen,  R::kAny},
    {BPF_LDX | BPF_W | BPF_LEN,       "ldx",   O::kUnimp,   R::kAny},
    {BPF_ALU | BPF_NEG,               "neg",   O::kNone,    R::kAny},
    {BPF_MISC | kMiscTxa,             "txa",   O::kNone,    R::kAny},
    {kAluK | BPF_MOD,                 "mod",   O::kImmDec,  R::kNonZero},
    {kAluX | BPF_MOD,                 "mod",   O::kX,       R::kAny},
    {kAluK | BPF_XOR,                 "xor",   O::kImmHex,  R::kAny},
    {kAluX | BPF_XOR,                 "xor",   O::kX,       R::kAny},
    {BPF_LDX | BPF_B | BPF_MSH,       "ldxb",  O::kMsh,     R::kAny},
};
// clang-format on

constexpr size_t kNumOpcodes = sizeof(kOpcodes) / sizeof(kOpcodes[0]);
// Every classic opcode fits in the low byte; the index relies on it.
constexpr size_t kIndexSize = 256;
constexpr uint8_t kNotFound = 0xff;
static_assert(kNumOpcodes < kNotFound);

constexpr bool SortedAndSmall() {
  for (size_t i = 0; i < kNumOpcodes; ++i) {
    if (kOpcodes[i].code >= kIndexSize) return false;
    if (i > 0 && kOpcodes[i - 1].code >= kOpcodes[i].code) return false;
  }
  return true;
}
static_assert(SortedAndSmall(), "kOpcodes must be sorted, unique, < 0x100");

constexpr std::array<uint8_t, kIndexSize> BuildIndex() {
  std::array<uint8_t, kIndexSize> index{};
  index.fill(kNotFound);
  for (size_t i = 0; i < kNumOpcodes; ++i) {
    index[kOpcodes[i].code] = static_cast<uint8_t>(i);
  }
  return index;
}
constexpr std::array<uint8_t, kIndexSize> kIndex = BuildIndex();

}  // namespace

const OpcodeInfo* FindOpcode(uint16_t code) {
  if (code >= kIndexSize || kIndex[code] == kNotFound) return nullptr;
  return &kOpcodes[kIndex[code]];
}

std::span<const OpcodeInfo> AllOpcodes() { return kOpcodes; }

}  // namespace bpfcap::cbpf
