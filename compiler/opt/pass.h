// The optimizer: a short pipeline of IR passes iterated to a fixed point with
// an explicit bound. A pass is `bool Name(ir::Program&)` returning whether it
// changed anything; no pass changes the verdict on any packet, including
// truncated ones (a load that may fail is never dropped or moved ahead of a
// test that would have decided the packet first).
#pragma once

#include "compiler/ir.h"

namespace bpfcap::opt {

// Redirects edges whose target's outcome is already known on the edge
// (thread_branches.cc).
bool ThreadBranches(ir::Program& p);

// Turns long chains of equality tests on the same values into balanced
// search trees (switch_trees.cc).
bool BuildSwitchTrees(ir::Program& p);

// Drops unreachable blocks and merges identical ones (simplify.cc).
bool Simplify(ir::Program& p);

// The pipeline. Returns false if the bound on iterations was hit (the
// program is still correct, just not fully optimized).
bool Optimize(ir::Program& p);

}  // namespace bpfcap::opt
