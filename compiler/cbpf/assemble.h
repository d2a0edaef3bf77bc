// Assembler: symbolic cBPF (jumps name labels) → wire Program.
//
// Takes a SymProgram in which every jump names a label, lays it out, and
// resolves labels to the 8-bit forward offsets of classic BPF. A conditional
// jump whose target is more than 255 instructions ahead goes through an
// unconditional `ja` trampoline (32-bit offset) inserted after it, or by a
// copy of the target when that is a `ret`; layout is
// iterated to a fixed size with a hard bound. Jumps are forward only: a label
// must be defined after every jump that names it, or Assemble fails.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "compiler/cbpf/insn.h"

namespace bpfcap::cbpf {

inline constexpr uint32_t kNoLabel = UINT32_MAX;

struct SymInsn {
  uint16_t code = 0;
  uint32_t k = 0;
  // Conditional jumps (BPF_JMP other than BPF_JA): jt/jf are label ids.
  // BPF_JA: jt is the target label id, jf unused. Other classes: unused.
  uint32_t jt = kNoLabel;
  uint32_t jf = kNoLabel;
};

struct SymProgram {
  std::vector<SymInsn> insns;
  // label id → index in `insns` of the instruction the label stands before.
  std::vector<uint32_t> labels;

  uint32_t NewLabel() {
    labels.push_back(UINT32_MAX);
    return static_cast<uint32_t>(labels.size() - 1);
  }
  void Bind(uint32_t label) { labels[label] = static_cast<uint32_t>(insns.size()); }
  void Emit(const SymInsn& i) { insns.push_back(i); }
};

// Returns false and sets *error on a backward or unbound label.
bool Assemble(const SymProgram& sym, Program* out, std::string* error);

}  // namespace bpfcap::cbpf
