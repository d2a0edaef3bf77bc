// ThreadBranches: redirect each edge past tests whose outcome is already
// known on that edge.
//
// Preconditions: none (any IR). Preserves: verdicts on every packet, since a
// test is skipped only when path facts decide it, and a fact about a value
// exists only where that value was computed on every path (so skipping the
// test drops no load that could have failed first).
//
//   b0: ldh[12] == 0x800 ? b1 : b2        b0: ldh[12] == 0x800 ? b1 : b2
//   b1: ld[26] == A ? accept : b2    →    b1: ld[26] == A ? accept : b3
//   b2: ldh[12] == 0x800 ? b3 : reject    (b2 kept for b0's false edge)
//
// Three ways a target is skipped on an edge with facts F:
//   - F decides its test: follow the decided edge;
//   - both its edges lead to the same block and its values are safe under F;
//   - F limits its value to a small set, and every member leads through
//     tests on that value to the same block ("proto ∈ {6,17,132}" threads
//     through "proto == 132? proto == 6? proto == 17?").
// Blocks are visited in reverse post-order, so every edge into a block has
// been finalised before the block's own facts are computed.

#include <optional>

#include "compiler/opt/facts.h"
#include "compiler/opt/pass.h"

namespace bpfcap::opt {
namespace {

constexpr int kMaxSteps = 1 << 20;  // per edge; a bound, never reached on real filters

class Threader {
 public:
  explicit Threader(ir::Program& p) : p_(p), v_(p.values) {}

  bool Run() {
    if (ir::IsLeaf(p_.entry)) return false;
    p_.entry = Resolve(p_.entry, Facts{});
    if (ir::IsLeaf(p_.entry)) return true;
    const std::vector<ir::BlockId> order = p_.Order();
    in_.assign(p_.num_blocks(), std::nullopt);
    in_[p_.entry] = Facts{};
    bool changed = false;
    for (ir::BlockId b : order) {
      if (!in_[b]) continue;  // no longer reachable
      const Facts facts = std::move(*in_[b]);
      in_[b].reset();
      const ir::Block blk = p_.block(b);
      ir::BlockId targets[2];
      for (int o = 0; o < 2; ++o) {
        const bool outcome = o == 0;
        Facts after = facts.After(v_, blk.test, outcome);
        ir::BlockId t = Resolve(outcome ? blk.t : blk.f, after);
        targets[o] = t;
        if (!ir::IsLeaf(t)) in_[t] = in_[t] ? Facts::Meet(*in_[t], after) : std::move(after);
      }
      if (targets[0] != blk.t || targets[1] != blk.f) {
        p_.SetEdges(b, targets[0], targets[1]);
        changed = true;
      }
    }
    return changed;
  }

 private:
  // Follows tests decided by `facts`, starting at `b`.
  ir::BlockId Resolve(ir::BlockId b, const Facts& facts) {
    for (int steps = 0; steps < kMaxSteps && !ir::IsLeaf(b); ++steps) {
      const ir::Block& blk = p_.block(b);
      if (std::optional<bool> d = facts.Decide(v_, blk.test)) {
        b = *d ? blk.t : blk.f;
        continue;
      }
      // A test that would send the packet to reject, were its loads to
      // succeed, rejects it either way (a failed load rejects).
      if (std::optional<bool> d = facts.DecideIfLoaded(v_, blk.test); d && (*d ? blk.t : blk.f) == ir::kReject) {
        b = ir::kReject;
        continue;
      }
      // Same target both ways: the test only matters if its loads can fail,
      // and a failed load rejects, so it can go when it leads to reject too.
      if (blk.t == blk.f && !ir::IsStore(blk.test) && (blk.t == ir::kReject ||
                             (facts.Safe(v_, blk.test.lhs) && facts.Safe(v_, blk.test.rhs)))) {
        b = blk.t;
        continue;
      }
      std::optional<ir::BlockId> through = ThroughSet(b, facts);
      if (!through) break;
      b = *through;
    }
    return b;
  }

  // If facts limit b's test value to a small set and every member ends at
  // the same block after tests on that value alone, that block.
  std::optional<ir::BlockId> ThroughSet(ir::BlockId b, const Facts& facts) {
    const ir::Block& blk = p_.block(b);
    if (!v_.IsConst(blk.test.rhs) || ir::IsStore(blk.test)) return std::nullopt;
    const ir::ValueId v = blk.test.lhs;
    const Fact* f = facts.Find(v);
    if (!f || f->in.empty()) return std::nullopt;
    std::optional<ir::BlockId> end;
    for (uint32_t x : f->in) {
      ir::BlockId cur = b;
      for (int steps = 0; steps < 64 && !ir::IsLeaf(cur); ++steps) {
        const ir::Block& c = p_.block(cur);
        if (c.test.lhs != v || !v_.IsConst(c.test.rhs) || ir::IsStore(c.test)) break;
        bool r = *Fact{x, x, 0, 0, {}, {}, {}}.Decide(c.test.cmp, v_[c.test.rhs].k);
        cur = r ? c.t : c.f;
      }
      if (end && *end != cur) return std::nullopt;
      end = cur;
    }
    if (!end || *end == b) return std::nullopt;
    return end;
  }

  ir::Program& p_;
  const ir::Values& v_;
  std::vector<std::optional<Facts>> in_;
};

}  // namespace

bool ThreadBranches(ir::Program& p) { return Threader(p).Run(); }

}  // namespace bpfcap::opt
