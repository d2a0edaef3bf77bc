// libpcap's bpf_validate rules, for libbpfcap_pcap's bpf_validate: it must
// accept exactly the programs libpcap 1.10.3 accepts, no more and no less
// (tests/compiler/cbpf/validate_test.cc runs both on every opcode and on
// generated and mutated programs).
//
// libpcap checks much less than the kernel (Validate, validate.cc): it
// decodes only the class, the mode of loads and the op of ALU and jump
// instructions, ignoring the size and source bits and the opcode's high
// byte, so it accepts codes no interpreter implements (its bpf_filter then
// rejects there, as cbpf::Run does); it has no scratch-initialisation rule,
// no shift limit, no ancillary range and no instruction limit. What it does
// check, per class:
//   ld, ldx    mode imm, abs, ind, msh or len; mode mem with k < 16
//   st, stx    k < 16
//   alu        op add sub mul or and xor lsh rsh neg; div and mod unless
//              the source is k and k == 0
//   jmp        ja with i + 1 + k inside the program, computed in 32 bits
//              (an offset that wraps past 2^32 lands back inside and
//              passes); jeq jgt jge jset with both targets inside
//   ret, misc  anything
// and the last instruction must be of class ret; at least one instruction.
#include <cstddef>
#include <cstdint>

#include "compiler/cbpf/cbpf.h"
#include "compiler/cbpf/insn.h"

namespace bpfcap::cbpf {
namespace {

// What libpcap requires of k (or the jump fields) for an accepted shape.
enum class Need : uint8_t {
  kRefuse,     // no such load mode, ALU op or jump op
  kNothing,    // any k
  kScratch,    // k < BPF_MEMWORDS
  kNonZeroK,   // div/mod: k != 0 when the source is k
  kJaTarget,   // i + 1 + k < len (32-bit arithmetic)
  kBranches,   // i + 1 + jt < len and i + 1 + jf < len
};

// Indexed by BPF_MODE >> 5: imm abs ind mem len msh, then three unused.
constexpr Need kLoadModes[8] = {Need::kNothing, Need::kNothing, Need::kNothing,
                                Need::kScratch, Need::kNothing, Need::kNothing,
                                Need::kRefuse,  Need::kRefuse};
// Indexed by BPF_OP >> 4: add sub mul div or and lsh rsh neg mod xor, rest.
constexpr Need kAluOps[16] = {
    Need::kNothing, Need::kNothing, Need::kNothing, Need::kNonZeroK,
    Need::kNothing, Need::kNothing, Need::kNothing, Need::kNothing,
    Need::kNothing, Need::kNonZeroK, Need::kNothing, Need::kRefuse,
    Need::kRefuse,  Need::kRefuse,  Need::kRefuse,  Need::kRefuse};
// Indexed by BPF_OP >> 4: ja jeq jgt jge jset, rest.
constexpr Need kJumpOps[16] = {Need::kJaTarget, Need::kBranches, Need::kBranches,
                               Need::kBranches, Need::kBranches, Need::kRefuse,
                               Need::kRefuse,   Need::kRefuse,   Need::kRefuse,
                               Need::kRefuse,   Need::kRefuse,   Need::kRefuse,
                               Need::kRefuse,   Need::kRefuse,   Need::kRefuse,
                               Need::kRefuse};

Need NeedOf(uint16_t code) {
  switch (BPF_CLASS(code)) {
    case BPF_LD:
    case BPF_LDX: return kLoadModes[BPF_MODE(code) >> 5];
    case BPF_ST:
    case BPF_STX: return Need::kScratch;
    case BPF_ALU: return kAluOps[BPF_OP(code) >> 4];
    case BPF_JMP: return kJumpOps[BPF_OP(code) >> 4];
    default: return Need::kNothing;  // ret, misc
  }
}

bool Holds(Need need, const Insn& insn, uint32_t i, uint32_t len) {
  const uint32_t from = i + 1;
  switch (need) {
    case Need::kRefuse: return false;
    case Need::kNothing: return true;
    case Need::kScratch: return insn.k < kMemWords;
    case Need::kNonZeroK: return BPF_SRC(insn.code) == BPF_X || insn.k != 0;
    case Need::kJaTarget: return from + insn.k < len;  // wraps like libpcap's u_int
    case Need::kBranches: return from + insn.jt < len && from + insn.jf < len;
  }
  return false;
}

}  // namespace

bool ValidateLikeLibpcap(const Insn* prog, int len) {
  if (prog == nullptr || len < 1) return false;
  const uint32_t n = static_cast<uint32_t>(len);
  for (uint32_t i = 0; i < n; ++i) {
    if (!Holds(NeedOf(prog[i].code), prog[i], i, n)) return false;
  }
  return BPF_CLASS(prog[n - 1].code) == BPF_RET;
}

}  // namespace bpfcap::cbpf
