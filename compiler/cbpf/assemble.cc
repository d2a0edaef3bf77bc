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
// name the same far label, they share one. Adding trampolines only ever
// moves targets further away, so the set of far branches grows
// monotonically and the layout loop reaches a fixed point after at most one
// pass per branch.
//
// Two refinements, both only ever shortening a path or the program:
//
// - A trampoline to a return is the return itself, copied: `ret` costs one
//   instruction like `ja` but ends the path there.
//
// - A far branch uses a trampoline of a later jump to the same target when
//   one lies within its reach, instead of its own. In a search tree's leaves
//   ("jeq #k1 → accept; jeq #k2 → accept; jeq #k3 → accept, else L"), the
//   copies of `ret` shrink to one per leaf:
//
//     jeq #k1 jt 0 jf 1              jeq #k1 jt 3 jf 0
//     ret #262144                    jeq #k2 jt 2 jf 0
//     jeq #k2 jt 0 jf 1        →     jeq #k3 jt 1 jf 0
//     ret #262144                    ja  L
//     jeq #k3 jt 1 jf 0              ret #262144
//     ja  L
//     ret #262144
//
//   Sharing is decided after the fixed point, from the last jump back to the
//   first, using only trampolines that stay; then branches whose target has
//   come within reach become direct again, and so on while anything changes.
//   Each step only removes instructions, which moves no target further
//   away, so every offset decided before still fits.

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

constexpr uint32_t kOwn = UINT32_MAX;

// A symbolic instruction with its jump targets resolved to instruction
// indices and the trampolines the layout currently gives it.
struct Resolved {
  uint32_t target_t = 0;  // ja and conditional jumps
  uint32_t target_f = 0;  // conditional jumps
  bool far_t = false;     // jt goes through a trampoline
  bool far_f = false;     // jf goes through a trampoline
  // For a far branch: kOwn for a trampoline of its own right after the
  // jump, else the index of the later jump whose trampoline it uses.
  uint32_t via_t = kOwn;
  uint32_t via_f = kOwn;

