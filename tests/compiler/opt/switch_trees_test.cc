// BuildSwitchTrees: chains of equality tests in, search trees out (IR text,
// as --dump=ir prints it), and end to end, chains of `host`, `port` and
// `net` terms keep every verdict of the unoptimized program, truncated
// packets included, while running at most 40 instructions at N = 1,000.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "compiler/cbpf/cbpf.h"
#include "compiler/compile.h"
#include "compiler/ir.h"
#include "compiler/opt/pass.h"

namespace bpfcap {
namespace {

// "v_1 == c_1 ? accept : v_2 == c_2 ? accept : ... : reject", with loads of
// 4 bytes at the given offsets.
ir::Program Chain(const std::vector<std::pair<uint32_t, uint32_t>>& tests) {
  ir::Program p;
  ir::BlockId next = ir::kReject;
  for (size_t i = tests.size(); i-- > 0;) {
    const ir::ValueId v = p.values.Load(4, ir::kNoValue, tests[i].first);
    next = p.AddBlock(ir::Test{v, ir::Cmp::kEq, p.values.Const(tests[i].second)}, ir::kAccept, next);
  }
  p.entry = next;
  p.Compact();
  return p;
}

struct Case {
  const char* name;
  std::vector<std::pair<uint32_t, uint32_t>> chain;
  const char* after;
};

const Case kCases[] = {
    {"short chains stay linear",
     {{26, 1}, {30, 1}, {26, 2}, {30, 2}},
     "entry: b0\n"
     "b0: ld[26] == 0x1 ? accept : b1\n"
     "b1: ld[30] == 0x1 ? accept : b2\n"
     "b2: ld[26] == 0x2 ? accept : b3\n"
     "b3: ld[30] == 0x2 ? accept : reject\n"},
    {"two values",
     {{26, 1}, {30, 1}, {26, 2}, {30, 2}, {26, 3}, {30, 3}, {26, 4}, {30, 4}, {26, 5}, {30, 5}},
     "entry: b0\n"
     "b0: ld[26] >= 0x3 ? b1 : b4\n"
     "b1: ld[26] == 0x3 ? b6 : b2\n"
     "b2: ld[26] == 0x4 ? b6 : b3\n"
     "b3: ld[26] == 0x5 ? b6 : b7\n"
     "b4: ld[26] == 0x1 ? accept : b5\n"
     "b5: ld[26] == 0x2 ? b6 : b7\n"
     "b6: ld[30] == 0 ? accept : accept\n"
     "b7: ld[30] >= 0x3 ? b8 : b11\n"
     "b8: ld[30] == 0x3 ? accept : b9\n"
     "b9: ld[30] == 0x4 ? accept : b10\n"
     "b10: ld[30] == 0x5 ? accept : reject\n"
     "b11: ld[30] == 0x1 ? accept : b12\n"
     "b12: ld[30] == 0x2 ? accept : reject\n"},
    {"one value",
     {{26, 9}, {26, 1}, {26, 8}, {26, 2}, {26, 7}, {26, 3}, {26, 6}, {26, 4}, {26, 5}},
     "entry: b0\n"
     "b0: ld[26] >= 0x5 ? b1 : b7\n"
     "b1: ld[26] >= 0x7 ? b2 : b5\n"
     "b2: ld[26] == 0x7 ? accept : b3\n"
     "b3: ld[26] == 0x8 ? accept : b4\n"
     "b4: ld[26] == 0x9 ? accept : reject\n"
     "b5: ld[26] == 0x5 ? accept : b6\n"
     "b6: ld[26] == 0x6 ? accept : reject\n"
     "b7: ld[26] >= 0x3 ? b8 : b10\n"
     "b8: ld[26] == 0x3 ? accept : b9\n"
     "b9: ld[26] == 0x4 ? accept : reject\n"
     "b10: ld[26] == 0x1 ? accept : b11\n"
     "b11: ld[26] == 0x2 ? accept : reject\n"},
    {"stage 1 holds several constants, stage 2 repeats one",
     {{26, 1}, {26, 2}, {30, 1}, {26, 2}, {26, 3}, {30, 3}, {26, 4}, {30, 4}},
     "entry: b0\n"
     "b0: ld[26] >= 0x3 ? b1 : b4\n"
     "b1: ld[26] == 0x3 ? b3 : b2\n"
     "b2: ld[26] == 0x4 ? b3 : b6\n"
     "b3: ld[30] == 0 ? accept : accept\n"
     "b4: ld[26] == 0x1 ? accept : b5\n"
     "b5: ld[26] == 0x2 ? accept : b6\n"
     "b6: ld[30] == 0x1 ? accept : b7\n"
     "b7: ld[30] == 0x3 ? accept : b8\n"
     "b8: ld[30] == 0x4 ? accept : reject\n"},
    {"three values go stage by stage",
     {{26, 1}, {30, 1}, {34, 1}, {26, 2}, {30, 2}, {34, 2}, {26, 3}, {30, 3}, {34, 3}},
     "entry: b0\n"
     "b0: ld[26] == 0x1 ? accept : b1\n"
     "b1: ld[30] == 0x1 ? accept : b2\n"
     "b2: ld[34] == 0x1 ? accept : b3\n"
     "b3: ld[34] == 0x2 ? accept : b4\n"
     "b4: ld[34] == 0x3 ? accept : b5\n"
     "b5: ld[26] == 0x2 ? accept : b6\n"
     "b6: ld[26] == 0x3 ? accept : b7\n"
     "b7: ld[30] == 0x2 ? accept : b8\n"
     "b8: ld[30] == 0x3 ? accept : reject\n"},
};

// Trees from small chains: thresholds lowered so that the shapes fit here.
TEST(BuildSwitchTrees, ChainsBecomeTrees) {
  opt::SwitchTreeOptions small;
  small.min_chain = 8;
  small.linear_max = 3;
  for (const Case& c : kCases) {
    ir::Program p = Chain(c.chain);
    opt::BuildSwitchTrees(p, small);
    EXPECT_EQ(ir::Dump(p), c.after) << c.name;
  }
}

// With the default thresholds, medium chains become staged runs: each value
// loaded once per stage, a match first tested after the second load still
// loading it (the probe "ld[30] == 0 ? accept : accept").
TEST(BuildSwitchTrees, MediumChainsBecomeStagedRuns) {
  ir::Program p = Chain({{26, 1}, {30, 1}, {26, 2}, {30, 2}, {26, 3}, {30, 3}});
  opt::BuildSwitchTrees(p);
  EXPECT_EQ(ir::Dump(p),
            "entry: b0\n"
            "b0: ld[26] == 0x1 ? accept : b1\n"
            "b1: ld[26] == 0x2 ? b3 : b2\n"
            "b2: ld[26] == 0x3 ? b3 : b4\n"
            "b3: ld[30] == 0 ? accept : accept\n"
            "b4: ld[30] == 0x1 ? accept : b5\n"
            "b5: ld[30] == 0x2 ? accept : b6\n"
            "b6: ld[30] == 0x3 ? accept : reject\n");
}

// --- End to end ------------------------------------------------------------

enum class Kind { kHost, kPort, kNet };

// The i-th key of a chain and the expression of N terms, as the benchmark
// writes them: 10.0.0.1, ...; 1000, ...; 10.0.0.0/24, ...
uint32_t Key(Kind kind, uint32_t i) {
  switch (kind) {
    case Kind::kHost: return 0x0a000000 + i + 1;
    case Kind::kPort: return 1000 + i;
    case Kind::kNet: return 0x0a000000 + (i << 8) + 7;  // an address in net i
  }
  return 0;
}

std::string Expr(Kind kind, uint32_t n) {
  std::string e;
  for (uint32_t i = 0; i < n; ++i) {
    if (i > 0) e += " or ";
    const uint32_t k = Key(kind, i);
    auto dotted = [](uint32_t a) {
      return std::to_string(a >> 24) + "." + std::to_string((a >> 16) & 255) + "." +
             std::to_string((a >> 8) & 255) + "." + std::to_string(a & 255);
    };
    switch (kind) {
      case Kind::kHost: e += "host " + dotted(k); break;
      case Kind::kPort: e += "port " + std::to_string(k); break;
      case Kind::kNet: e += "net " + dotted(k & 0xffffff00) + "/24"; break;
    }
  }
  return e;
}

void Put(std::vector<uint8_t>& b, size_t at, uint32_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) b[at + i] = uint8_t(v >> (8 * (bytes - 1 - i)));
}

// Ethernet frames carrying the two values a chain tests.
std::vector<uint8_t> Ipv4(uint8_t proto, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport) {
  std::vector<uint8_t> b(14 + 20 + 20, 0);
  Put(b, 12, 0x0800, 2);
  b[14] = 0x45;
  Put(b, 16, 40, 2);
  b[22] = 64;
  b[23] = proto;
  Put(b, 26, src, 4);
  Put(b, 30, dst, 4);
  Put(b, 34, sport, 2);
  Put(b, 36, dport, 2);
  return b;
}

std::vector<uint8_t> Ipv6(uint8_t proto, uint16_t sport, uint16_t dport) {
  std::vector<uint8_t> b(14 + 40 + 20, 0);
  Put(b, 12, 0x86dd, 2);
  b[14] = 0x60;
  Put(b, 18, 20, 2);
  b[20] = proto;
  b[21] = 64;
  Put(b, 54, sport, 2);
  Put(b, 56, dport, 2);
  return b;
}

std::vector<uint8_t> Arp(uint32_t spa, uint32_t tpa) {
  std::vector<uint8_t> b(14 + 28, 0);
  Put(b, 12, 0x0806, 2);
  Put(b, 14, 1, 2);
  Put(b, 16, 0x0800, 2);
  b[18] = 6;
  b[19] = 4;
  Put(b, 20, 1, 2);
  Put(b, 28, spa, 4);
  Put(b, 38, tpa, 4);
  return b;
}

// Frames where the source, the destination, both or neither is key i.
std::vector<std::vector<uint8_t>> Frames(Kind kind, uint32_t i, uint32_t n) {
  const uint32_t k = Key(kind, i), other = Key(kind, (i * 7 + 3) % n);
  const uint32_t miss = kind == Kind::kPort ? 7 : 0xc0a80001;
  std::vector<std::pair<uint32_t, uint32_t>> pairs = {{k, miss}, {miss, k}, {k, other}, {miss, miss}};
  std::vector<std::vector<uint8_t>> out;
  for (auto [a, b] : pairs) {
    if (kind == Kind::kPort) {
      out.push_back(Ipv4(6, 0x0a000001, 0x0a000002, uint16_t(a), uint16_t(b)));
      out.push_back(Ipv4(17, 0x0a000001, 0x0a000002, uint16_t(a), uint16_t(b)));
      out.push_back(Ipv6(6, uint16_t(a), uint16_t(b)));
    } else {
      out.push_back(Ipv4(6, a, b, 80, 80));
      out.push_back(Arp(a, b));
    }
  }
  return out;
}

TEST(BuildSwitchTrees, ChainsKeepEveryVerdictAndRunFewInstructions) {
  const CompileOptions opt{.optimize = true};
  const CompileOptions unopt{.optimize = false};
  for (Kind kind : {Kind::kHost, Kind::kPort, Kind::kNet}) {
    for (uint32_t n : {10u, 300u, 1000u}) {
      const std::string expr = Expr(kind, n);
      const std::string what = expr.substr(0, 40) + "... N=" + std::to_string(n);
      CompileResult fast = Compile(expr, opt), slow = Compile(expr, unopt);
      ASSERT_TRUE(fast.diag.ok() && slow.diag.ok()) << what;
      const uint64_t longest = cbpf::LongestPath(fast.program);
      if (n == 1000) {
        EXPECT_LE(longest, 40u) << what;
      }
      int accepted = 0;
      for (uint32_t i = 0; i < n; ++i) {
        for (const std::vector<uint8_t>& frame : Frames(kind, i, n)) {
          const uint32_t len = uint32_t(frame.size());
          // Every truncation for some keys, the whole frame for all.
          for (uint32_t cap = i % 25 == 0 ? 0 : len; cap <= len; ++cap) {
            uint64_t ran = 0;
            const uint32_t got = cbpf::Run(fast.program, frame.data(), len, cap, &ran);
            const uint32_t want = cbpf::Run(slow.program, frame.data(), len, cap);
            ASSERT_EQ(got, want) << what << ": key " << i << ", caplen " << cap;
            ASSERT_LE(ran, longest) << what;
            accepted += got != 0 && cap == len;
          }
        }
      }
      EXPECT_GT(accepted, int(n)) << what;  // the keys do match
    }
  }
}

}  // namespace
}  // namespace bpfcap
