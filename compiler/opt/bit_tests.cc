// BitTests: a masked comparison that only asks whether bits are set
// becomes a bit test, cBPF's jset (libpcap emits it too):
//
//   (ldb[47] & 0x2) == 0 ? T : F      →   ldb[47] & 0x2 ? F : T
//   (ldb[47] & 0x2) == 0x2 ? T : F    →   ldb[47] & 0x2 ? T : F   (one bit)
//
// so "tcp[13] & 2 != 0" is `ldb; jset` instead of `ldb; and; jeq`.
//
// Preconditions: none. Preserves verdicts on every packet: both forms load
// the same bytes and hold on the same values. Runs once, last: the passes
// that learn path facts see the comparisons as the lowering built them.

#include "compiler/opt/pass.h"

namespace bpfcap::opt {

bool FoldBitTests(ir::Program& p) {
  ir::Values& v = p.values;
  bool changed = false;
  for (ir::BlockId b : p.Order()) {
    const ir::Block blk = p.block(b);
    const ir::Test& t = blk.test;
    if (t.cmp != ir::Cmp::kEq || !v.IsConst(t.rhs)) continue;
    const ir::Value& lhs = v[t.lhs];
    if (lhs.kind != ir::ValueKind::kBinary || lhs.op != ast::BinOp::kAnd || !v.IsConst(lhs.b)) continue;
    const uint32_t mask = v[lhs.b].k, k = v[t.rhs].k;
    const bool one_bit = mask != 0 && (mask & (mask - 1)) == 0;
    if (mask == 0 || (k != 0 && !(one_bit && k == mask))) continue;
    const ir::Test bits{lhs.a, ir::Cmp::kSet, lhs.b};
    p.Replace(b, k == 0 ? ir::Block{bits, blk.f, blk.t} : ir::Block{bits, blk.t, blk.f});
    changed = true;
  }
  return changed;
}

}  // namespace bpfcap::opt
