// Expression fuzzer against libpcap: random expressions from a small grammar,
// then mutated token by token (dropped, doubled, swapped, replaced), so that
// both well-formed filters nobody wrote by hand and near-misses reach both
// compilers.
//
// For each expression, link type and mode:
//   - libpcap rejects it  → bpfcap must reject it too;
//   - libpcap accepts it  → bpfcap must accept it, unless it says the feature
//     is not supported yet (issue 4) or refuses an index beyond any IP packet
//     on purpose (both counted, not failed);
//   - both accept         → same verdict on every packet of a sample, with
//     optimized programs held to libpcap's unoptimized verdict where
//     libpcap's optimizer changed its own (see diff_test.cc).
// Also: bpfcap never crashes or throws, and every program it returns passes
// cbpf::Validate.
//
// Deterministic: BPFCAP_FUZZ_SEED and BPFCAP_FUZZ_COUNT change the seed and
// the number of expressions (default 700) for longer runs. The expressions
// use no host or service names that would need DNS.
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "compiler/cbpf/cbpf.h"
#include "tests/diff/compilers.h"
#include "tests/diff/packets.h"
#include "tests/diff/rng.h"

namespace bpfcap::difftest {
namespace {

const char* const kProtos[] = {"ether", "ip", "ip6", "arp", "rarp", "tcp", "udp", "sctp",
                               "icmp", "icmp6", "igmp", "pim", "vrrp", "ah", "esp", "igrp",
                               "carp", "atalk", "aarp", "decnet", "lat", "sca", "mopdl",
                               "moprc", "iso", "esis", "isis", "clnp", "l1", "l2", "iih",
                               "lsp", "snp", "csnp", "psnp", "stp", "ipx", "netbeui"};
const char* const kIndexable[] = {"ether", "ip", "ip6", "arp", "tcp", "udp", "icmp", "icmp6",
                                  "sctp", "igmp", "pim", "vrrp", "atalk", "decnet", "lat"};
const char* const kDirs[] = {"src", "dst", "src or dst", "src and dst"};
const char* const kHosts[] = {"10.0.0.1", "10.0.0.2", "192.168.1.1", "255.255.255.255",
                              "fe80::1", "2001:db8::1", "::1", "localhost", "127.0.0.1"};
const char* const kNets[] = {"10.0.0.0/8", "10", "192.168", "192.168.1.0/24", "0.0.0.0/0",
                             "2001:db8::/32", "fe80::/10", "10.0.0.0 mask 255.0.0.0",
                             "172.16.0.0/12", "10.0.0.1/32"};
const char* const kPorts[] = {"80", "53", "443", "22", "0", "65535", "http", "domain", "ssh"};
const char* const kRanges[] = {"1-1024", "80-80", "1024-65535", "20-21", "http-443"};
const char* const kMacs[] = {"00:11:22:33:44:55", "ff:ff:ff:ff:ff:ff", "01:00:5e:00:00:01"};
const char* const kNums[] = {"0", "1", "2", "3", "4", "6", "14", "17", "20", "0x45", "0xff",
                             "0x1fff", "255", "256", "65535", "0x800", "1500", "4294967295",
                             "013", "tcpflags", "tcp-syn", "tcp-ack", "icmptype",
                             "icmp-echo", "icmp-echoreply", "icmp6type"};
const char* const kArith[] = {"+", "-", "*", "/", "%", "&", "|", "^", "<<", ">>"};
const char* const kRel[] = {"=", "==", "!=", "<", "<=", ">", ">="};
const char* const kSizes[] = {"1", "2", "4"};
// Extra tokens for mutations: the rest of the everyday language.
const char* const kTokens[] = {"and", "or", "not", "(", ")", "[", "]", ":", "!", "&&", "||",
                               "host", "net", "port", "portrange", "proto", "broadcast",
                               "multicast", "less", "greater", "len", "mask", "/", "\\tcp",
                               "\\udp", "\\icmp", "\\ip", "\\arp", "-", "src", "dst", "ip6", "vlan", "mpls",
                               "tcp", "80", "10.0.0.1", "::", "1:2", "0"};

class Generator {
 public:
  explicit Generator(uint64_t seed) : r_(seed) {}

  std::string Expression() {
    std::string e = Bool(0);
    if (r_.OneIn(2)) e = Mutate(e);
    return e;
  }

 private:
  std::string Arith(int depth) {
    switch (depth > 2 ? r_.Below(2) : r_.Below(6)) {
      case 0: return r_.Pick(kNums);
      case 1: return Load(depth);
      case 2: return Arith(depth + 1) + " " + r_.Pick(kArith) + " " + Arith(depth + 1);
      case 3: return "(" + Arith(depth + 1) + ")";
      case 4: return r_.OneIn(2) ? "len" : "-" + Arith(depth + 1);
      default: return Load(depth);
    }
  }

