// BuildSwitchTrees: long chains of equality tests become balanced search
// trees, as compilers lower a large `switch`.
//
// A chain is a run of blocks "v_i == c_i ? T : next" that all share the true
// target T, each (but the first) reached only from the one before. "host A1
// or ... or host AN" threads into such a chain on the IPv4 path (src == A1,
// dst == A1, src == A2, ...), and "port P1 or ..." likewise.
//
// Order matters only through loads that can fail: the original chain rejects
// a packet too short for v_j's load as soon as it reaches the first test on
// v_j. So the chain is cut into stages at the first test of each value; stage
// j first asks "v_j in {constants of v_j in stage j}", which performs that
// same first load, and then asks about the values loaded before, whose loads
// are known to succeed; the order within a stage is then free.
//
//   src==A1? src==A2? dst==A1? src==A3? dst==A2? ...   →
//   stage 1: src in {A1, A2}                            (tree on src)
//   stage 2: dst in {A1, A2, ...}, src in {A3, ...}     (tree on dst, tree on src)
//
// A membership test on n sorted constants is a tree of `>=` tests with
// `==` leaves: about log2(n) + 2 tests on any path.

#include <algorithm>
#include <map>
#include <vector>

#include "compiler/opt/pass.h"

namespace bpfcap::opt {
namespace {

constexpr size_t kMinChain = 8;  // shorter chains stay linear: trees cost size
constexpr size_t kLinearLeaf = 3;

class SwitchBuilder {
 public:
  explicit SwitchBuilder(ir::Program& p) : p_(p), v_(p.values) {}

  bool Run() {
    const std::vector<ir::BlockId> order = p_.Order();
    preds_.assign(p_.num_blocks(), 0);
    for (ir::BlockId b : order) {
      for (ir::BlockId s : {p_.block(b).t, p_.block(b).f})
        if (!ir::IsLeaf(s)) ++preds_[s];
    }
    std::vector<bool> in_chain(p_.num_blocks(), false);
    bool changed = false;
    for (ir::BlockId b : order) {
      if (in_chain[b] || !IsEqConst(b)) continue;
      std::vector<ir::BlockId> chain{b};
      const ir::BlockId t = p_.block(b).t;
      for (ir::BlockId n = p_.block(b).f; !ir::IsLeaf(n) && IsEqConst(n) && preds_[n] == 1 &&
                                          p_.block(n).t == t;
           n = p_.block(n).f) {
        chain.push_back(n);
      }
      for (ir::BlockId c : chain) in_chain[c] = true;
      if (chain.size() < kMinChain) continue;
      Rewrite(chain);
      changed = true;
    }
    if (changed) p_.Compact();
    return changed;
  }

 private:
  bool IsEqConst(ir::BlockId b) const {
    const ir::Test& t = p_.block(b).test;
    return t.cmp == ir::Cmp::kEq && v_.IsConst(t.rhs) && !v_.IsConst(t.lhs);
  }

  void Rewrite(const std::vector<ir::BlockId>& chain) {
    const ir::BlockId t = p_.block(chain.front()).t;
    const ir::BlockId f = p_.block(chain.back()).f;
    // Stages: cut before the first test of each value.
    struct Stage {
      std::vector<ir::ValueId> order;                         // new value first
      std::map<ir::ValueId, std::vector<uint32_t>> consts;
    };
    std::vector<Stage> stages;
    std::vector<ir::ValueId> seen;
    for (ir::BlockId b : chain) {
      const ir::Test& test = p_.block(b).test;
      if (std::find(seen.begin(), seen.end(), test.lhs) == seen.end()) {
        seen.push_back(test.lhs);
        Stage s;
        s.order.push_back(test.lhs);
        for (ir::ValueId v : seen)
          if (v != test.lhs) s.order.push_back(v);
        stages.push_back(std::move(s));
      }
      stages.back().consts[test.lhs].push_back(v_[test.rhs].k);
    }
    // Build from the last stage back.
    ir::BlockId next = f;
    for (auto st = stages.rbegin(); st != stages.rend(); ++st) {
      for (auto v = st->order.rbegin(); v != st->order.rend(); ++v) {
        auto it = st->consts.find(*v);
        if (it == st->consts.end()) continue;
        std::vector<uint32_t> ks = it->second;
        std::sort(ks.begin(), ks.end());
        ks.erase(std::unique(ks.begin(), ks.end()), ks.end());
        next = Tree(*v, ks, 0, ks.size(), t, next);
      }
    }
    // The chain's head takes the tree's root; the rest becomes unreachable.
    if (!ir::IsLeaf(next)) p_.Replace(chain.front(), p_.block(next));
  }

  ir::BlockId Tree(ir::ValueId v, const std::vector<uint32_t>& ks, size_t lo, size_t hi,
                   ir::BlockId t, ir::BlockId f) {
    if (hi - lo <= kLinearLeaf) {
      ir::BlockId next = f;
      for (size_t i = hi; i-- > lo;) next = p_.AddBlock(ir::Test{v, ir::Cmp::kEq, v_.Const(ks[i])}, t, next);
      return next;
    }
    const size_t mid = lo + (hi - lo) / 2;
    ir::BlockId right = Tree(v, ks, mid, hi, t, f);
    ir::BlockId left = Tree(v, ks, lo, mid, t, f);
    return p_.AddBlock(ir::Test{v, ir::Cmp::kGe, v_.Const(ks[mid])}, right, left);
  }

  ir::Program& p_;
  ir::Values& v_;
  std::vector<uint32_t> preds_;
};

}  // namespace

bool BuildSwitchTrees(ir::Program& p) { return SwitchBuilder(p).Run(); }

}  // namespace bpfcap::opt
