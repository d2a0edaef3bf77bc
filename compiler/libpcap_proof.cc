// libpcap's rules of proof; see libpcap_proof.h.
#include "compiler/libpcap_proof.h"

#include <algorithm>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace bpfcap {
namespace {

using ir::BlockId;
using ir::ValueId;

std::optional<uint32_t> FoldBoth(ast::BinOp op, uint32_t a, uint32_t b) {
  using ast::BinOp;
  switch (op) {
    case BinOp::kAdd: return a + b;
    case BinOp::kSub: return a - b;
    case BinOp::kMul: return a * b;
    case BinOp::kDiv: return b == 0 ? std::nullopt : std::optional<uint32_t>(a / b);
    case BinOp::kMod: return b == 0 ? std::nullopt : std::optional<uint32_t>(a % b);
    case BinOp::kAnd: return a & b;
    case BinOp::kOr: return a | b;
    case BinOp::kXor: return a ^ b;
    case BinOp::kLsh: return b < 32 ? std::optional<uint32_t>(a << b) : std::nullopt;
    case BinOp::kRsh: return b < 32 ? std::optional<uint32_t>(a >> b) : std::nullopt;
  }
  return std::nullopt;
}

// The value's constant as libpcap's folding sees it.
std::optional<uint32_t> ConstOf(const ir::Values& vals, ValueId id) {
  const ir::Value& v = vals[id];
  switch (v.kind) {
    case ir::ValueKind::kConst: return v.k;
    case ir::ValueKind::kBinary: return LibpcapFold(v.op, ConstOf(vals, v.a), ConstOf(vals, v.b));
    case ir::ValueKind::kNeg:
      if (auto a = ConstOf(vals, v.a)) return 0u - *a;
      return std::nullopt;
    default: return std::nullopt;
  }
}

// A load inside a relation, as MarkRelationLoads wraps it: x | 0.
bool IsMarkedLoad(const ir::Values& vals, ValueId id) {
  const ir::Value& v = vals[id];
  return v.kind == ir::ValueKind::kBinary && v.op == ast::BinOp::kOr &&
         vals[v.a].kind == ir::ValueKind::kLoad && vals.IsConst(v.b) && vals[v.b].k == 0;
}

// True if the value comes from a relation's arithmetic: it reads a marked
// load, or no load at all (`len`, constants).
bool FromRelation(const ir::Values& vals, ValueId id) {
  bool marked = false, unmarked = false;
  std::vector<ValueId> todo{id};
  while (!todo.empty()) {
    const ValueId v = todo.back();
    todo.pop_back();
    if (v == ir::kNoValue) continue;
    if (IsMarkedLoad(vals, v)) {
      marked = true;
      continue;
    }
    const ir::Value& val = vals[v];
    if (val.kind == ir::ValueKind::kLoad || val.kind == ir::ValueKind::kIpHdrLen) unmarked = true;
    if (val.kind == ir::ValueKind::kLoad || val.kind == ir::ValueKind::kBinary ||
        val.kind == ir::ValueKind::kNeg) {
      todo.push_back(val.a);
      if (val.kind == ir::ValueKind::kBinary) todo.push_back(val.b);
    }
  }
  return marked || !unmarked;
}

// What libpcap's accumulator holds at the end of a block that makes the
// test, as the key its optimizer compares tests by. A relation `x = k` is
// `x - k == 0` to it in the first pass, `x == k` after.
struct Acc {
  ValueId value;
  ValueId minus = ir::kNoValue;
  friend bool operator==(const Acc&, const Acc&) = default;
};
Acc AccOf(const ir::Values& vals, const ir::Test& t, bool first_pass) {
  if (first_pass && t.cmp == ir::Cmp::kEq && FromRelation(vals, t.lhs)) return {t.lhs, t.rhs};
  return {t.lhs};
}

// An edge taken on every path to some point: block `from`'s test came out
// `outcome`. Edges are facts by identity: two blocks making the same test
// are two facts.
struct Known {
  BlockId from;
  ir::Test test;
  bool outcome;
  friend bool operator==(const Known&, const Known&) = default;
};

// The outcome of test `t` where `known` holds: the same comparison of the
// same accumulator has the same outcome, and an accumulator equal to one
// constant is not equal to another.
std::optional<bool> Decide(const ir::Values& vals, const ir::Test& t,
                           const std::vector<Known>& known, bool first_pass) {
  const Acc acc = AccOf(vals, t, first_pass);
  for (const Known& k : known) {
    if (!(AccOf(vals, k.test, first_pass) == acc)) continue;
    if (k.test.cmp == t.cmp && k.test.rhs == t.rhs) return k.outcome;
    if (k.outcome && t.cmp == ir::Cmp::kEq && k.test.cmp == ir::Cmp::kEq &&
        vals.IsConst(t.rhs) && vals.IsConst(k.test.rhs)) {
      return false;
    }
  }
  return std::nullopt;
}

// The outcome of a test of constants, as libpcap's second round folds it.
std::optional<bool> DecideConstant(const ir::Values& vals, const ir::Test& t) {
  const std::optional<uint32_t> l = ConstOf(vals, t.lhs), r = ConstOf(vals, t.rhs);
  if (!l || !r) return std::nullopt;
  return ir::Holds(t.cmp, *l, *r);
}

// Facts common to both lists (the meet at a join).
std::vector<Known> Intersect(const std::vector<Known>& a, const std::vector<Known>& b) {
  std::vector<Known> out;
  for (const Known& k : a) {
    if (std::find(b.begin(), b.end(), k) != b.end()) out.push_back(k);
  }
  return out;
}

// The program's blocks, whose edges the model moves as libpcap's optimizer
// moves its own.
class Model {
 public:
  explicit Model(const ir::Program& p) : vals_(p.values), entry_(p.entry) {
    for (size_t i = 0; i < p.num_blocks(); ++i) blocks_.push_back(p.block(BlockId(i)));
  }

