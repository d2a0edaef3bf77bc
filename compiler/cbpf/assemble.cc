// The cBPF assembler: resolves label ids to forward jump offsets.
//
// Conditional jumps have 8-bit offsets. A branch whose target lies more than
// 255 instructions ahead goes through a trampoline, an unconditional `ja`
// (32-bit offset) placed right after the jump:
//
//   before:  jeq #k, L1, L2          (L1 > 255 ahead)
//   after:   jeq #k jt 0 jf d2+1     (d2: distance to L2 without trampoline)
//            ja  L1
//
// When both branches are far, two trampolines follow (jt first); when both
// name the same far label, they share one. A trampoline to a return is the
// return itself, copied: `ret` costs one instruction like `ja` but ends the
// path there, so the packet runs one instruction fewer and the program is no
// longer.
//
//   before:  jeq #k, L1, L2          L1: ret #262144, more than 255 ahead
//   after:   jeq #k jt 0 jf d2+1
//            ret #262144 Adding trampolines only ever moves
// targets further away, so the set of trampolines grows monotonically and
// the layout loop reaches a fixed point after at most one pass per branch.
#include "compiler/cbpf/assemble.h"

#include <cstdint>
#include <string>
#include <vector>

#include "compiler/cbpf/insn.h"

namespace bpfcap::cbpf {
namespace {

constexpr uint32_t kMaxOffset = 255;

bool IsJump(uint16_t code) { return BPF_CLASS(code) == BPF_JMP; }
bool IsJa(uint16_t code) { return IsJump(code) && BPF_OP(code) == BPF_JA; }
bool IsConditional(uint16_t code) { return IsJump(code) && !IsJa(code); }

std::string Describe(size_t i, uint16_t code) {
  const OpcodeInfo* op = FindOpcode(code);
  return "instruction " + std::to_string(i) + " (" +
         (op != nullptr ? std::string(op->mnemonic) : "jump") + "): ";
}

// A symbolic instruction with its jump targets resolved to instruction
// indices and the trampolines the layout currently gives it.
struct Resolved {
  uint32_t target_t = 0;  // ja and conditional jumps
  uint32_t target_f = 0;  // conditional jumps
  bool far_t = false;     // jt goes through a trampoline
  bool far_f = false;     // jf goes through a trampoline