  static bool ReadsPacket(const std::string& arith) {
    return arith.find('[') != std::string::npos || arith.find("len") != std::string::npos;
  }

  std::string Load(int depth) {
    std::string s = std::string(r_.Pick(kIndexable)) + "[" +
                    (depth > 1 ? std::string(r_.Pick(kNums)) : Arith(depth + 1));
    if (r_.OneIn(2)) s += std::string(":") + r_.Pick(kSizes);
    return s + "]";
  }

  std::string Primitive() {
    std::string q;
    auto qual = [&](bool proto, bool dir) {
      q.clear();
      if (proto) q += std::string(r_.Pick(kProtos)) + " ";
      if (dir) q += std::string(r_.Pick(kDirs)) + " ";
    };
    switch (r_.Below(13)) {
      case 0: qual(r_.OneIn(3), r_.OneIn(2)); return q + "host " + r_.Pick(kHosts);
      case 1: qual(r_.OneIn(3), r_.OneIn(2)); return q + "net " + r_.Pick(kNets);
      case 2: qual(r_.OneIn(2), r_.OneIn(2)); return q + "port " + r_.Pick(kPorts);
      case 3: qual(r_.OneIn(2), r_.OneIn(2)); return q + "portrange " + r_.Pick(kRanges);
      case 4: qual(false, r_.OneIn(2)); return "ether " + q + "host " + r_.Pick(kMacs);
      case 5: return r_.Pick(kProtos);
      case 6: {
        // At least one side reads the packet: a relation between
        // constants decides only at the program's start in libpcap
        // (libpcap_proof.h), which rejects_all_test.cc covers.
        std::string l = Arith(0), r = Arith(0);
        if (!ReadsPacket(l) && !ReadsPacket(r)) l = Load(0);
        return l + " " + r_.Pick(kRel) + " " + r;
      }
      case 7: return std::string(r_.OneIn(2) ? "ip" : "ip6") + " proto " +
                     (r_.OneIn(2) ? std::string(r_.Pick(kNums)) : "\\tcp");
      case 8: return std::string(r_.OneIn(2) ? "less " : "greater ") + r_.Pick(kNums);
      case 9: return std::string(r_.OneIn(2) ? "ether" : "ip") +
                     (r_.OneIn(2) ? " broadcast" : " multicast");
      case 10: return "ether proto " + std::string(r_.OneIn(2) ? "\\ip" : r_.Pick(kNums));
      case 11: {
        static const char* const kEncaps[] = {"vlan", "mpls", "pppoes", "pppoed", "llc",
                                              "llc i", "llc u", "llc rnr", "llc xid"};
        std::string e = r_.Pick(kEncaps);
        if (e.find_first_of("dc ") == std::string::npos && r_.OneIn(2)) {
          e += std::string(" ") + r_.Pick(kNums);
        }
        return e;
      }
      default: return r_.Pick(kPorts);  // a bare id: inherits qualifiers
    }
  }

  std::string Bool(int depth) {
    switch (depth > 3 ? 0 : r_.Below(6)) {
      case 0:
      case 1: return Primitive();
      case 2: return Bool(depth + 1) + (r_.OneIn(2) ? " and " : " or ") + Bool(depth + 1);
      case 3: return "not " + Bool(depth + 1);
      case 4: return "(" + Bool(depth + 1) + ")";
      default: return Primitive() + (r_.OneIn(2) ? " or " : " and ") + r_.Pick(kHosts);
    }
  }

  std::string Mutate(const std::string& e) {
    std::vector<std::string> toks;
    std::string cur;
    for (char c : e) {
      if (c == ' ') {
        if (!cur.empty()) toks.push_back(cur);
        cur.clear();
      } else {
        cur += c;
      }
    }
    if (!cur.empty()) toks.push_back(cur);
    const size_t n = 1 + r_.Below(3);
    for (size_t i = 0; i < n && !toks.empty(); ++i) {
      const size_t at = r_.Below(toks.size());
      switch (r_.Below(4)) {
        case 0: toks.erase(toks.begin() + long(at)); break;
        case 1: toks.insert(toks.begin() + long(at), toks[at]); break;
        case 2: if (at + 1 < toks.size()) std::swap(toks[at], toks[at + 1]); break;
        default: toks[at] = r_.Pick(kTokens); break;
      }
    }
    std::string out;
    for (const std::string& t : toks) out += (out.empty() ? "" : " ") + t;
    return out;
  }