  // One pass; false when it changed nothing.
  bool Pass();
  // After the passes: whether libpcap's program is a lone reject.
  bool RejectsAll() const;

 private:
  static constexpr BlockId kNone = ir::kAccept - 1;
  BlockId& Next(BlockId b, bool outcome) { return outcome ? blocks_[b].t : blocks_[b].f; }
  Acc AccAt(BlockId b) const { return AccOf(vals_, blocks_[b].test, passes_ == 1); }
  void Analyze();
  bool Dominates(BlockId a, BlockId b) const;
  BlockId Thread(BlockId to, const std::vector<Known>& facts) const;
  bool PullUp(BlockId top, bool conjunction);

  const ir::Values& vals_;
  std::vector<ir::Block> blocks_;
  BlockId entry_;
  int passes_ = 0;
  // As found at the start of the pass (libpcap keeps them for the pass).
  std::vector<BlockId> order_;   // reverse post-order
  std::vector<BlockId> by_level_;  // leaves' parents first, the entry last
  std::vector<uint32_t> rank_;   // position in order_
  std::vector<BlockId> idom_;
  std::vector<std::vector<Known>> facts_;  // known on entering each block
  std::vector<std::vector<std::pair<BlockId, bool>>> preds_;
};

void Model::Analyze() {
  const size_t n = blocks_.size();
  // Post-order, true successor first; a block's level is its height above
  // the leaves.
  std::vector<BlockId> post;
  std::vector<uint32_t> level(n, 0);
  std::vector<uint8_t> state(n, 0);
  std::vector<std::pair<BlockId, int>> stack{{entry_, 0}};
  state[entry_] = 1;
  while (!stack.empty()) {
    auto& [b, step] = stack.back();
    if (step < 2) {
      const BlockId next = step == 0 ? blocks_[b].t : blocks_[b].f;
      ++step;
      if (!ir::IsLeaf(next) && state[next] == 0) {
        state[next] = 1;
        stack.push_back({next, 0});
      }
      continue;
    }
    for (BlockId s : {blocks_[b].t, blocks_[b].f}) {
      if (!ir::IsLeaf(s)) level[b] = std::max(level[b], level[s]);
    }
    ++level[b];
    post.push_back(b);
    stack.pop_back();
  }
  order_.assign(post.rbegin(), post.rend());
  by_level_ = order_;
  std::stable_sort(by_level_.begin(), by_level_.end(),
                   [&](BlockId a, BlockId b) { return level[a] < level[b]; });
  rank_.assign(n, UINT32_MAX);
  for (uint32_t i = 0; i < order_.size(); ++i) rank_[order_[i]] = i;
  preds_.assign(n, {});
  for (BlockId b : order_) {
    for (bool o : {true, false}) {
      const BlockId s = Next(b, o);
      if (!ir::IsLeaf(s)) preds_[s].push_back({b, o});
    }
  }
  // Dominators (Cooper, Harvey and Kennedy's iteration) and the edges
  // that dominate each block.
  idom_.assign(n, kNone);
  idom_[entry_] = entry_;
  for (bool changed = true; changed;) {
    changed = false;
    for (BlockId b : order_) {
      if (b == entry_) continue;
      BlockId d = kNone;
      for (auto [p, o] : preds_[b]) {
        if (idom_[p] == kNone) continue;
        if (d == kNone) { d = p; continue; }
        BlockId x = p;
        while (x != d) {
          while (rank_[x] > rank_[d]) x = idom_[x];
          while (rank_[d] > rank_[x]) d = idom_[d];
        }
      }
      if (d != idom_[b]) {
        idom_[b] = d;
        changed = true;
      }
    }
  }
  constexpr size_t kMaxFacts = 64;  // a bound; long chains need few facts
  facts_.assign(n, {});
  for (BlockId b : order_) {
    bool first = true;
    for (auto [p, o] : preds_[b]) {
      std::vector<Known> in = facts_[p];
      if (in.size() < kMaxFacts) in.push_back(Known{p, blocks_[p].test, o});
      facts_[b] = first ? std::move(in) : Intersect(facts_[b], in);
      first = false;
    }
  }
}

bool Model::Dominates(BlockId a, BlockId b) const {
  if (idom_[b] == kNone) return false;
  for (;;) {
    if (a == b) return true;
    if (b == entry_) return false;
    b = idom_[b];
  }
}

// Where an edge into `to` leads once it skips every test its facts decide
// (and every test whose two edges meet).
BlockId Model::Thread(BlockId to, const std::vector<Known>& facts) const {
  while (!ir::IsLeaf(to)) {
    const ir::Block& blk = blocks_[to];
    if (blk.t == blk.f) {
      to = blk.t;
      continue;
    }
    const std::optional<bool> d = Decide(vals_, blk.test, facts, passes_ == 1);
    if (!d) break;
    to = *d ? blk.t : blk.f;
  }
  return to;
}

// The pull-up: in a chain of tests that continues on `conjunction`'s
// outcome and leaves to one common exit, the first test of the value that
// every predecessor of the chain's top tests moves up, in front of the
// first test of another value.
bool Model::PullUp(BlockId top, bool conjunction) {
  const auto& preds = preds_[top];
  if (preds.empty()) return false;
  const Acc acc = AccAt(preds[0].first);
  for (auto [p, o] : preds) {
    if (!(AccAt(p) == acc)) return false;
  }
  const BlockId exit = Next(top, !conjunction);
  auto in_chain = [&](BlockId b) {
    return !ir::IsLeaf(b) && Next(b, !conjunction) == exit && Dominates(top, b);
  };
  BlockId* diff = blocks_[preds[0].first].t == top ? &blocks_[preds[0].first].t
                                                    : &blocks_[preds[0].first].f;
  bool at_top = true;
  for (;;) {
    if (!in_chain(*diff)) return false;
    if (!(AccAt(*diff) == acc)) break;
    diff = &Next(*diff, conjunction);
    at_top = false;
  }
  BlockId* same = &Next(*diff, conjunction);
  for (;;) {
    if (!in_chain(*same)) return false;
    if (AccAt(*same) == acc) break;
    same = &Next(*same, conjunction);
  }
  const BlockId pulled = *same;
  *same = Next(pulled, conjunction);
  Next(pulled, conjunction) = *diff;
  if (!at_top) {
    *diff = pulled;
    return true;
  }
  for (auto [p, o] : preds) {
    if (blocks_[p].t == top) {
      blocks_[p].t = pulled;
    } else {
      blocks_[p].f = pulled;
    }
  }
  return true;
}

bool Model::Pass() {
  ++passes_;
  bool changed = false;
  const BlockId entry = Thread(entry_, {});
  if (entry != entry_) {
    entry_ = entry;
    changed = true;
  }
  if (ir::IsLeaf(entry_)) return changed;
  Analyze();
  for (auto it = order_.rbegin(); it != order_.rend(); ++it) {
    for (bool o : {true, false}) {
      std::vector<Known> facts = facts_[*it];
      facts.push_back(Known{*it, blocks_[*it].test, o});
      const BlockId to = Thread(Next(*it, o), facts);
      if (to != Next(*it, o)) {
        Next(*it, o) = to;
        changed = true;
      }
    }
  }
  // The pull-ups see the edges as threading left them, and the rest as it
  // was at the start of the pass.
  for (auto& p : preds_) p.clear();
  for (BlockId b : order_) {
    for (bool o : {true, false}) {
      const BlockId s = Next(b, o);
      if (!ir::IsLeaf(s)) preds_[s].push_back({b, o});
    }
  }
  for (BlockId b : by_level_) {
    if (PullUp(b, false)) changed = true;
    if (PullUp(b, true)) changed = true;
  }
  return changed;
}

bool Model::RejectsAll() const {
  // The second round folds tests of constants, but moves no edge: only a
  // chain of them from the entry changes the program's start.
  BlockId b = entry_;
  if (ir::IsLeaf(b)) return b == ir::kReject;
  while (!ir::IsLeaf(b)) {
    const ir::Block& blk = blocks_[b];
    const std::optional<bool> d = blk.t == blk.f ? true : DecideConstant(vals_, blk.test);
    if (!d) break;
    b = *d ? blk.t : blk.f;
  }
  if (b == ir::kReject) return true;
  // Every block that leads only to reject is skipped by the edges into it
  // in the passes, so a program whose accept is unreachable is a reject.
  std::vector<uint8_t> seen(blocks_.size(), 0);
  std::vector<BlockId> stack{entry_};
  seen[entry_] = 1;
  while (!stack.empty()) {
    const ir::Block& blk = blocks_[stack.back()];
    stack.pop_back();
    for (BlockId s : {blk.t, blk.f}) {
      if (s == ir::kAccept) return false;
      if (!ir::IsLeaf(s) && !seen[s]) {
        seen[s] = 1;
        stack.push_back(s);
      }
    }
  }
  return true;
}

}  // namespace

