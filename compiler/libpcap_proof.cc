// libpcap's rules of proof; see libpcap_proof.h.
#include "compiler/libpcap_proof.h"

#include <algorithm>
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

// An outcome known on every path: test `test` came out `outcome`.
struct Known {
  ir::Test test;
  bool outcome;
  friend bool operator==(const Known&, const Known&) = default;
};

std::optional<bool> Decide(const ir::Values& vals, const ir::Test& t,
                           const std::vector<Known>& known) {
  if (auto l = ConstOf(vals, t.lhs)) {
    if (auto r = ConstOf(vals, t.rhs)) {
      switch (t.cmp) {
        case ir::Cmp::kEq: return *l == *r;
        case ir::Cmp::kGt: return *l > *r;
        case ir::Cmp::kGe: return *l >= *r;
        case ir::Cmp::kSet: return (*l & *r) != 0;
        case ir::Cmp::kStore: return std::nullopt;
      }
    }
  }
  for (const Known& k : known) {
    if (k.test == t) return k.outcome;
    if (k.outcome && t.cmp == ir::Cmp::kEq && k.test.cmp == ir::Cmp::kEq &&
        k.test.lhs == t.lhs && vals.IsConst(t.rhs) && vals.IsConst(k.test.rhs)) {
      return false;  // known equal to another constant
    }
  }
  return std::nullopt;
}

// Facts common to both lists (the meet at a join).
std::vector<Known> Intersect(const std::vector<Known>& a, const std::vector<Known>& b) {
  std::vector<Known> out;
  for (const Known& k : a) {
    if (std::find(b.begin(), b.end(), k) != b.end()) out.push_back(k);
  }
  return out;
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
  // As libpcap's optimizer moves each edge past the tests it decides, the
  // proof threads every edge with that edge's facts (those known on every
  // path to it, plus its own outcome), then asks whether accept is still
  // reachable. Blocks go in reverse post-order, so all edges into a block
  // are threaded before its own facts are needed.
  const std::vector<BlockId> order = p.Order();
  std::vector<std::optional<std::vector<Known>>> in(p.num_blocks());
  constexpr size_t kMaxFacts = 64;  // a bound; long chains need few facts
  auto resolve = [&](BlockId b, const std::vector<Known>& facts) {
    while (!ir::IsLeaf(b)) {
      const ir::Block& blk = p.block(b);
      const std::optional<bool> d = Decide(p.values, blk.test, facts);
      if (!d) break;
      b = *d ? blk.t : blk.f;
    }
    return b;
  };
  const BlockId entry = resolve(p.entry, {});
  if (ir::IsLeaf(entry)) return entry == ir::kReject;
  in[entry] = std::vector<Known>{};
  for (BlockId b : order) {
    if (!in[b]) continue;  // unreachable under the proof
    const ir::Block& blk = p.block(b);
    const std::vector<Known> facts = std::move(*in[b]);
    for (bool outcome : {true, false}) {
      std::vector<Known> after = facts;
      if (after.size() < kMaxFacts) after.push_back(Known{blk.test, outcome});
      const BlockId next = resolve(outcome ? blk.t : blk.f, after);
      if (next == ir::kAccept) return false;
      if (next == ir::kReject) continue;
      in[next] = in[next] ? Intersect(*in[next], after) : std::move(after);
    }
  }
  return true;
}

}  // namespace bpfcap
