// ir::Verify: accepts what lowering builds, names each broken invariant.
#include "compiler/ir_verify.h"

#include <gtest/gtest.h>

namespace bpfcap::ir {
namespace {

TEST(IrVerify, AcceptsLeafOnlyAndChains) {
  Program p;
  EXPECT_EQ(Verify(p), "");
  ValueId ether = p.values.Load(2, kNoValue, 12);
  BlockId b1 = p.AddBlock(ir::Test{ether, Cmp::kEq, p.values.Const(0x86dd)}, kAccept, kReject);
  p.entry = p.AddBlock(ir::Test{ether, Cmp::kEq, p.values.Const(0x800)}, kAccept, b1);
  EXPECT_EQ(Verify(p), "");
}

TEST(IrVerify, FindsACycle) {
  Program p;
  ValueId v = p.values.Load(1, kNoValue, 0);
  BlockId a = p.AddBlock(ir::Test{v, Cmp::kEq, p.values.Const(1)}, kAccept, kReject);
  BlockId b = p.AddBlock(ir::Test{v, Cmp::kEq, p.values.Const(2)}, a, kReject);
  p.SetEdges(a, b, kReject);  // a -> b -> a
  p.entry = a;
  EXPECT_EQ(Verify(p), "cycle: b1 leads back to b0");
}

TEST(IrVerify, FindsAnEdgeToNowhere) {
  Program p;
  ValueId v = p.values.Load(1, kNoValue, 0);
  p.entry = p.AddBlock(ir::Test{v, Cmp::kEq, p.values.Const(1)}, kAccept, kReject);
  p.SetEdges(p.entry, 7, kReject);
  EXPECT_EQ(Verify(p), "b0 has an edge to b7, which does not exist");
}

TEST(IrVerify, FindsAMissingValue) {
  Program p;
  p.entry = p.AddBlock(ir::Test{42, Cmp::kEq, p.values.Const(1)}, kAccept, kReject);
  EXPECT_EQ(Verify(p), "b0 tests value v42, which does not exist");
}

TEST(IrVerify, FindsABadLoadSize) {
  Program p;
  ValueId v = p.values.Load(3, kNoValue, 0);
  p.entry = p.AddBlock(ir::Test{v, Cmp::kEq, p.values.Const(1)}, kAccept, kReject);
  EXPECT_EQ(Verify(p), "load v0 reads 3 bytes");
}

}  // namespace
}  // namespace bpfcap::ir