std::optional<uint32_t> LibpcapFold(ast::BinOp op, std::optional<uint32_t> a,
                                    std::optional<uint32_t> b) {
  using ast::BinOp;
  if (a && b) return FoldBoth(op, *a, *b);
  if (b && *b == 0 && (op == BinOp::kMul || op == BinOp::kAnd)) return 0u;
  if (a && *a == 0) {
    switch (op) {
      case BinOp::kMul: case BinOp::kDiv: case BinOp::kMod:
      case BinOp::kAnd: case BinOp::kLsh: case BinOp::kRsh:
        return 0u;
      default:
        break;
    }
  }
  return std::nullopt;
}

void MarkRelationLoads(ast::Ast* tree) {
  // libpcap's `byte N op M` loads as a protocol test does; its load node
  // spans the keyword and N, where every other load has brackets.
  auto is_byte = [&](const ast::Node* n) {
    return tree->text.substr(n->range.begin, n->range.end - n->range.begin).find('[') ==
           std::string_view::npos;
  };
  std::unordered_map<const ast::Node*, ast::Node*> wrapped;  // a node may have two parents
  std::vector<ast::Node**> todo{&tree->root};
  while (!todo.empty()) {
    ast::Node** slot = todo.back();
    todo.pop_back();
    ast::Node* n = *slot;
    if (!n) continue;
    if (auto it = wrapped.find(n); it != wrapped.end()) {
      if (it->second) *slot = it->second;
      continue;
    }
    ast::Node*& wrapper = wrapped[n];
    if (n->lhs) todo.push_back(&n->lhs);
    if (n->rhs) todo.push_back(&n->rhs);
    if (n->kind != ast::Kind::kLoad || is_byte(n)) continue;
    wrapper = ast::MakeArith(*tree, ast::BinOp::kOr, n, tree->New(ast::Kind::kNum, n->range));
    *slot = wrapper;
  }
}

bool LibpcapProvesRejectsAll(const ir::Program& p) {
  // libpcap does not optimize a program that walks a protochain (its loop
  // jumps backwards), so it never refuses one. (Lowering makes the value
  // even where a link type makes the test constant.)
  // Nor through scratch memory: where slots hold offsets (geneve), it
  // proves nothing (the lowering says so too: LowerInfo::runtime_offsets).
  for (size_t i = 0; i < p.values.size(); ++i) {
    const ir::ValueKind kind = p.values[ir::ValueId(i)].kind;
    if (kind == ir::ValueKind::kProtoChain || kind == ir::ValueKind::kSlot) return false;
  }
  if (ir::IsLeaf(p.entry)) return p.entry == ir::kReject;
  Model model(p);
  constexpr int kMaxPasses = 100;
  // The first pass always counts as a change (it rewrites relations).
  model.Pass();
  for (int i = 1; i < kMaxPasses && model.Pass(); ++i) {
  }
  return model.RejectsAll();
}

}  // namespace bpfcap
