// "expression rejects all packets": bpfcap refuses exactly the expressions
// libpcap 1.10.3 refuses (compiler/libpcap_proof.h), on a generated corpus
// of the shapes where libpcap's proof is subtle: chains of and/or/not over
// tests of a few fields against a few constants, where a field tested
// against one constant is later tested against another.
//
// Deterministic: BPFCAP_REJECTS_ALL_SEED and BPFCAP_REJECTS_ALL_COUNT change
// the seed and the number of expressions; BPFCAP_REJECTS_ALL_VERBOSE=1
// prints every disagreement (not only the first few).
#include <pcap/pcap.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/diff/compilers.h"

namespace bpfcap::difftest {
namespace {

constexpr const char* kRejectsAll = "expression rejects all packets";

// splitmix64: small, seedable, the same everywhere.
class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed) {}
  uint64_t Next() {
    uint64_t z = (s_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  size_t Below(size_t n) { return size_t(Next() % n); }

 private:
  uint64_t s_;
};

uint64_t EnvNumber(const char* name, uint64_t fallback) {
  const char* s = std::getenv(name);
  return s ? std::strtoull(s, nullptr, 0) : fallback;
}

// Expressions over ether[0] (most often), ether[1] and ether[2], compared
// mostly for equality with 1, 2 or 3, joined by and/or/not.
class Generator {
 public:
  explicit Generator(uint64_t seed) : r_(seed) {}

  std::string Expression() { return Bool(2 + int(r_.Below(5))); }

 private:
  std::string Test() {
    static const char* const kFields[] = {"ether[0]", "ether[0]", "ether[0]", "ether[1]",
                                          "ether[1]", "ether[2]"};
    static const char* const kRels[] = {"=", "=", "=", "=", "!=", ">"};
    static const char* const kConsts[] = {"1", "2", "3"};
    return std::string(kFields[r_.Below(6)]) + kRels[r_.Below(6)] + kConsts[r_.Below(3)];
  }

  // `leaves` tests under and/or/not.
  std::string Bool(int leaves) {
    std::string e;
    if (leaves <= 1) {
      e = Test();
    } else {
      const int left = 1 + int(r_.Below(size_t(leaves - 1)));
      e = "(" + Bool(left) + (r_.Below(2) ? " and " : " or ") + Bool(leaves - left) + ")";
    }
    return r_.Below(6) == 0 ? "not " + e : e;
  }

  Rng r_;
};

bool LibpcapRejectsAll(Libpcap& lp, const std::string& expr) {
  const Compiled c = lp.Compile(expr, /*optimize=*/true, 0);
  EXPECT_TRUE(c.ok || c.error == kRejectsAll) << expr << ": libpcap: " << c.error;
  return !c.ok;
}

bool OursRejectsAll(const std::string& expr, int dlt) {
  const Compiled c = OursCompile(expr, dlt, 262144, /*optimize=*/true, 0);
  EXPECT_TRUE(c.ok || c.error.find(kRejectsAll) != std::string::npos)
      << expr << ": bpfcap: " << c.error;
  return !c.ok;
}

// The README's examples and their near misses, beside the generated corpus.
struct Case {
  int dlt;
  const char* expr;
  bool refused;  // by libpcap 1.10.3
};
const Case kCases[] = {
    {DLT_EN10MB, "(ether[0]=1 or ether[0]=2) and ether[1]=5 and ether[0]=3", true},
    {DLT_EN10MB, "(ether[0]=1 or ether[0]=2) and ether[0]=3", true},
    {DLT_ARCNET, "ip proto \\tcp and ip6 proto \\tcp", true},
    {DLT_EN10MB, "ip proto \\tcp and ip6 proto \\tcp", true},
};

TEST(RejectsAll, Examples) {
  for (const Case& c : kCases) {
    Libpcap lp(c.dlt, 262144);
    EXPECT_EQ(LibpcapRejectsAll(lp, c.expr), c.refused) << c.expr;
    EXPECT_EQ(OursRejectsAll(c.expr, c.dlt), c.refused) << c.expr;
  }
}

TEST(RejectsAll, GeneratedChainsAgreeWithLibpcap) {
  const uint64_t seed = EnvNumber("BPFCAP_REJECTS_ALL_SEED", 20240604);
  const uint64_t count = EnvNumber("BPFCAP_REJECTS_ALL_COUNT", 4000);
  const bool verbose = EnvNumber("BPFCAP_REJECTS_ALL_VERBOSE", 0) != 0;
  Generator gen(seed);
  Libpcap lp(DLT_EN10MB, 262144);
  size_t refused = 0, false_refusals = 0, missed = 0;
  for (uint64_t i = 0; i < count; ++i) {
    const std::string expr = gen.Expression();
    const bool theirs = LibpcapRejectsAll(lp, expr);
    const bool ours = OursRejectsAll(expr, DLT_EN10MB);
    refused += theirs;
    if (theirs == ours) continue;
    (ours ? false_refusals : missed)++;
    if (verbose || false_refusals + missed <= 10) {
      std::printf("%s: %s\n", ours ? "false refusal" : "missed refusal", expr.c_str());
    }
  }
  std::printf("%zu expressions, %zu refused by libpcap; bpfcap: %zu false refusals, %zu missed\n",
              size_t(count), refused, false_refusals, missed);
  EXPECT_EQ(false_refusals, 0u);
  EXPECT_EQ(missed, 0u);
}

}  // namespace
}  // namespace bpfcap::difftest
