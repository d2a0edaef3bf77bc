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
#include "tests/diff/rng.h"

namespace bpfcap::difftest {
namespace {

constexpr const char* kRejectsAll = "expression rejects all packets";

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

// The README's examples and their near misses: what libpcap 1.10.3 does,
// and what bpfcap does.
struct Case {
  int dlt;
  const char* expr;
  bool libpcap_refuses;
  bool bpfcap_refuses;
};
const Case kCases[] = {
    // A test pulled up through a chain of conjunctions (README).
    {DLT_EN10MB, "(ether[0]=1 or ether[0]=2) and ether[1]=5 and ether[0]=3", true, true},
    {DLT_EN10MB, "(ether[0]=1 or ether[0]=2) and ether[1]=5 and ether[2]=5 and ether[0]=3", true, true},
    {DLT_ARCNET, "ip proto \\tcp and ip6 proto \\tcp", true, true},
    {DLT_EN10MB, "ip proto \\tcp and ip6 proto \\tcp", true, true},
    // No pull-up through a negation, another OR, a test of the same value,
    // or when the chain's top has a predecessor testing another value.
    {DLT_EN10MB, "(ether[0]=1 or ether[0]=2) and not ether[1]=5 and ether[0]=3", false, false},
    {DLT_EN10MB, "(ether[0]=1 or ether[0]=2) and (ether[1]=5 or ether[2]=5) and ether[0]=3", false, false},
    {DLT_EN10MB, "(ether[0]=1 or ether[0]=2) and ether[0]>0 and ether[1]=5 and ether[0]=3", false, false},
    {DLT_EN10MB, "(ether[0]=1 or (ether[0]=2 and ether[2]=2)) and ether[1]=5 and ether[0]=3", false, false},
    {DLT_EN10MB, "(ether[0]=1 or (ether[2]=2 and ether[0]=2)) and ether[1]=5 and ether[0]=3", true, true},
    // Facts are edges: the same test in two blocks proves nothing at a join.
    {DLT_EN10MB, "((ether[0]=1 or ether[1]=1) and (ether[1]=1 and not (not ether[1]>3 or ether[1]!=2)))", false, false},
    // A pull-up with the pass's stale dominators: libpcap's program then
    // accepts packets with ether[0] = 3 (a miscompilation).
    {DLT_EN10MB, "((ether[0]>3 and ((ether[0]=2 or ether[0]=3) and ether[0]=3)) and (ether[1]=1 and ether[0]=2))", false, false},
    // A relation's load is not a protocol test's, even of the same bytes;
    // `byte` loads as protocol tests do.
    {DLT_EN10MB, "ether proto 0x800 and ether[12:2]!=0x800", false, false},
    {DLT_EN10MB, "ether[12:2]=0x800 and ether[12:2]=0x86dd", true, true},
    {DLT_EN10MB, "ip[9]=6 and ip proto \\udp", false, false},
    {DLT_EN10MB, "byte 12 = 8 and ether[12]=9", false, false},
    {DLT_EN10MB, "byte 12 = 8 and ether[12]=8 and byte 12 = 9", true, true},
    {DLT_EN10MB, "len > 100 and less 100", true, true},
    // Tests of constants decide only from the program's start.
    {DLT_EN10MB, "16 = 2 + 3 and len = 1", true, true},
    {DLT_EN10MB, "len = 1 and 16 = 2 + 3", false, false},
    {DLT_EN10MB, "ether[0]=1 and ether[0]*0 = 1", false, false},
    // A transport-layer index, whose protocol check has an IPv6 branch
    // (lowered as libpcap builds it), on ARCNET too, where `ip` is two tests.
    {DLT_EN10MB, "tcp[13]=2 and tcp[13]=3", true, true},
    {DLT_ARCNET, "tcp[13]=2 and tcp[13]=3", true, true},
    // After `vlan`, through a negated transport-layer index (a false
    // refusal while the lowering left out the index's IPv6 branch).
    {DLT_EN10MB, "(vlan or tcp) and (not tcp[13]&2!=0 and tcp[13]&2!=0)", false, false},
};

TEST(RejectsAll, Examples) {
  for (const Case& c : kCases) {
    Libpcap lp(c.dlt, 262144);
    EXPECT_EQ(LibpcapRejectsAll(lp, c.expr), c.libpcap_refuses) << c.expr;
    EXPECT_EQ(OursRejectsAll(c.expr, c.dlt), c.bpfcap_refuses) << c.expr;
  }
}

// A vocabulary of tests for the generator.
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
  std::printf("%s, link type %d: %zu expressions, %zu refused by libpcap; bpfcap: %zu false "
              "refusals, %zu missed\n",
              v.name, dlt, size_t(count), refused, false_refusals, missed);
  EXPECT_EQ(false_refusals, 0u);
  EXPECT_EQ(missed, 0u);
}

TEST(RejectsAll, ByteChains) { AgreeOnCorpus(Bytes(), DLT_EN10MB, 10000); }
TEST(RejectsAll, RelationChains) { AgreeOnCorpus(Relations(), DLT_EN10MB, 5000); }
TEST(RejectsAll, ProtocolChains) { AgreeOnCorpus(Protocols(true), DLT_EN10MB, 5000); }
TEST(RejectsAll, ProtocolChainsOnArcnet) { AgreeOnCorpus(Protocols(false), DLT_ARCNET, 5000); }

}  // namespace
}  // namespace bpfcap::difftest
