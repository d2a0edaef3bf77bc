// FoldBitTests: IR before and after, and the programs tcpdump users write.
#include <gtest/gtest.h>

#include "compiler/cbpf/cbpf.h"
#include "compiler/compile.h"
#include "compiler/ir.h"
#include "compiler/opt/pass.h"

namespace bpfcap {
namespace {

using ir::BlockId;
using ir::Cmp;

std::string Folded(uint32_t mask, uint32_t k) {
  ir::Program p;
  ir::Values& v = p.values;
  const ir::ValueId masked = v.Binary(ast::BinOp::kAnd, v.Load(1, ir::kNoValue, 47), v.Const(mask));
  const BlockId next = p.AddBlock(ir::Test{v.Len(), Cmp::kGt, v.Const(60)}, ir::kAccept, ir::kReject);
  p.entry = p.AddBlock(ir::Test{masked, Cmp::kEq, v.Const(k)}, next, ir::kReject);
  p.Compact();
  opt::FoldBitTests(p);
  p.Compact();
  return ir::Dump(p);
}

TEST(FoldBitTests, ZeroTestBecomesJsetWithEdgesSwapped) {
  EXPECT_EQ(Folded(0x12, 0),
            "entry: b0\n"
            "b0: ldb[47] & 0x12 ? reject : b1\n"
            "b1: len > 0x3c ? accept : reject\n");
}

TEST(FoldBitTests, OneBitEqualToItselfBecomesJset) {
  EXPECT_EQ(Folded(0x2, 0x2),
            "entry: b0\n"
            "b0: ldb[47] & 0x2 ? b1 : reject\n"
            "b1: len > 0x3c ? accept : reject\n");
}

TEST(FoldBitTests, OtherComparisonsStay) {
  // Two bits both set, a value of the masked field, a mask of 0 (decided
  // elsewhere: ReduceProbes): not a question of "any bit set".
  for (auto [mask, k] : {std::pair{0x12u, 0x12u}, {0xf0u, 0x40u}, {0u, 0u}}) {
    const std::string dump = Folded(mask, k);
    EXPECT_NE(dump.find(" == "), std::string::npos) << dump;
  }
}

TEST(FoldBitTests, TcpFlagsTestIsJsetAsInLibpcap) {
  CompileResult r = Compile("tcp[13] & 2 != 0", CompileOptions{});
  ASSERT_TRUE(r.diag.ok()) << r.diag.message;
  const std::string text = cbpf::DumpAsm(r.program);
  EXPECT_NE(text.find("ldb      [x + 27]\n(008) jset     #0x2 "), std::string::npos) << text;
  EXPECT_EQ(text.find("and "), std::string::npos) << text;
}

}  // namespace
}  // namespace bpfcap
