// Path facts; see facts.h.

#include "compiler/opt/facts.h"

#include <algorithm>

namespace bpfcap::opt {

std::optional<bool> Fact::Decide(ir::Cmp cmp, uint32_t k) const {
  auto member = [](const std::vector<uint32_t>& s, uint32_t x) {
    return std::find(s.begin(), s.end(), x) != s.end();
  };
  if (!in.empty()) {
    bool any_true = false, any_false = false;
    for (uint32_t x : in) {
      const std::optional<bool> r = ir::Holds(cmp, x, k);
      if (!r) return std::nullopt;
      (*r ? any_true : any_false) = true;
    }
    if (!any_false) return true;
    if (!any_true) return false;
    return std::nullopt;
  }
  switch (cmp) {
    case ir::Cmp::kEq:
      if (k < lo || k > hi || member(out, k) || (k & zero) || (~k & one)) return false;
      if (lo == hi) return true;
      return std::nullopt;
    case ir::Cmp::kGt:
      if (lo > k) return true;
      if (hi <= k) return false;
      return std::nullopt;
    case ir::Cmp::kGe:
      if (lo >= k) return true;
      if (hi < k) return false;
      return std::nullopt;
    case ir::Cmp::kSet:
      if (k & one) return true;
      for (uint32_t m : some)
        if ((m & ~k) == 0) return true;  // a bit of m is set, and m ⊆ k
      if ((k & ~zero) == 0) return false;
      if (hi < (k & -k)) return false;  // every set bit of k exceeds the range
      return std::nullopt;
    case ir::Cmp::kStore: return std::nullopt;
  }
  return std::nullopt;
}

Fact Fact::Refine(ir::Cmp cmp, uint32_t k, bool outcome) const {
  Fact f = *this;
  auto keep_in = [&](auto pred) {
    std::vector<uint32_t> kept;
    for (uint32_t x : f.in)
      if (pred(x)) kept.push_back(x);
    f.in = std::move(kept);
  };
  switch (cmp) {
    case ir::Cmp::kEq:
      if (outcome) {
        f.in = {k};
        f.lo = f.hi = k;
        f.out.clear();
      } else {
        keep_in([&](uint32_t x) { return x != k; });
        if (f.out.size() < kMaxSet && std::find(f.out.begin(), f.out.end(), k) == f.out.end())
          f.out.push_back(k);
      }
      break;
    case ir::Cmp::kGt:
      if (outcome) {
        f.lo = std::max(f.lo, k + 1);
        keep_in([&](uint32_t x) { return x > k; });
      } else {
        f.hi = std::min(f.hi, k);
        keep_in([&](uint32_t x) { return x <= k; });
      }
      break;
    case ir::Cmp::kGe:
      if (outcome) {
        f.lo = std::max(f.lo, k);
        keep_in([&](uint32_t x) { return x >= k; });
      } else {
        f.hi = std::min(f.hi, k - 1);
        keep_in([&](uint32_t x) { return x < k; });
      }
      break;
    case ir::Cmp::kSet:
      if (outcome) {
        if ((k & (k - 1)) == 0) f.one |= k;  // a single bit: now known set
        else if (f.some.size() < kMaxSet) f.some.push_back(k);
        keep_in([&](uint32_t x) { return (x & k) != 0; });
      } else {
        f.zero |= k;
        keep_in([&](uint32_t x) { return (x & k) == 0; });
      }
      break;
    case ir::Cmp::kStore: break;  // (Facts::After handles stores)
  }
  return f;
}

Fact Fact::Union(const Fact& a, const Fact& b) {
  Fact f;
  f.lo = std::min(a.lo, b.lo);
  f.hi = std::max(a.hi, b.hi);
  f.zero = a.zero & b.zero;
  f.one = a.one & b.one;
  if (!a.in.empty() && !b.in.empty()) {
    f.in = a.in;
    for (uint32_t x : b.in)
      if (std::find(f.in.begin(), f.in.end(), x) == f.in.end()) f.in.push_back(x);
    if (f.in.size() > kMaxSet) f.in.clear();
  }
  // A value excluded on both paths: listed on both, or listed on one and
  // outside what the other's range and bits allow.
  auto excludes = [](const Fact& g, uint32_t x) {
    return std::find(g.out.begin(), g.out.end(), x) != g.out.end() || x < g.lo || x > g.hi ||
           (x & g.zero) != 0 || (~x & g.one) != 0;
  };
  for (uint32_t x : a.out)
    if (excludes(b, x)) f.out.push_back(x);
  for (uint32_t x : b.out)
    if (f.out.size() < kMaxSet && excludes(a, x) && std::find(f.out.begin(), f.out.end(), x) == f.out.end())
      f.out.push_back(x);
  for (uint32_t x : a.some)
    if (std::find(b.some.begin(), b.some.end(), x) != b.some.end()) f.some.push_back(x);
  return f;
}

const Fact* Facts::Find(ir::ValueId v) const {
  auto it = std::lower_bound(facts_.begin(), facts_.end(), v,
                             [](const auto& p, ir::ValueId id) { return p.first < id; });
  return it != facts_.end() && it->first == v ? &it->second : nullptr;
}

void Facts::Set(ir::ValueId v, Fact f) {
  auto it = std::lower_bound(facts_.begin(), facts_.end(), v,
                             [](const auto& p, ir::ValueId id) { return p.first < id; });
  if (it != facts_.end() && it->first == v) it->second = std::move(f);
  else facts_.insert(it, {v, std::move(f)});
}

Facts Facts::After(const ir::Values& vals, const ir::Test& test, bool outcome) const {
  if (ir::IsStore(test)) {
    // Values that read the slot change; what was known of them goes.
    const ir::SlotSet slot = vals.SlotsRead(test.lhs);
    Facts r;
    for (const auto& [v, f] : facts_) {
      if (!(vals.SlotsRead(v) & slot)) r.facts_.push_back({v, f});
    }
    return r;
  }
  Facts r = *this;
  if (!vals.IsConst(test.rhs)) return r;
  const Fact* f = Find(test.lhs);
  r.Set(test.lhs, (f ? *f : Fact{}).Refine(test.cmp, vals[test.rhs].k, outcome));
  return r;
}

Facts Facts::Meet(const Facts& a, const Facts& b) {
  Facts r;
  size_t i = 0, j = 0;
  while (i < a.facts_.size() && j < b.facts_.size()) {
    if (a.facts_[i].first < b.facts_[j].first) ++i;
    else if (b.facts_[j].first < a.facts_[i].first) ++j;
    else {
      r.facts_.push_back({a.facts_[i].first, Fact::Union(a.facts_[i].second, b.facts_[j].second)});
      ++i;
      ++j;
    }
  }
  return r;
}

std::optional<bool> Facts::Decide(const ir::Values& vals, const ir::Test& test) const {
  return DecideImpl(vals, test, /*loads_may_fail=*/false);
}

std::optional<bool> Facts::DecideIfLoaded(const ir::Values& vals, const ir::Test& test) const {
  return DecideImpl(vals, test, /*loads_may_fail=*/true);
}

std::optional<bool> Facts::DecideImpl(const ir::Values& vals, const ir::Test& test, bool loads_may_fail) const {
  if (!vals.IsConst(test.rhs) || ir::IsStore(test)) return std::nullopt;
  const uint32_t k = vals[test.rhs].k;
  if (vals.IsConst(test.lhs)) return Fact{vals[test.lhs].k, vals[test.lhs].k, 0, 0, {}, {}, {}}.Decide(test.cmp, k);
  const Fact* own = Find(test.lhs);
  if (own) {
    if (std::optional<bool> d = own->Decide(test.cmp, k)) return d;
  }
  // x & M: the bits M clears are 0, those known of x stay known (a bit
  // test of x, "x & M ?", teaches about x, not x & M). Without a fact about
  // x or x & M, its loads are not known to succeed: only if the caller
  // allows.
  const ir::Value& v = vals[test.lhs];
  if (v.kind != ir::ValueKind::kBinary || v.op != ast::BinOp::kAnd || !vals.IsConst(v.b)) {
    // Any 32-bit value (x >= 0 holds), once loaded.
    return loads_may_fail ? Fact{}.Decide(test.cmp, k) : std::nullopt;
  }
  const Fact* x = Find(v.a);
  if (!x && !own && !loads_may_fail && vals.ReadsPacket(v.a)) return std::nullopt;
  const uint32_t mask = vals[v.b].k;
  Fact masked;
  masked.hi = x ? std::min(x->hi, mask) : mask;
  masked.zero = ~mask | (x ? x->zero : 0);
  masked.one = mask & (x ? x->one : 0);
  return masked.Decide(test.cmp, k);
}

bool Facts::Safe(const ir::Values& vals, ir::ValueId v) const {
  return !vals.ReadsPacket(v) || Find(v) != nullptr;
}

}  // namespace bpfcap::opt
