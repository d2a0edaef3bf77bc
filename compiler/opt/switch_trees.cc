// BuildSwitchTrees: long chains of equality tests become search trees, as
// compilers lower a large `switch`.
//
// A chain is a run of blocks "v_i == c_i ? T : next" that all share the true
// target T, each (but the first) reached only from the one before. "host A1
// or ... or host AN" threads into such a chain on the IPv4 path (src == A1,
// dst == A1, src == A2, ...), and "port P1 or ..." likewise.
//
// Order matters only through loads that can fail: the original chain rejects
// a packet too short for v_j's load as soon as it reaches the first test on
// v_j. Call u_1, u_2, ... the values in the order of their first test, and
// stage j the part of the chain from the first test of u_j on.
//
// Two values (src and dst; the common case). The tree on u_1 holds every
// constant of u_1. A match on a constant tested in stage 1 goes to T; a match
// on one first tested in stage 2 must still load u_2 (a packet too short for
// it is rejected by the chain), so it goes to "u_2 == 0 ? T : T", a block
// that only loads. A miss goes to the tree on u_2, whose miss goes to F.
//
//   src==A1? dst==A1? src==A2? dst==A2? ...   →
//   src in {A1: T, A2..AN: load dst, T} ?  : dst in {A1..AN} ? T : F
//
// One value: one tree. Three or more: stage j asks "u_j in {constants of u_j
// in stage j}", which performs that same first load, then asks about the
// values loaded before, whose loads are known to succeed; the order within
// a stage is free.
//
// The trees are shaped for classic BPF, where a conditional jump reaches 255
// instructions ahead and a longer one costs a `ja` trampoline on that path.
// The true child (keys >= the split) is laid out right after the test (the
// code generator keeps it there); the false edge jumps over it. A split is
// balanced while the near half fits in 255 instructions; above that it is
// chosen from a table of capacities (the most keys a tree can hold with d
// tests and trampolines on any path), so that the side that pays the
// trampoline is the shallower one. A tree's leaves are runs of at most
// kLinearLeaf `==` tests.
//
// Preconditions: none. Preserves verdicts on every packet, truncated ones
// included (the argument above). Runs once, after the other passes.

#include <algorithm>
#include <map>
#include <vector>

#include "compiler/opt/pass.h"

namespace bpfcap::opt {
namespace {

// A tree's leaves are runs of at most this many `==` tests.
constexpr size_t kLinearLeaf = 3;
// SwitchTreeOptions::linear_max: a value with few keys gets a run of `==`
// tests rather than a tree, since a tree spends about one `>=` test per key
// on top of the `==` tests, which on short and medium chains costs more
// instructions than the tests per packet it saves. (The per-packet bound that
// matters is for long chains: at N = 1,000, at most 40 instructions.)
// Instructions per ten keys, as the code generator lays a large tree out:
// the `==` test, a share of the `>=` tests and of the trampolines and
// copies of returns that the leaves' far jumps share (about one pair per 255
// instructions). Measured on long chains (about 14.5), rounded up so that
// a half estimated to fit does fit.
constexpr size_t kInsnsPerTenKeys = 16;
constexpr size_t kMaxJump = 255;  // cBPF's conditional jump range

// The capacities that shape a tree (see the file comment).
class TreeShape {
 public:
  // Keys on the near side of a split of n > kLinearLeaf keys.
  size_t NearSize(size_t n) {
    const size_t d = Depth(n);
    const size_t half = (n + 1) / 2;
    if (Fits(half)) return half;
    // The near side fits: its far sibling pays no trampoline.
    const size_t near_fit = std::min(cap_[d - 1], kMaxFit);
    if (n - near_fit <= cap_[d - 1]) return near_fit;
    // The near side does not fit: the far side, one trampoline deeper, is
    // one level shallower.
    return std::min(cap_[d - 1], std::max(half, n - cap_[d - 2]));
  }

 private:
  static bool Fits(size_t keys) { return keys * kInsnsPerTenKeys <= kMaxJump * 10; }
  static constexpr size_t kMaxFit = kMaxJump * 10 / kInsnsPerTenKeys;

  size_t Depth(size_t n) {
    if (cap_.empty()) cap_ = {0, 1, 2};
    size_t d = 1;
    while (Cap(d) < n) ++d;
    return d;
  }

  size_t Cap(size_t d) {
    while (cap_.size() <= d) {
      const size_t e = cap_.size(), c1 = cap_[e - 1], c2 = cap_[e - 2];
      size_t c = Fits(c1) ? 2 * c1 : c1 + std::max(std::min(c1, kMaxFit), c2);
      if (e <= kLinearLeaf) c = std::max(c, e);
      cap_.push_back(std::max(c, c1));
    }
    return cap_[d];
  }

