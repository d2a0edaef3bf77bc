// Simplify: keep only the reachable blocks and merge blocks that became
// identical (same test, same successors), bottom-up.
//
// Preserves verdicts trivially: merged blocks behave identically, and
// unreachable blocks run on no packet. Tests whose both edges agree are
// removed by ThreadBranches, which has the path facts that say when that is
// safe.

#include "compiler/opt/pass.h"

namespace bpfcap::opt {

bool Simplify(ir::Program& p) {
  const size_t before = p.num_blocks();
  const ir::BlockId entry = p.entry;
  p.Compact();
  return p.num_blocks() != before || p.entry != entry;
}

}  // namespace bpfcap::opt
