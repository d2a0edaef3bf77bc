// The IR's run-time variables (slots) and store blocks: their meaning in
// ir::Eval, the invariant ir::Verify enforces, what the passes may and may
// not do with a store, and both back ends' code for them (the initial 0
// where a path reads a slot first, checked by the kernel-strict validator,
// the interpreter and the kernel's verifier).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "compiler/cbpf/assemble.h"
#include "compiler/cbpf/cbpf.h"
#include "compiler/cbpf/codegen.h"
#include "compiler/compile.h"
#include "compiler/ir.h"
#include "compiler/ir_verify.h"
#include "compiler/opt/facts.h"
#include "compiler/opt/pass.h"

namespace bpfcap {
namespace {

using ir::BlockId;
using ir::Cmp;
using ir::ValueId;

// "P[0] == 1 ? (M0 := P[1]) : nothing; then P[M0 + 2] == 7": the byte read
// depends on the path, and M0 is 0 on the path that skips the store.
struct Indirect {
  ir::Program p;
  Indirect() {
    ir::Values& v = p.values;
    const BlockId test = p.AddBlock(ir::Test{v.Load(1, v.Slot(0), 2), Cmp::kEq, v.Const(7)}, ir::kAccept,
                                    ir::kReject);
    const BlockId store = p.AddStore(0, v.Load(1, ir::kNoValue, 1), test);
    p.entry = p.AddBlock(ir::Test{v.Load(1, ir::kNoValue, 0), Cmp::kEq, v.Const(1)}, store, test);
    p.Compact();
  }
};

bool EvalBytes(const ir::Program& p, const std::vector<uint8_t>& pkt) {
  return ir::Eval(p, pkt.data(), uint32_t(pkt.size()), uint32_t(pkt.size()));
}

TEST(Slots, EvalReadsTheStoredValueOrZero) {
  const Indirect x;
  // Stored: M0 = 3, so P[5] is read.
  EXPECT_TRUE(EvalBytes(x.p, {1, 3, 0, 0, 0, 7}));
  EXPECT_FALSE(EvalBytes(x.p, {1, 3, 7, 0, 0, 0}));
  // Not stored: M0 = 0, so P[2] is read.
  EXPECT_TRUE(EvalBytes(x.p, {0, 3, 7, 0, 0, 0}));
  EXPECT_FALSE(EvalBytes(x.p, {0, 3, 0, 0, 0, 7}));
  // The stored value's load fails: reject, as any failed load does.
  EXPECT_FALSE(EvalBytes(x.p, {1}));
}

TEST(Slots, DumpShowsTheStore) {
  const Indirect x;
  EXPECT_EQ(ir::Dump(x.p),
            "entry: b0\n"
            "b0: ldb[0] == 0x1 ? b1 : b2\n"
            "b1: M0 := ldb[1]; b2\n"
            "b2: ldb[M0 + 2] == 0x7 ? accept : reject\n");
  EXPECT_EQ(ir::Verify(x.p), "");
}

TEST(Slots, VerifyRefusesAReadBeforeTheStore) {
  ir::Program p;
  ir::Values& v = p.values;
  const BlockId store = p.AddStore(0, v.Const(4), ir::kAccept);
  p.entry = p.AddBlock(ir::Test{v.Slot(0), Cmp::kEq, v.Const(0)}, store, ir::kReject);
  EXPECT_EQ(ir::Verify(p), "b0 stores M0, which a path to it has already read or stored");
}

TEST(Slots, VerifyRefusesASecondStoreOnAPath) {
  ir::Program p;
  ir::Values& v = p.values;
  const BlockId second = p.AddStore(0, v.Const(4), ir::kAccept);
  p.entry = p.AddStore(0, v.Const(5), second);
  EXPECT_EQ(ir::Verify(p), "b0 stores M0, which a path to it has already read or stored");
}

TEST(Slots, VerifyRefusesAStoreIntoAValueOrWithTwoSuccessors) {
  ir::Program p;
  ir::Values& v = p.values;
  p.entry = p.AddBlock(ir::Test{v.Len(), Cmp::kStore, v.Const(1)}, ir::kAccept, ir::kAccept);
  EXPECT_EQ(ir::Verify(p).substr(0, 15), "b0 stores into ");
  ir::Program q;
  q.entry = q.AddBlock(ir::Test{q.values.Slot(1), Cmp::kStore, q.values.Const(1)}, ir::kAccept, ir::kReject);
  EXPECT_EQ(ir::Verify(q), "b0 is a store with two different successors");
}

TEST(Slots, ReadBeforeStoredIsPerPath) {
  const Indirect x;
  EXPECT_EQ(ir::SlotsReadBeforeStored(x.p), ir::SlotSet{1});  // the path that skips the store
  // Stored on both paths first: no initial value needed.
  ir::Program p;
  ir::Values& v = p.values;
  const BlockId test = p.AddBlock(ir::Test{v.Slot(3), Cmp::kEq, v.Const(7)}, ir::kAccept, ir::kReject);
  const BlockId a = p.AddStore(3, v.Const(7), test);
  const BlockId b = p.AddStore(3, v.Const(8), test);
  p.entry = p.AddBlock(ir::Test{v.Len(), Cmp::kGt, v.Const(60)}, a, b);
  EXPECT_EQ(ir::Verify(p), "");
  EXPECT_EQ(ir::SlotsReadBeforeStored(p), ir::SlotSet{0});
}

TEST(Slots, AStoreForgetsFactsAboutItsSlot) {
  ir::Values v;
  const ValueId m0 = v.Slot(0), m1 = v.Slot(1);
  const ValueId at_m0 = v.Load(2, m0, 4), at_m1 = v.Load(2, m1, 4), plain = v.Load(2, ir::kNoValue, 12);
  opt::Facts f;
  for (ValueId id : {at_m0, at_m1, plain}) f = f.After(v, ir::Test{id, Cmp::kEq, v.Const(5)}, true);
  const opt::Facts after = f.After(v, ir::Test{m0, Cmp::kStore, v.Const(9)}, true);
  EXPECT_EQ(after.Find(at_m0), nullptr);
  EXPECT_NE(after.Find(at_m1), nullptr);
  EXPECT_NE(after.Find(plain), nullptr);
}

TEST(Slots, PassesKeepStores) {
  // A store looks like a probe (one successor) whose value cannot fail:
  // neither ThreadBranches nor ReduceProbes may drop it.
  ir::Program p;
  ir::Values& v = p.values;
  const BlockId test = p.AddBlock(ir::Test{v.Slot(0), Cmp::kEq, v.Const(14)}, ir::kAccept, ir::kReject);
  const BlockId store = p.AddStore(0, v.Const(14), test);
  p.entry = p.AddBlock(ir::Test{v.Load(1, ir::kNoValue, 0), Cmp::kEq, v.Const(1)}, store, ir::kReject);
  p.Compact();
  std::string error;
  opt::OptimizeOptions o;
  o.check = true;
  o.error = &error;
  EXPECT_TRUE(opt::Optimize(p, o)) << error;
  EXPECT_NE(ir::Dump(p).find(":= 0xe"), std::string::npos) << ir::Dump(p);
  EXPECT_TRUE(EvalBytes(p, {1}));
  EXPECT_FALSE(EvalBytes(p, {2}));
}

cbpf::Program Classic(const ir::Program& p) {
  cbpf::SymProgram sym;
  Diag diag;
  EXPECT_TRUE(cbpf::Generate(p, 65535, &sym, &diag)) << diag.message;
  cbpf::Program out;
  std::string error;
  EXPECT_TRUE(cbpf::Assemble(sym, &out, &error)) << error;
  EXPECT_TRUE(cbpf::Validate(out, &error, {.kernel_limits = true})) << error;  // the kernel's rule on M[]
  return out;
}

TEST(Slots, ClassicStoresZeroOnlyWhereAPathReadsFirst) {
  const Indirect x;
  const cbpf::Program prog = Classic(x.p);
  const std::string text = cbpf::DumpAsm(prog);
  EXPECT_EQ(text.substr(0, 41), "(000) ld       #0x0\n(001) st       M[15]\n") << text;
  // The same verdicts as the IR on every packet of a small exhaustive set.
  for (uint8_t a : {0, 1, 2})
    for (uint8_t b : {0, 1, 3})
      for (uint8_t c : {0, 7})
        for (uint8_t d : {0, 7})
          for (size_t len = 0; len <= 6; ++len) {
            std::vector<uint8_t> pkt = {a, b, c, 0, d, 7};
            pkt.resize(len);
            const bool want = EvalBytes(x.p, pkt);
            const uint32_t got = cbpf::Run(prog, pkt.data(), uint32_t(len), uint32_t(len));
            EXPECT_EQ(got != 0, want) << int(a) << " " << int(b) << " len " << len;
          }
}

TEST(Slots, GeneveStoresOnlyWhatIsRead) {
  auto classic = [](const char* expr) {
    CompileResult r = Compile(expr, CompileOptions{});
    EXPECT_TRUE(r.diag.ok()) << expr << ": " << r.diag.message;
    std::string error;
    EXPECT_TRUE(cbpf::Validate(r.program, &error, {.kernel_limits = true})) << expr << ": " << error;
    return cbpf::DumpAsm(r.program);
  };
  // Nothing after "geneve" reads its offsets: no stores at all.
  const std::string alone = classic("geneve");
  EXPECT_EQ(alone.find("st       M["), std::string::npos) << alone;
  // "geneve and tcp" reads the inner protocol field and network layer,
  // always after the stores: no initial zeros.
  const std::string and_text = classic("geneve and tcp");
  EXPECT_NE(and_text.find("st       M["), std::string::npos) << and_text;
  EXPECT_NE(and_text.substr(0, 20), "(000) ld       #0x0\n") << and_text;
  // "geneve or tcp": tcp reads the slots when geneve failed, so they start
  // as 0 (libpcap's program reads them unset, which the kernel refuses).
  const std::string or_text = classic("geneve or tcp");
  EXPECT_EQ(or_text.substr(0, 20), "(000) ld       #0x0\n") << or_text;
}

}  // namespace
}  // namespace bpfcap
