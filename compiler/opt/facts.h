// Path facts: what is known about packet values on an edge of the IR, for
// every path that reaches it. An analysis value, recomputed by the passes that
// use it; never stored in the IR.
//
// For each value tested against a constant, a Fact keeps an unsigned range,
// bits known to be 0 or 1, and either a small set of possible values or a
// small set of excluded ones. Having a Fact for a value also means the value
// was computed on every path, so its loads are known to succeed.
#pragma once

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "compiler/ir.h"

namespace bpfcap::opt {

inline constexpr size_t kMaxSet = 8;

struct Fact {
  uint32_t lo = 0, hi = UINT32_MAX;
  uint32_t zero = 0, one = 0;           // bits known 0 / known 1
  std::vector<uint32_t> in;             // if non-empty: the value is one of these
  std::vector<uint32_t> out;            // the value is none of these
  std::vector<uint32_t> some;           // masks known to have a bit set in the value

  // The test's outcome if this fact decides it.
  std::optional<bool> Decide(ir::Cmp cmp, uint32_t k) const;
  // This fact narrowed by the test having had `outcome`.
  Fact Refine(ir::Cmp cmp, uint32_t k, bool outcome) const;
  // Holds on either of two paths: the least fact implied by both.
  static Fact Union(const Fact& a, const Fact& b);
};

// Facts about several values, sorted by ValueId.
class Facts {
 public:
  const Fact* Find(ir::ValueId v) const;
  void Set(ir::ValueId v, Fact f);
  // Facts after `test` had `outcome` (only tests against constants teach;
  // a store forgets what was known of values that read its slot).
  Facts After(const ir::Values& vals, const ir::Test& test, bool outcome) const;
  static Facts Meet(const Facts& a, const Facts& b);
  // The outcome of `test` if these facts decide it.
  std::optional<bool> Decide(const ir::Values& vals, const ir::Test& test) const;
  // The outcome `test` has if its loads succeed (they may not be known to).
  std::optional<bool> DecideIfLoaded(const ir::Values& vals, const ir::Test& test) const;
  // True if evaluating `v` cannot fail given these facts.
  bool Safe(const ir::Values& vals, ir::ValueId v) const;

 private:
  std::optional<bool> DecideImpl(const ir::Values& vals, const ir::Test& test, bool loads_may_fail) const;
  std::vector<std::pair<ir::ValueId, Fact>> facts_;
};

}  // namespace bpfcap::opt
