// The optimizer pipeline: passes in order, to a fixed point, bounded.
//
// With OptimizeOptions::check (tests), every pass is followed by ir::Verify
// and by a verdict re-check: the program before and after the pass must
// give the same verdict (ir::Eval) on a sample of packets built from the
// program's own offsets and constants, whole and cut short. A pass that
// breaks either stops the pipeline with a message.

#include <algorithm>
#include <string>
#include <vector>

#include "compiler/ir_verify.h"
#include "compiler/opt/pass.h"

namespace bpfcap::opt {
namespace {

struct Sample {
  std::vector<uint8_t> bytes;
  uint32_t wirelen;
};

// Packets that exercise the program: each fixed load's offset gets each
// constant the program compares with (in the load's width), over a few
// backgrounds, at several capture lengths.
std::vector<Sample> MakeSamples(const ir::Program& p) {
  std::vector<std::pair<uint32_t, uint8_t>> loads;  // offset, size
  std::vector<uint32_t> consts = {0, 1, 0xffffffff};
  uint32_t end = 64;
  for (ir::BlockId b : p.Order()) {
    const ir::Test& t = p.block(b).test;
    for (ir::ValueId id : {t.lhs, t.rhs}) {
      const ir::Value& v = p.values[id];
      if (v.kind == ir::ValueKind::kConst) consts.push_back(v.k);
      if (v.kind == ir::ValueKind::kLoad && v.a == ir::kNoValue && v.k < 1024) {
        loads.emplace_back(v.k, v.size);
        end = std::max(end, v.k + v.size);
      }
    }
  }
  std::sort(consts.begin(), consts.end());
  consts.erase(std::unique(consts.begin(), consts.end()), consts.end());
  if (consts.size() > 24) consts.resize(24);
  std::vector<Sample> out;
  uint32_t seed = 0x2545f491;
  auto next = [&] { return seed = seed * 1103515245u + 12345u; };
  for (int round = 0; round < 24; ++round) {
    std::vector<uint8_t> pkt(end);
    for (uint8_t& x : pkt) x = static_cast<uint8_t>(round % 3 == 0 ? 0 : next() >> 24);
    for (const auto& [off, size] : loads) {
      if (next() % 2) continue;
      const uint32_t k = consts[next() % consts.size()];
      for (uint8_t i = 0; i < size; ++i) pkt[off + i] = static_cast<uint8_t>(k >> (8 * (size - 1 - i)));
    }
    for (uint32_t cut : {end, end * 3 / 4, end / 2, end / 4, uint32_t(0)}) {
      out.push_back(Sample{std::vector<uint8_t>(pkt.begin(), pkt.begin() + cut), end});
    }
  }
  return out;
}

class Checker {
 public:
  Checker(const ir::Program& p, bool on, std::string* error)
      : on_(on), error_(error), samples_(on ? MakeSamples(p) : std::vector<Sample>{}) {
    if (on_) Record(p);
  }
  // After a pass: false (with *error) if it broke the program.
  bool After(const ir::Program& p, const char* pass) {
    if (!on_) return true;
    if (std::string e = ir::Verify(p); !e.empty()) {
      *error_ = std::string(pass) + " broke the IR: " + e;
      return false;
    }
    for (size_t i = 0; i < samples_.size(); ++i) {
      const Sample& s = samples_[i];
      const bool got = ir::Eval(p, s.bytes.data(), s.wirelen, uint32_t(s.bytes.size()));
      if (got != verdicts_[i]) {
        *error_ = std::string(pass) + " changed the verdict on a " +
                  std::to_string(s.bytes.size()) + "-byte sample";
        return false;
      }
    }
    return true;
  }

 private:
  void Record(const ir::Program& p) {
    for (const Sample& s : samples_) {
      verdicts_.push_back(ir::Eval(p, s.bytes.data(), s.wirelen, uint32_t(s.bytes.size())));
    }
  }
  bool on_;
  std::string* error_;
  std::vector<Sample> samples_;
  std::vector<bool> verdicts_;
};

}  // namespace

std::string CompareOnSamples(const ir::Program& before, const ir::Program& after) {
  std::string error;
  Checker check(before, true, &error);
  return check.After(after, "the change") ? "" : error;
}

bool Optimize(ir::Program& p, const OptimizeOptions& options) {
  constexpr int kMaxRounds = 32;
  std::string ignored;
  std::string* error = options.error ? options.error : &ignored;
  p.Compact();
  Checker check(p, options.check, error);
  // Last, for the code generator: bit tests (facts are learned from the
  // comparisons the lowering built).
  auto finish = [&] {
    if (FoldBitTests(p)) p.Compact();
    return check.After(p, "FoldBitTests");
  };
  bool probes_reduced = false;
  for (int round = 0; round < kMaxRounds; ++round) {
    bool changed = false;
    changed |= ThreadBranches(p);
    if (!check.After(p, "ThreadBranches")) return false;
    changed |= Simplify(p);
    if (!check.After(p, "Simplify")) return false;
    if (!changed && !probes_reduced) {
      // Probes that a later load subsumes go, and threading runs again:
      // an edge may now reach a test its facts decide.
      probes_reduced = true;
      changed = ReduceProbes(p);
      if (!check.After(p, "ReduceProbes")) return false;
    }
    if (!changed) {
      const bool trees = BuildSwitchTrees(p);
      if (!check.After(p, "BuildSwitchTrees")) return false;
      if (ReduceProbes(p) || trees) {
        if (!check.After(p, "ReduceProbes")) return false;
        // (A probe, or a tree's load-only block, may now lead straight to
        // reject: it rejects either way.)
        ThreadBranches(p);
        Simplify(p);
        if (!check.After(p, "ThreadBranches")) return false;
      }
      return finish();
    }
  }
  finish();
  return false;
}

}  // namespace bpfcap::opt
