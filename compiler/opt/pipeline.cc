// The optimizer pipeline: passes in order, to a fixed point, bounded.

#include "compiler/opt/pass.h"

namespace bpfcap::opt {

bool Optimize(ir::Program& p) {
  constexpr int kMaxRounds = 16;
  p.Compact();
  for (int round = 0; round < kMaxRounds; ++round) {
    bool changed = false;
    changed |= ThreadBranches(p);
    changed |= Simplify(p);
    if (!changed) {
      BuildSwitchTrees(p);
      if (ReduceProbes(p)) Simplify(p);
      return true;
    }
  }
  return false;
}

}  // namespace bpfcap::opt