  bool Shared() const { return target_t == target_f; }
  uint32_t Trampolines() const {
    if (Shared()) return (far_t || far_f) ? 1 : 0;
    return (far_t ? 1 : 0) + (far_f ? 1 : 0);
  }
};

// Resolves label id `label`, named by instruction i, to an index.
bool ResolveLabel(const SymProgram& sym, size_t i, uint32_t label,
                  uint32_t* target, std::string* error) {
  const std::string where = Describe(i, sym.insns[i].code);
  if (label >= sym.labels.size()) {
    *error = where + "label " + std::to_string(label) + " does not exist";
    return false;
  }
  uint32_t index = sym.labels[label];
  if (index == UINT32_MAX) {
    *error = where + "label " + std::to_string(label) + " is never bound";
    return false;
  }
  if (index <= i) {
    *error = where + "label " + std::to_string(label) +
             " is not ahead of the jump (bound at instruction " +
             std::to_string(index) + ")";
    return false;
  }
  if (index >= sym.insns.size()) {
    *error = where + "label " + std::to_string(label) +
             " is bound after the last instruction";
    return false;
  }
  *target = index;
  return true;
}

bool ResolveAll(const SymProgram& sym, std::vector<Resolved>* resolved,
                std::string* error) {
  resolved->assign(sym.insns.size(), Resolved{});
  for (size_t i = 0; i < sym.insns.size(); ++i) {
    const SymInsn& insn = sym.insns[i];
    Resolved& r = (*resolved)[i];
    if (!IsJump(insn.code)) continue;
    if (!ResolveLabel(sym, i, insn.jt, &r.target_t, error)) return false;
    if (IsJa(insn.code)) {
      r.target_f = r.target_t;
    } else if (!ResolveLabel(sym, i, insn.jf, &r.target_f, error)) {
      return false;
    }
  }
  return true;
}

// Output position of every symbolic instruction, plus one past the end.
std::vector<uint32_t> Positions(const std::vector<Resolved>& resolved) {
  std::vector<uint32_t> pos(resolved.size() + 1);
  uint32_t p = 0;
  for (size_t i = 0; i < resolved.size(); ++i) {
    pos[i] = p;
    p += 1 + resolved[i].Trampolines();
  }
  pos[resolved.size()] = p;
  return pos;
}

// One layout pass: marks branches that no longer fit in 8 bits as far.
// Returns whether anything changed.
bool MarkFarBranches(const SymProgram& sym, std::vector<Resolved>* resolved) {
  std::vector<uint32_t> pos = Positions(*resolved);
  bool changed = false;
  for (size_t i = 0; i < resolved->size(); ++i) {
    if (!IsConditional(sym.insns[i].code)) continue;
    Resolved& r = (*resolved)[i];
    auto too_far = [&](uint32_t target) {
      return pos[target] - pos[i] - 1 > kMaxOffset;
    };
    if (!r.far_t && too_far(r.target_t)) r.far_t = changed = true;
    if (!r.far_f && too_far(r.target_f)) r.far_f = changed = true;
  }
  return changed;
}

// The trampoline at output position `from` to symbolic instruction `target`
// (output position `to`): a copy of it if it is a return, else a `ja`.
Insn Trampoline(const SymProgram& sym, uint32_t target, uint32_t from, uint32_t to) {
  const SymInsn& t = sym.insns[target];
  if (BPF_CLASS(t.code) == BPF_RET) return Stmt(t.code, t.k);
  return Stmt(BPF_JMP | BPF_JA, to - from - 1);
}

// Appends sym.insns[i] and its trampolines at their final positions.
void Emit(const SymProgram& sym, const Resolved& r,
          const std::vector<uint32_t>& pos, size_t i, Program* out) {
  const SymInsn& insn = sym.insns[i];
  const uint32_t p = pos[i];
  if (IsJa(insn.code)) {
    out->push_back(Stmt(BPF_JMP | BPF_JA, pos[r.target_t] - p - 1));
    return;
  }
  if (!IsConditional(insn.code)) {
    out->push_back(Stmt(insn.code, insn.k));
    return;
  }
  auto offset = [&](uint32_t target) {
    return static_cast<uint8_t>(pos[target] - p - 1);
  };
  if (r.Shared() && (r.far_t || r.far_f)) {
    out->push_back(Jump(insn.code, insn.k, 0, 0));
    out->push_back(Trampoline(sym, r.target_t, p + 1, pos[r.target_t]));
    return;
  }
  uint8_t jt = r.far_t ? 0 : offset(r.target_t);
  uint8_t jf = r.far_f ? (r.far_t ? 1 : 0) : offset(r.target_f);
  out->push_back(Jump(insn.code, insn.k, jt, jf));
  uint32_t next = p + 1;
  if (r.far_t) {
    out->push_back(Trampoline(sym, r.target_t, next, pos[r.target_t]));
    ++next;
  }
  if (r.far_f) out->push_back(Trampoline(sym, r.target_f, next, pos[r.target_f]));
}

}  // namespace

bool Assemble(const SymProgram& sym, Program* out, std::string* error) {
  std::vector<Resolved> resolved;
  if (!ResolveAll(sym, &resolved, error)) return false;

  // Each pass that changes something marks at least one more branch far, so
  // a layout needs at most (2 * jumps + 1) passes; more is a bug.
  const size_t max_passes = 2 * sym.insns.size() + 1;
  size_t passes = 0;
  while (MarkFarBranches(sym, &resolved)) {
    if (++passes > max_passes) {
      *error = "jump layout did not converge";
      return false;
    }
  }

  std::vector<uint32_t> pos = Positions(resolved);
  out->clear();
  out->reserve(pos.back());
  for (size_t i = 0; i < sym.insns.size(); ++i) {
    Emit(sym, resolved[i], pos, i, out);
  }
  return true;
}

}  // namespace bpfcap::cbpf