  Rng r_;
};

uint64_t EnvNumber(const char* name, uint64_t fallback) {
  const char* v = std::getenv(name);
  return v ? std::strtoull(v, nullptr, 0) : fallback;
}

bool Tolerated(const Compiled& ours) {
  return ours.error.find("is not supported by bpfcap yet") != std::string::npos ||
         ours.error.find("is beyond the largest possible IP packet") != std::string::npos;
}

struct Case {
  std::string expr;
  int dlt;
  bool optimize;
  Compiled lib, lib_unopt, ours;
};

// The first problem with one case, or "".
std::string CheckCase(const Case& c, const std::vector<Packet>& packets) {
  if (!c.ours.ok && c.ours.error.find("exception thrown") != std::string::npos) {
    return "bpfcap threw: " + c.ours.error;
  }
  if (!c.lib.ok) {
    return c.ours.ok ? "libpcap rejects (" + c.lib.error + "), bpfcap accepts" : "";
  }
  if (!c.ours.ok) {
    return Tolerated(c.ours) ? "" : "libpcap accepts, bpfcap rejects: " + c.ours.error;
  }
  std::string why;
  if (!cbpf::Validate(c.ours.prog, &why)) return "bpfcap program invalid: " + why;
  for (size_t i = 0; i < packets.size(); ++i) {
    uint32_t want = LibpcapRun(c.lib.prog, packets[i]);
    if (c.optimize && c.lib_unopt.ok) want = LibpcapRun(c.lib_unopt.prog, packets[i]);
    const uint32_t got = OursRun(c.ours.prog, packets[i]);
    if (want != got) {
      return "verdict differs on packet #" + std::to_string(i) + " (" +
             DescribePacket(packets[i]) + "): libpcap " + std::to_string(want) + ", bpfcap " +
             std::to_string(got) + "\n  libpcap:\n" + LibpcapDump(c.lib.prog) +
             "  bpfcap:\n" + cbpf::DumpAsm(c.ours.prog);
    }
  }
  return "";
}

TEST(DiffFuzz, GeneratedAndMutatedExpressionsAgreeWithLibpcap) {
  const uint64_t seed = EnvNumber("BPFCAP_FUZZ_SEED", 0x66757a7a);
  const size_t count = size_t(EnvNumber("BPFCAP_FUZZ_COUNT", 700));
  constexpr size_t kPackets = 1500;
  const int dlts[] = {1, 12, 276};  // EN10MB, RAW, LINUX_SLL2

  std::vector<Case> cases;
  Generator gen(seed);
  std::vector<std::string> exprs;
  for (size_t i = 0; i < count; ++i) exprs.push_back(gen.Expression());
  for (int dlt : dlts) {
    Libpcap lib(dlt, 262144);
    for (const std::string& e : exprs) {
      for (bool optimize : {true, false}) {
        Case c{e, dlt, optimize, lib.Compile(e, optimize, kNetmaskUnknown), {},
               OursCompile(e, dlt, 262144, optimize, kNetmaskUnknown)};
        if (optimize) c.lib_unopt = lib.Compile(e, false, kNetmaskUnknown);
        cases.push_back(std::move(c));
      }
    }
  }

  std::vector<std::vector<Packet>> packets;
  for (int dlt : dlts) packets.push_back(GeneratePackets(dlt, kDefaultSeed ^ seed, kPackets));
  std::vector<std::string> problems(cases.size());
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i; (i = next.fetch_add(1)) < cases.size();) {
      size_t d = 0;
      while (dlts[d] != cases[i].dlt) ++d;
      problems[i] = CheckCase(cases[i], packets[d]);
    }
  };
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < std::max(1u, std::thread::hardware_concurrency()); ++t) {
    threads.emplace_back(worker);
  }
  for (std::thread& t : threads) t.join();

  size_t both = 0, tolerated = 0, rejected = 0, failed = 0;
  for (size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    both += c.lib.ok && c.ours.ok;
    rejected += !c.lib.ok;
    tolerated += c.lib.ok && !c.ours.ok && Tolerated(c.ours);
    if (problems[i].empty()) continue;
    if (++failed <= 20) {
      ADD_FAILURE() << "DLT " << c.dlt << (c.optimize ? " opt" : " unopt") << ": " << c.expr
                    << "\n  " << problems[i];
    }
  }
  std::printf("[fuzz] seed %#llx: %zu expressions x %zu link types x 2 modes = %zu cases; "
              "both compile %zu, libpcap rejects %zu, bpfcap defers %zu; %zu packets each; "
              "%zu problems\n",
              static_cast<unsigned long long>(seed), count, std::size(dlts), cases.size(), both,
              rejected, tolerated, kPackets, failed);
  EXPECT_EQ(failed, 0u);
}

}  // namespace
}  // namespace bpfcap::difftest
