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

// A vocabulary of tests for the generator.
struct Vocabulary {
  const char* name;
  std::vector<std::string> tests;
};

// Tests of ether[0] (most often), ether[1] and ether[2], compared mostly for
// equality with 1, 2 or 3.
Vocabulary Bytes() {
  Vocabulary v{"bytes", {}};
  const char* const kFields[] = {"ether[0]", "ether[0]", "ether[0]", "ether[1]", "ether[1]", "ether[2]"};
  const char* const kRels[] = {"=", "=", "=", "=", "!=", ">"};
  for (const char* f : kFields) {
    for (const char* r : kRels) {
      for (const char* k : {"1", "2", "3"}) v.tests.push_back(std::string(f) + r + k);
    }
  }
  return v;
}

// Every relation, and masks.
Vocabulary Relations() {
  Vocabulary v{"relations", {}};
  for (const char* f : {"ether[0]", "ether[0]", "ether[1]", "ether[0]&1", "ether[0]&3"}) {
    for (const char* r : {"=", "!=", ">", "<", ">=", "<="}) {
      for (const char* k : {"0", "1", "2", "3"}) v.tests.push_back(std::string(f) + r + k);
    }
  }
  return v;
}

// Protocol tests beside relations of the same fields: libpcap compiles a
// relation differently from a protocol test until its second round.
Vocabulary Protocols(bool ethernet) {
  Vocabulary v{"protocols",
               {"ip", "ip6", "arp", "ip", "ip6", "tcp", "udp", "icmp", "ip proto \\tcp",
                "ip6 proto \\tcp", "ip proto \\udp", "ip[9]=6", "ip[9]=17", "ip[9]>6",
                "link[0]=1", "link[0]=2", "link[0]&1!=0", "tcp port 80", "udp port 53",
                "port 80", "tcp[13]=2", "tcp[13]&2!=0", "byte 0 = 1", "byte 0 = 2", "len > 100",
                "less 100", "greater 60", "len = 60"}};
  if (ethernet) {
    for (const char* t : {"ether proto 0x800", "ether proto 0x86dd", "ether[12:2]=0x800",
                          "ether[12:2]=0x86dd", "ether[12:2]!=0x806", "ether[12:2]>0x800", "vlan",
                          "ether multicast"}) {
      v.tests.push_back(t);
    }
  }
  return v;
}

class Generator {
 public:
  Generator(uint64_t seed, const Vocabulary& v) : r_(seed), v_(v) {}

  std::string Expression() { return Bool(2 + int(r_.Below(5))); }

 private:
  // `leaves` tests under and/or/not.
  std::string Bool(int leaves) {
    std::string e;
    if (leaves <= 1) {
      e = v_.tests[r_.Below(v_.tests.size())];
    } else {
      const int left = 1 + int(r_.Below(size_t(leaves - 1)));
      e = "(" + Bool(left) + (r_.Below(2) ? " and " : " or ") + Bool(leaves - left) + ")";
    }
    return r_.Below(6) == 0 ? "not " + e : e;
  }

  Rng r_;
  const Vocabulary& v_;
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

void AgreeOnCorpus(const Vocabulary& v, int dlt, uint64_t count) {
  const uint64_t seed = EnvNumber("BPFCAP_REJECTS_ALL_SEED", 20240604);
  count = EnvNumber("BPFCAP_REJECTS_ALL_COUNT", count);
  const bool verbose = EnvNumber("BPFCAP_REJECTS_ALL_VERBOSE", 0) != 0;
  Generator gen(seed, v);
  Libpcap lp(dlt, 262144);
  size_t refused = 0, false_refusals = 0, missed = 0;
  for (uint64_t i = 0; i < count; ++i) {
    const std::string expr = gen.Expression();
    const bool theirs = LibpcapRejectsAll(lp, expr);
    const bool ours = OursRejectsAll(expr, dlt);
    refused += theirs;
    if (theirs == ours) continue;
    (ours ? false_refusals : missed)++;
    if (verbose || false_refusals + missed <= 10) {
      std::printf("%s: %s\n", ours ? "false refusal" : "missed refusal", expr.c_str());
    }
  }
  std::printf("%s, link type %d: %zu expressions, %zu refused by libpcap; bpfcap: %zu false refusals, %zu missed\n",
              v.name, dlt, size_t(count), refused, false_refusals, missed);
  EXPECT_EQ(false_refusals, 0u);
  EXPECT_EQ(missed, 0u);
}

TEST(RejectsAll, ByteChains) { AgreeOnCorpus(Bytes(), DLT_EN10MB, 4000); }
TEST(RejectsAll, RelationChains) { AgreeOnCorpus(Relations(), DLT_EN10MB, 4000); }
TEST(RejectsAll, ProtocolChains) { AgreeOnCorpus(Protocols(true), DLT_EN10MB, 4000); }
TEST(RejectsAll, ProtocolChainsOnArcnet) { AgreeOnCorpus(Protocols(false), DLT_ARCNET, 4000); }

}  // namespace
}  // namespace bpfcap::difftest
