// ReduceProbes: IR text before and after, as --dump=ir prints it.
#include <gtest/gtest.h>

#include "compiler/cbpf/cbpf.h"
#include "compiler/compile.h"
#include "compiler/ir.h"
#include "compiler/opt/pass.h"

namespace bpfcap {
namespace {

using ir::BlockId;
using ir::Cmp;

TEST(ReduceProbes, ZeroMaskWordsBecomeOneProbe) {
  // An IPv6 /32 source prefix: the first word compared, three words masked
  // with 0, as lowering builds it.
  ir::Program p;
  ir::Values& v = p.values;
  auto zero_word = [&](uint32_t off) {
    return v.Binary(ast::BinOp::kAnd, v.Load(4, ir::kNoValue, off), v.Const(0));
  };
  BlockId b = p.AddBlock(ir::Test{zero_word(34), Cmp::kEq, v.Const(0)}, ir::kAccept, ir::kReject);
  b = p.AddBlock(ir::Test{zero_word(30), Cmp::kEq, v.Const(0)}, b, ir::kReject);
  b = p.AddBlock(ir::Test{zero_word(26), Cmp::kEq, v.Const(0)}, b, ir::kReject);
  p.entry = p.AddBlock(ir::Test{v.Load(4, ir::kNoValue, 22), Cmp::kEq, v.Const(0x20010db8)}, b,
                       ir::kReject);
  p.Compact();
  ASSERT_TRUE(opt::ReduceProbes(p));
  opt::Simplify(p);
  EXPECT_EQ(ir::Dump(p),
            "entry: b0\n"
            "b0: ld[22] == 0x20010db8 ? b1 : reject\n"
            "b1: (ld[34] & 0) == 0 ? accept : accept\n");
}

TEST(ReduceProbes, ProbeBeforeAShorterLoadStays) {
  // The probe reads to byte 38; the next test only to 26: removing the probe
  // would accept packets of 26..37 bytes that the probe rejects.
  ir::Program p;
  ir::Values& v = p.values;
  BlockId next = p.AddBlock(ir::Test{v.Load(4, ir::kNoValue, 22), Cmp::kEq, v.Const(1)}, ir::kAccept,
                            ir::kReject);
  p.entry = p.AddBlock(ir::Test{v.Load(4, ir::kNoValue, 34), Cmp::kEq, v.Const(0)}, next, next);
  p.Compact();
  EXPECT_FALSE(opt::ReduceProbes(p));
  EXPECT_EQ(ir::Dump(p),
            "entry: b0\n"
            "b0: ld[34] == 0 ? b1 : b1\n"
            "b1: ld[22] == 0x1 ? accept : reject\n");
}

TEST(ReduceProbes, CompiledPrefixLoadsOnlyTheLastWord) {
  CompileResult r = Compile("ip6 src net 2001:db8::/32", CompileOptions{});
  ASSERT_TRUE(r.diag.ok());
  const std::string text = cbpf::DumpAsm(r.program);
  EXPECT_EQ(text,
            "(000) ldh      [12]\n"
            "(001) jeq      #0x86dd          jt 2\tjf 6\n"
            "(002) ld       [22]\n"
            "(003) jeq      #0x20010db8      jt 4\tjf 6\n"
            "(004) ld       [34]\n"
            "(005) ret      #262144\n"
            "(006) ret      #0\n");
}

}  // namespace
}  // namespace bpfcap
