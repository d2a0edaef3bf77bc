// ReduceProbes: tests that matter only for their loads.
//
// A test whose outcome is fixed whenever its loads succeed still decides one
// thing: a packet too short for the load is rejected there. Such a test is a
// probe: both edges go to the same block. Two rewrites:
//
//  1. A test decided by its own values (an IPv6 prefix's whole-zero mask
//     words: "(ld[26] & 0) == 0") becomes a probe:
//       b: (ld[26] & 0) == 0 ? S : F      →   b: probe ld[26] → S
//  2. A probe whose successor S loads, whatever the path through S's test,
//     at least as far into the packet (a fixed load ending at or past every
//     byte the probe reads) is redundant: a packet too short for the probe is
//     too short for S, which rejects it just the same, and nothing happens in
//     between. The probe takes S's place (its predecessors now run S):
//       p: probe ld[26] → q;  q: probe ld[30] → r   →   q: probe ld[30] → r
//
// Preconditions: none. Preserves verdicts on every packet, truncated ones
// included: a probe's only effect, rejecting when a load fails, is kept by
// the probe or by the load that subsumes it. The code generator emits a probe
// as just its widest load (see cbpf/codegen.cc).

#include <optional>

#include "compiler/opt/pass.h"

namespace bpfcap::opt {
namespace {

using ir::ValueId;
using ir::ValueKind;

// The value's constant if evaluating it always gives the same number when
// it succeeds (x & 0, x * 0), else nothing.
std::optional<uint32_t> IntrinsicConst(const ir::Values& v, ValueId id) {
  const ir::Value& x = v[id];
  if (x.kind == ValueKind::kConst) return x.k;
  if (x.kind == ValueKind::kBinary && v.IsConst(x.b) && v[x.b].k == 0 &&
      (x.op == ast::BinOp::kAnd || x.op == ast::BinOp::kMul)) {
    return 0u;
  }
  return std::nullopt;
}

std::optional<bool> DecideIfEvaluated(const ir::Values& v, const ir::Test& t) {
  if (ir::IsStore(t)) return std::nullopt;
  const auto l = IntrinsicConst(v, t.lhs), r = IntrinsicConst(v, t.rhs);
  if (!l || !r) return std::nullopt;
  return ir::Holds(t.cmp, *l, *r);
}

// Evaluating the value can fail only by loading past the end: no division,
// no indexed load.
bool OnlyFixedLoads(const ir::Values& v, ValueId id) {
  const ir::Value& x = v[id];
  switch (x.kind) {
    case ValueKind::kConst:
    case ValueKind::kLen:
    case ValueKind::kSlot: return true;
    case ValueKind::kLoad: return x.a == ir::kNoValue && x.k < ir::kNeverInPacket;
    case ValueKind::kIpHdrLen:
    case ValueKind::kProtoChain: return false;
    case ValueKind::kNeg: return OnlyFixedLoads(v, x.a);
    case ValueKind::kBinary:
      if (x.op == ast::BinOp::kDiv || x.op == ast::BinOp::kMod) return false;
      return OnlyFixedLoads(v, x.a) && OnlyFixedLoads(v, x.b);
  }
  return false;
}

// The furthest byte (end offset) a fixed load in the value reads; 0 if none.
uint32_t FixedEnd(const ir::Values& v, ValueId id) {
  const ir::Value& x = v[id];
  switch (x.kind) {
    case ValueKind::kLoad:
      if (x.a != ir::kNoValue) return FixedEnd(v, x.a);
      return x.k < ir::kNeverInPacket ? x.k + x.size : 0;
    case ValueKind::kNeg: return FixedEnd(v, x.a);
    case ValueKind::kBinary: return std::max(FixedEnd(v, x.a), FixedEnd(v, x.b));
    default: return 0;
  }
}

}  // namespace

bool ReduceProbes(ir::Program& p) {
  const ir::Values& v = p.values;
  bool changed = false;
  for (ir::BlockId b : p.Order()) {
    const ir::Block& blk = p.block(b);
    if (blk.t == blk.f) continue;
    if (std::optional<bool> d = DecideIfEvaluated(v, blk.test)) {
      const ir::BlockId to = *d ? blk.t : blk.f;
      p.SetEdges(b, to, to);
      changed = true;
    }
  }
  // Subsumed probes, innermost first (reverse order), so chains collapse.
  const std::vector<ir::BlockId> order = p.Order();
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    const ir::Block blk = p.block(*it);
    if (blk.t != blk.f || ir::IsLeaf(blk.t) || ir::IsStore(blk.test)) continue;
    if (!OnlyFixedLoads(v, blk.test.lhs) || !OnlyFixedLoads(v, blk.test.rhs)) continue;
    const uint32_t need = std::max(FixedEnd(v, blk.test.lhs), FixedEnd(v, blk.test.rhs));
    const ir::Block next = p.block(blk.t);
    const uint32_t has = std::max(FixedEnd(v, next.test.lhs), FixedEnd(v, next.test.rhs));
    if (need == 0 || has < need) continue;
    p.Replace(*it, next);
    changed = true;
  }
  return changed;
}

}  // namespace bpfcap::opt