  bool Shared() const { return target_t == target_f; }
  bool OwnT() const { return far_t && via_t == kOwn; }
  bool OwnF() const { return far_f && via_f == kOwn; }
  uint32_t Trampolines() const {
    if (Shared()) return (OwnT() || OwnF()) ? 1 : 0;
    return (OwnT() ? 1 : 0) + (OwnF() ? 1 : 0);
  }
  // Output offset, from the jump's position, of its own trampoline to
  // `target`; 0 if it has none.
  uint32_t SlotFor(uint32_t target) const {
    if (Shared()) return target == target_t && (OwnT() || OwnF()) ? 1 : 0;
    if (OwnT() && target == target_t) return 1;
    if (OwnF() && target == target_f) return OwnT() ? 2 : 1;
    return 0;
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

// How many branches of other jumps go through each jump's own trampolines,
// by the trampoline's target: through the jt one (or the one shared by both
// branches) and through the jf one.
struct SlotUsers {
  std::vector<uint32_t> t, f;

  explicit SlotUsers(const std::vector<Resolved>& resolved)
      : t(resolved.size(), 0), f(resolved.size(), 0) {
    for (const Resolved& r : resolved) {
      if (r.far_t && r.via_t != kOwn) Add(resolved, r.via_t, r.target_t);
      if (r.far_f && r.via_f != kOwn && !r.Shared()) Add(resolved, r.via_f, r.target_f);
    }
  }
  void Add(const std::vector<Resolved>& resolved, uint32_t j, uint32_t target) {
    ++(target == resolved[j].target_t ? t : f)[j];
  }
  bool Used(const Resolved& r, size_t i, uint32_t target) const {
    return (target == r.target_t ? t : f)[i] != 0;
  }
};

// Points far branches that have a trampoline of their own, used by no other
// branch, at a later jump's trampoline to the same target within reach
// (see the file comment). Returns whether anything changed.
bool ShareTrampolines(const SymProgram& sym, std::vector<Resolved>* resolved) {
  std::vector<Resolved>& rs = *resolved;
  const std::vector<uint32_t> pos = Positions(rs);
  SlotUsers users(rs);
  auto later = [&](size_t i, uint32_t target) {
    for (size_t j = i + 1; j < rs.size() && pos[j] - pos[i] <= kMaxOffset; ++j) {
      if (!IsConditional(sym.insns[j].code)) continue;
      const uint32_t slot = rs[j].SlotFor(target);
      if (slot != 0 && pos[j] + slot - pos[i] - 1 <= kMaxOffset) return uint32_t(j);
    }
    return kOwn;
  };
  bool changed = false;
  // From the last jump back: a jump's own trampolines are settled before
  // the earlier jumps that may use them are.
  for (size_t i = rs.size(); i-- > 0;) {
    if (!IsConditional(sym.insns[i].code)) continue;
    Resolved& r = rs[i];
    auto share = [&](bool far, uint32_t* via, uint32_t target) {
      if (!far || *via != kOwn || users.Used(r, i, target)) return;
      *via = later(i, target);
      if (*via == kOwn) return;
      users.Add(rs, *via, target);
      changed = true;
    };
    share(r.far_t, &r.via_t, r.target_t);
    if (r.Shared()) {
      r.via_f = r.via_t;
    } else {
      share(r.far_f, &r.via_f, r.target_f);
    }
  }
  return changed;
}

// Makes far branches whose target is now within reach direct again, unless
// other branches use their trampoline. Returns whether anything changed.
bool DropNearTrampolines(const SymProgram& sym, std::vector<Resolved>* resolved) {
  std::vector<Resolved>& rs = *resolved;
  const std::vector<uint32_t> pos = Positions(rs);
  const SlotUsers users(rs);
  bool changed = false;
  for (size_t i = 0; i < rs.size(); ++i) {
    if (!IsConditional(sym.insns[i].code)) continue;
    Resolved& r = rs[i];
    auto drop = [&](bool* far, uint32_t* via, uint32_t target) {
      if (!*far || pos[target] - pos[i] - 1 > kMaxOffset) return;
      if (*via == kOwn && users.Used(r, i, target)) return;
      *far = false;
      *via = kOwn;
      changed = true;
    };
    drop(&r.far_t, &r.via_t, r.target_t);
    if (r.Shared()) {
      r.far_f = r.far_t;
      r.via_f = r.via_t;
    } else {
      drop(&r.far_f, &r.via_f, r.target_f);
    }
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

// Appends sym.insns[i] and its own trampolines at their final positions.
void Emit(const SymProgram& sym, const std::vector<Resolved>& resolved,
          const std::vector<uint32_t>& pos, size_t i, Program* out) {
  const SymInsn& insn = sym.insns[i];
  const Resolved& r = resolved[i];
  const uint32_t p = pos[i];
  if (IsJa(insn.code)) {
    out->push_back(Stmt(BPF_JMP | BPF_JA, pos[r.target_t] - p - 1));
    return;
  }
  if (!IsConditional(insn.code)) {
    out->push_back(Stmt(insn.code, insn.k));
    return;
  }
  // Where a branch lands: its target, or the trampoline it goes through.
  auto offset = [&](bool far, uint32_t via, uint32_t target) {
    if (!far) return static_cast<uint8_t>(pos[target] - p - 1);
    const uint32_t owner = via == kOwn ? uint32_t(i) : via;
    return static_cast<uint8_t>(pos[owner] + resolved[owner].SlotFor(target) - p - 1);
  };
  out->push_back(Jump(insn.code, insn.k, offset(r.far_t, r.via_t, r.target_t),
                      offset(r.far_f, r.via_f, r.target_f)));
  if (r.Trampolines() == 0) return;
  if (r.Shared() || r.OwnT()) out->push_back(Trampoline(sym, r.target_t, p + 1, pos[r.target_t]));
  if (!r.Shared() && r.OwnF()) {
    const uint32_t at = p + (r.OwnT() ? 2 : 1);
    out->push_back(Trampoline(sym, r.target_f, at, pos[r.target_f]));
  }
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

  // Each pass after the fixed point removes a trampoline or a far branch,
  // which only ever brings targets closer.
  ShareTrampolines(sym, &resolved);
  for (passes = 0; DropNearTrampolines(sym, &resolved) || ShareTrampolines(sym, &resolved);) {
    if (++passes > max_passes) {
      *error = "trampoline sharing did not converge";
      return false;
    }
  }

  std::vector<uint32_t> pos = Positions(resolved);
  out->clear();
  out->reserve(pos.back());
  for (size_t i = 0; i < sym.insns.size(); ++i) Emit(sym, resolved, pos, i, out);
  return true;
}

}  // namespace bpfcap::cbpf