  std::vector<size_t> cap_;  // cap_[d]: most keys with d tests on any path
};

// A key of a tree: a constant and where a packet whose value equals it goes.
struct Key {
  uint32_t k;
  ir::BlockId target;
};

class SwitchBuilder {
 public:
  SwitchBuilder(ir::Program& p, const SwitchTreeOptions& o) : p_(p), v_(p.values), opts_(o) {}

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
      if (chain.size() < opts_.min_chain) continue;
      Rewrite(chain);
      changed = true;
    }
    if (changed) p_.Compact();
    return changed;
  }

 private:
  // A stage: the constants tested on each value, the stage's new value first.
  struct Stage {
    std::vector<ir::ValueId> order;
    std::map<ir::ValueId, std::vector<uint32_t>> consts;
  };

  bool IsEqConst(ir::BlockId b) const {
    const ir::Test& t = p_.block(b).test;
    return t.cmp == ir::Cmp::kEq && v_.IsConst(t.rhs) && !v_.IsConst(t.lhs);
  }

  std::vector<Stage> Stages(const std::vector<ir::BlockId>& chain) const {
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
    return stages;
  }

  void Rewrite(const std::vector<ir::BlockId>& chain) {
    const ir::BlockId t = p_.block(chain.front()).t;
    const ir::BlockId f = p_.block(chain.back()).f;
    const std::vector<Stage> stages = Stages(chain);
    const ir::BlockId root = stages.size() == 2 ? TwoValues(stages, t, f) : Staged(stages, t, f);
    // The chain's head takes the tree's root; the rest becomes unreachable.
    if (!ir::IsLeaf(root)) p_.Replace(chain.front(), p_.block(root));
  }

  // Two values: see the file comment.
  ir::BlockId TwoValues(const std::vector<Stage>& stages, ir::BlockId t, ir::BlockId f) {
    const ir::ValueId u1 = stages[0].order[0], u2 = stages[1].order[0];
    const ir::BlockId load_u2 = p_.AddBlock(ir::Test{u2, ir::Cmp::kEq, v_.Const(0)}, t, t);
    std::map<uint32_t, ir::BlockId> u1_keys;
    for (uint32_t k : stages[0].consts.at(u1)) u1_keys.emplace(k, t);
    if (auto it = stages[1].consts.find(u1); it != stages[1].consts.end())
      for (uint32_t k : it->second) u1_keys.emplace(k, load_u2);  // keeps stage 1's
    const ir::BlockId miss = Tree(u2, Keys(stages[1].consts.at(u2), t), f);
    std::vector<Key> keys;
    for (const auto& [k, target] : u1_keys) keys.push_back(Key{k, target});
    return Tree(u1, keys, miss);
  }

  // Any number of values: one stage after the other.
  ir::BlockId Staged(const std::vector<Stage>& stages, ir::BlockId t, ir::BlockId f) {
    ir::BlockId next = f;
    for (auto st = stages.rbegin(); st != stages.rend(); ++st) {
      for (auto v = st->order.rbegin(); v != st->order.rend(); ++v) {
        auto it = st->consts.find(*v);
        if (it == st->consts.end()) continue;
        next = Tree(*v, Keys(it->second, t), next);
      }
    }
    return next;
  }

  // Sorted, distinct keys, all going to `target`.
  static std::vector<Key> Keys(std::vector<uint32_t> ks, ir::BlockId target) {
    std::sort(ks.begin(), ks.end());
    ks.erase(std::unique(ks.begin(), ks.end()), ks.end());
    std::vector<Key> keys;
    for (uint32_t k : ks) keys.push_back(Key{k, target});
    return keys;
  }

  ir::BlockId Tree(ir::ValueId v, const std::vector<Key>& keys, ir::BlockId miss) {
    if (keys.size() <= opts_.linear_max) return Linear(v, keys, 0, keys.size(), miss);
    return Tree(v, keys, 0, keys.size(), miss);
  }

  ir::BlockId Linear(ir::ValueId v, const std::vector<Key>& keys, size_t lo, size_t hi,
                     ir::BlockId miss) {
    ir::BlockId next = miss;
    for (size_t i = hi; i-- > lo;)
      next = p_.AddBlock(ir::Test{v, ir::Cmp::kEq, v_.Const(keys[i].k)}, keys[i].target, next);
    return next;
  }

  ir::BlockId Tree(ir::ValueId v, const std::vector<Key>& keys, size_t lo, size_t hi,
                   ir::BlockId miss) {
    if (hi - lo <= kLinearLeaf) return Linear(v, keys, lo, hi, miss);
    const size_t mid = hi - shape_.NearSize(hi - lo);
    const ir::BlockId upper = Tree(v, keys, mid, hi, miss);
    const ir::BlockId lower = Tree(v, keys, lo, mid, miss);
    return p_.AddBlock(ir::Test{v, ir::Cmp::kGe, v_.Const(keys[mid].k)}, upper, lower);
  }

  ir::Program& p_;
  ir::Values& v_;
  SwitchTreeOptions opts_;
  std::vector<uint32_t> preds_;
  TreeShape shape_;
};

}  // namespace

bool BuildSwitchTrees(ir::Program& p, const SwitchTreeOptions& options) {
  return SwitchBuilder(p, options).Run();
}

}  // namespace bpfcap::opt
