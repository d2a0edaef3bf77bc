// Tail merging; see merge_tails.h.
#include "compiler/cbpf/merge_tails.h"

#include <map>
#include <tuple>
#include <vector>

namespace bpfcap::cbpf {
namespace {

bool IsCond(const SymInsn& i) { return BPF_CLASS(i.code) == BPF_JMP && BPF_OP(i.code) != BPF_JA; }
bool IsJa(const SymInsn& i) { return BPF_CLASS(i.code) == BPF_JMP && BPF_OP(i.code) == BPF_JA; }
bool IsRet(const SymInsn& i) { return BPF_CLASS(i.code) == BPF_RET; }
bool FallsThrough(const SymInsn& i) { return !IsCond(i) && !IsJa(i) && !IsRet(i); }

constexpr uint32_t kNone = UINT32_MAX;

}  // namespace

bool MergeTails(SymProgram* sym) {
  const std::vector<SymInsn>& in = sym->insns;
  const uint32_t n = static_cast<uint32_t>(in.size());
  if (n == 0) return false;
  // Label positions; a label bound past the end has no instruction.
  auto at = [&](uint32_t label) { return sym->labels[label]; };
  for (const SymInsn& i : in) {
    if (IsCond(i) && (at(i.jt) >= n || at(i.jf) >= n)) return false;
    if (IsJa(i) && at(i.jt) >= n) return false;
  }

  // Backward sweep: the class of each position.
  std::vector<uint32_t> cls(n);
  std::vector<uint32_t> last(n, kNone);  // class → its last occurrence
  std::map<std::tuple<uint16_t, uint32_t, uint32_t, uint32_t>, uint32_t> classes;
  for (uint32_t i = n; i-- > 0;) {
    const SymInsn& x = in[i];
    uint32_t s1 = kNone, s2 = kNone;
    if (IsCond(x)) {
      s1 = cls[at(x.jt)];
      s2 = cls[at(x.jf)];
    } else if (IsJa(x)) {
      s1 = cls[at(x.jt)];
    } else if (!IsRet(x)) {
      if (i + 1 >= n) return false;  // falls off the end: leave it to the validator
      s1 = cls[i + 1];
    }
    auto [it, fresh] = classes.emplace(std::make_tuple(x.code, x.k, s1, s2),
                                       static_cast<uint32_t>(classes.size()));
    cls[i] = it->second;
    if (fresh) last[cls[i]] = i;
  }

  // What dropping the copies costs: one `ja` where a kept instruction falls
  // through into a dropped one. Keep a copy when its run is too short to pay.
  std::vector<bool> keep(n, false);
  for (uint32_t i = 0; i < n; ++i) keep[i] = last[cls[i]] == i;
  keep[0] = true;  // the program starts there
  for (uint32_t i = 1; i < n; ++i) {
    if (keep[i] || !keep[i - 1] || !FallsThrough(in[i - 1])) continue;
    // A run of dropped instructions entered by fall-through: worth it only if
    // longer than the `ja` it needs.
    uint32_t run = 0;
    for (uint32_t j = i; j < n && !keep[j]; ++j) {
      ++run;
      if (!FallsThrough(in[j])) break;
    }
    if (run <= 1) keep[i] = true;
  }
  // Classes now kept more than once must keep their representatives unique
  // per position: a kept duplicate is its own representative.
  bool any_dropped = false;
  for (uint32_t i = 0; i < n; ++i) any_dropped |= !keep[i];
  if (!any_dropped) return false;

  // Rebuild: a label per kept position; references to a dropped position go
  // to its class's last occurrence.
  SymProgram out;
  std::vector<uint32_t> label_of(n, kNone);
  for (uint32_t i = 0; i < n; ++i) {
    if (keep[i]) label_of[i] = out.NewLabel();
  }
  auto target = [&](uint32_t pos) { return keep[pos] ? label_of[pos] : label_of[last[cls[pos]]]; };
  for (uint32_t i = 0; i < n; ++i) {
    if (!keep[i]) continue;
    out.Bind(label_of[i]);
    SymInsn x = in[i];
    if (IsCond(x)) {
      x.jt = target(at(x.jt));
      x.jf = target(at(x.jf));
    } else if (IsJa(x)) {
      x.jt = target(at(x.jt));
    }
    out.Emit(x);
    if (FallsThrough(in[i]) && i + 1 < n && !keep[i + 1]) {
      out.Emit(SymInsn{BPF_JMP | BPF_JA, 0, target(i + 1), kNoLabel});
    }
  }
  // Labels of the input that pointed past the end have no users (checked above).
  *sym = std::move(out);
  return true;
}

}  // namespace bpfcap::cbpf
