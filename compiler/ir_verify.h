// Structural invariants of an IR program, checked after lowering and after
// every optimizer pass in tests (opt::OptimizeOptions::verify).
//
//   - every value a test or value refers to exists, and refers only to
//     values created before it (hash-consing builds bottom-up, so the value
//     graph has no cycles);
//   - loads read 1, 2 or 4 bytes;
//   - the entry and every edge of a reachable block name a block or a leaf;
//   - the reachable blocks form a DAG (no path returns to a block);
//   - a store block stores into a slot, with one successor, and no path
//     reads or stores that slot before it (ir.h: the passes rely on it).
//
// Returns "" when all hold, else one line naming the first broken invariant.
// Does not check meaning: whether the program gives the right verdicts is
// the verdict re-check's job (VerdictSample in opt/pass.h) and the tests'.
#pragma once

#include <string>

#include "compiler/ir.h"

namespace bpfcap::ir {

std::string Verify(const Program& p);

}  // namespace bpfcap::ir
