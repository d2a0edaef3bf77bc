// The optimizer pipeline in checking mode: after every pass the IR verifies
// and the verdicts on sample packets are unchanged, for every expression of
// the differential corpus on two link types.
#include <gtest/gtest.h>

#include "compiler/compile.h"
#include "compiler/ir.h"
#include "compiler/opt/pass.h"
#include "tests/diff/corpus.h"

namespace bpfcap {
namespace {

TEST(OptimizerPipeline, EveryPassKeepsTheIrValidAndTheVerdicts) {
  const auto& corpus = difftest::Corpus();
  ASSERT_FALSE(corpus.empty());
  size_t checked = 0;
  for (int dlt : {1, 12}) {
    for (const auto& e : corpus) {
      CompileOptions plain;
      plain.dlt = dlt;
      if (!Compile(e.expr, plain).diag.ok()) continue;
      CompileOptions checking = plain;
      checking.check_passes = true;
      CompileResult r = Compile(e.expr, checking);
      EXPECT_TRUE(r.diag.ok()) << "DLT " << dlt << ": " << e.expr << ": " << r.diag.message;
      ++checked;
    }
  }
  EXPECT_GT(checked, 1000u);
}

// The check can fail: flipped edges change verdicts, a dangling edge breaks
// the IR.
TEST(OptimizerPipeline, CheckerCatchesBrokenPrograms) {
  ir::Program before;
  const ir::ValueId v = before.values.Load(2, ir::kNoValue, 12);
  before.entry =
      before.AddBlock(ir::Test{v, ir::Cmp::kEq, before.values.Const(0x800)}, ir::kAccept, ir::kReject);
  EXPECT_EQ(opt::CompareOnSamples(before, before), "");
  ir::Program flipped = before;
  flipped.SetEdges(flipped.entry, ir::kReject, ir::kAccept);
  EXPECT_NE(opt::CompareOnSamples(before, flipped).find("changed the verdict"), std::string::npos);
  ir::Program dangling = before;
  dangling.SetEdges(dangling.entry, 99, ir::kReject);
  EXPECT_NE(opt::CompareOnSamples(before, dangling).find("broke the IR"), std::string::npos);
}

}  // namespace
}  // namespace bpfcap
