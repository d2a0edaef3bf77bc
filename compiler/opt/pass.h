// The optimizer: a short pipeline of IR passes iterated to a fixed point with
// an explicit bound. A pass is `bool Name(ir::Program&)` returning whether it
// changed anything; no pass changes the verdict on any packet, including
// truncated ones (a load that may fail is never dropped or moved ahead of a
// test that would have decided the packet first).
#pragma once

#include <string>

#include "compiler/ir.h"

namespace bpfcap::opt {

// Redirects edges whose target's outcome is already known on the edge
// (thread_branches.cc).
bool ThreadBranches(ir::Program& p);

// Turns chains of equality tests on the same values into staged runs or,
// past `linear_max` keys per value, balanced search trees (switch_trees.cc).
struct SwitchTreeOptions {
  size_t min_chain = 4;    // shorter chains are left alone
  size_t linear_max = 64;  // a value with at most this many keys gets a run of ==
};
bool BuildSwitchTrees(ir::Program& p, const SwitchTreeOptions& options = {});

// Turns tests that matter only for their loads into probes and drops probes
// that a later load subsumes (probes.cc).
bool ReduceProbes(ir::Program& p);

// Turns (x & M) == 0, and (x & M) == M for one bit M, into bit tests
// (bit_tests.cc).
bool FoldBitTests(ir::Program& p);

// Drops unreachable blocks and merges identical ones (simplify.cc).
bool Simplify(ir::Program& p);

struct OptimizeOptions {
  // Tests: verify the IR and re-check verdicts on sample packets after every
  // pass (pipeline.cc); *error names the pass that broke something.
  bool check = false;
  std::string* error = nullptr;
};

// The checking mode's test, exposed for tests: "" when `after` verifies and
// gives `before`'s verdict on every sample packet, else what differs.
std::string CompareOnSamples(const ir::Program& before, const ir::Program& after);

// The pipeline. Returns false if the bound on iterations was hit (the
// program is still correct, just not fully optimized) or, with check, if a
// pass broke the program.
bool Optimize(ir::Program& p, const OptimizeOptions& options = {});

}  // namespace bpfcap::opt
