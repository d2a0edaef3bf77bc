// Differential test: bpfcap against the installed libpcap (1.10).
//
// For every link type of DiffLinkTypes() × every expression of exprs.txt ×
// {optimized, unoptimized} (and, for expressions naming "broadcast", a second
// run with netmask 0xffffff00):
//   - libpcap: pcap_open_dead(dlt, snaplen) + pcap_compile + bpf_filter;
//   - bpfcap:  bpfcap::Compile + cbpf::Validate + cbpf::Run;
// both must accept or both reject the expression, and where both accept,
// both programs must return the same value on every generated packet
// (packets.h). Our optimized program is compared with libpcap's optimized one,
// our unoptimized with libpcap's unoptimized, so that libpcap's "expression
// rejects all packets" (an optimizer-only error) is mirrored per mode.
//
// One exception, by design: libpcap's optimizer changes verdicts on truncated
// packets. It moves and merges loads, so that for `host A or host B` it tests
// src == A and src == B before it loads dst, and a packet cut short between
// the two addresses is accepted by the optimized program and rejected by the
// unoptimized one. bpfcap's optimizer never changes a verdict: its optimized
// program means what the unoptimized one means. So on packets where libpcap's
// two programs disagree, our optimized program is held to libpcap's
// unoptimized verdict, and the run reports how many packets that was.
//
// libpcap's code for "protochain" loops over the header chain with a backward
// jump, and its bpf_filter never leaves that loop on some AH chains (libpcap
// takes the next header's offset from the start of the IP header, so an AH
// header can point back at itself). bpfcap unrolls the walk to
// ir::kProtoChainDepth headers. So libpcap's programs that jump backwards
// first run in our interpreter with a step limit
// (cbpf::RunWithBackwardJumps), and the packet is left out, and counted,
// where that run does not end (libpcap would hang) or walks more headers than
// bpfcap does (the verdicts may differ by design; tests/compiler pins
// bpfcap's). On the other packets libpcap's bpf_filter runs as usual and
// must agree with the bounded run.
//
// Work is split in two phases: compiling (serial: libpcap's name lookups are
// not thread-safe) and running (one thread per core). Each disagreement is
// reported once per (link type, expression, mode, netmask) with the packet and
// both programs; the full list goes to $BPFCAP_DIFF_REPORT (default
// build/diff_report.txt), and the test fails on any disagreement.
#include <dlfcn.h>
#include <pcap/pcap.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <exception>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "compiler/cbpf/cbpf.h"
#include "compiler/compile.h"
#include "compiler/ir.h"
#include "tests/diff/compilers.h"
#include "tests/diff/corpus.h"
#include "tests/diff/packets.h"

namespace bpfcap::difftest {
namespace {

// ---------------------------------------------------------------------------
// The corpus: tests/diff/corpus.h.

constexpr uint32_t kBroadcastNetmask = 0xffffff00;

const std::vector<Packet>& PacketsFor(const DiffLinkType& link) {
  static std::map<int, std::vector<Packet>> cache;
  static std::mutex mu;
  std::lock_guard<std::mutex> lock(mu);
  auto it = cache.find(link.dlt);
  if (it == cache.end()) it = cache.emplace(link.dlt, GeneratePackets(link.dlt, kDefaultSeed, link.packets)).first;
  return it->second;
}

// Minor link types run the expressions that test the link layer (or that a
// link type could refuse), and every kMinorStride-th other one.
constexpr size_t kMinorStride = 12;
constexpr const char* kLinkLevelWords[] = {
    "inbound", "outbound", "ifindex", "link", "ether", "llc", "iso", "clnp", "esis", "isis", "l1",
    "l2", "iih", "lsp", "snp", "atalk", "aarp", "vlan", "mpls", "pppoe", "broadcast", "multicast",
    "decnet", "ipx", "stp", "netbeui", "arp", "lat", "sca", "mop"};

// A relation operator anywhere in the expression (see CorpusSet::kWlanFamily).
bool HasRelation(const std::string& expr) { return expr.find_first_of("=<>") != std::string::npos; }

// Where libpcap 1.10.3 is wrong on 802.11 (libpcap_bugs_test.cc pins both):
// a relation before the first header test (see CorpusSet::kWlanFamily), and
// "pppoes" behind a radio header, where the scratch memory holding the
// radio header's length is overwritten and another slot read unset.
// exprs_wlan.txt puts its relations after a header test: `relations_safe`.
bool LibpcapWrongOn(const DiffLinkType& link, const std::string& expr, bool relations_safe = false) {
  if (link.corpus != CorpusSet::kWlanFamily) return false;
  if (HasRelation(expr) && !relations_safe) return true;
  return link.dlt != 105 && expr.find("pppoes") != std::string::npos;
}

// Keywords of one link type's own header (pflog, SunATM, SS7), matched as
// whole words: "sc" must not take every "sctp" expression along.
constexpr std::string_view kLinkKeywordWords[] = {
    "ifname", "on", "rnr", "rulenum", "srnr", "subrulenum", "reason", "action", "rset",
    "ruleset", "lane", "vpi", "vci", "oam", "oamf4", "oamf4s", "oamf4e", "oamf4sc", "oamf4ec",
    "metac", "bcc", "sc", "ilmic", "connectmsg", "metaconnect", "fisu", "lssu", "lsu", "msu",
    "hfisu", "hlssu", "hmsu", "sio", "opc", "dpc", "sls", "hsio", "hopc", "hdpc", "hsls"};

bool HasLinkKeyword(const std::string& expr) {
  size_t i = 0;
  while (i < expr.size()) {
    while (i < expr.size() && !std::isalnum(static_cast<unsigned char>(expr[i]))) ++i;
    size_t j = i;
    while (j < expr.size() && std::isalnum(static_cast<unsigned char>(expr[j]))) ++j;
    const std::string_view word(expr.data() + i, j - i);
    for (std::string_view k : kLinkKeywordWords)
      if (word == k) return true;
    i = j;
  }
  return false;
}

// For working on one area: BPFCAP_DIFF_LINKS=PFLOG,PPI runs only those link
// types, BPFCAP_DIFF_GREP=geneve only the expressions containing the text (the
// checks that need the whole suite are then left out).
bool Selected(const DiffLinkType& link, const std::string& expr) {
  if (const char* links = std::getenv("BPFCAP_DIFF_LINKS")) {
    const std::string list = std::string(",") + links + ",";
    if (list.find("," + std::string(link.name) + ",") == std::string::npos) return false;
  }
  if (const char* grep = std::getenv("BPFCAP_DIFF_GREP")) return expr.find(grep) != std::string::npos;
  return true;
}
bool Filtered() { return std::getenv("BPFCAP_DIFF_LINKS") || std::getenv("BPFCAP_DIFF_GREP"); }

// Where libpcap 1.10.3 computes the outer frame's offsets into the wrong
// scratch slots ("geneve" behind a header of run-time length: compilers.h,
// SpliceLinkPrologue): bpfcap is compared with libpcap's program given the
// prologue libpcap writes for the link type (that of kPrologueSource), and
// libpcap's own is shown to differ (libpcap_bugs_test.cc pins it).
bool GeneveSlotBugOn(const DiffLinkType& link, const std::string& expr) {
  constexpr int kDlts[] = {105, 117, 119, 127, 163, 192};  // 802.11 family, PFLOG
  return expr.find("geneve") != std::string::npos && std::count(std::begin(kDlts), std::end(kDlts), link.dlt);
}

constexpr const char* kPrologueSource = "ip host 10.0.0.1";

bool RunsOn(const DiffLinkType& link, const CorpusEntry& e, size_t index) {
  if (!Selected(link, e.expr)) return false;
  if (LibpcapWrongOn(link, e.expr)) return false;
  if (!link.minor() || link.all_exprs || index % kMinorStride == 0) return true;
  if (GeneveSlotBugOn(link, e.expr)) return true;  // (all of them: geneve behind a radio header)
  for (const char* w : kLinkLevelWords) {
    if (e.expr.find(w) != std::string::npos) return true;
  }
  return HasLinkKeyword(e.expr);
}

// ---------------------------------------------------------------------------
// One unit of work: a link type, an expression, a mode, a netmask.

enum class Kind {
  kOursAccepts,    // libpcap rejects the expression, bpfcap accepts it
  kOursRejects,    // libpcap accepts, bpfcap rejects
  kInvalid,        // bpfcap's program fails cbpf::Validate
  kVerdict,        // a packet on which the return values differ
  kDeliberate,     // bpfcap-rejects entry that bpfcap accepts, or libpcap rejects
};

const char* KindName(Kind k) {
  switch (k) {
    case Kind::kOursAccepts: return "libpcap rejects, bpfcap accepts";
    case Kind::kOursRejects: return "libpcap accepts, bpfcap rejects";
    case Kind::kInvalid: return "bpfcap program invalid";
    case Kind::kVerdict: return "verdict differs";
    case Kind::kDeliberate: return "bpfcap-rejects entry not as stated";
  }
  return "?";
}

struct Item {
  const DiffLinkType* link;
  const CorpusEntry* entry;
  bool optimize;
  uint32_t netmask;
  Compiled lib;
  Compiled ours;
  Compiled lib_unopt;  // optimized items: libpcap's unoptimized program
  bool lib_loops = false;  // libpcap's program jumps backwards (protochain)
  std::optional<cbpf::Program> lib_raw;  // GeneveSlotBugOn: libpcap's own program, unrepaired
};

struct Failure {
  Kind kind;
  const Item* item;
  std::string summary;  // one line
  std::string detail;   // packet and programs
  bool bounds_only = false;  // kVerdict: every differing packet agrees once padded
};

// What Check() saw besides failures.
struct CheckStats {
  uint64_t deferred = 0;  // comparisons skipped: "not supported by bpfcap yet"
  uint64_t libpcap_loops = 0;        // (expression, packet) pairs: libpcap never ends
  uint64_t beyond_chain_depth = 0;   // ... libpcap walks more headers than bpfcap
  uint64_t chain_runs = 0;           // ... libpcap's loop ran and ended within the bound
  uint64_t libpcap_bug = 0;         // comparisons of libpcap-bug entries, not failed
  uint64_t libpcap_bug_differ = 0;  // ... of them where bpfcap and libpcap disagree
  uint64_t libpcap_opt_changed = 0;         // packets where libpcap opt != unopt
  uint64_t libpcap_opt_changed_padded = 0;  // ... and still once padded (not bounds)
  std::set<std::string> opt_changed_padded_exprs;  // "LINK | expression" of those
  bool raw_differs = false;  // GeneveSlotBugOn: libpcap's unrepaired program differs somewhere
};

std::string ModeName(const Item& it) {
  std::string s = it.optimize ? "opt" : "unopt";
  if (it.netmask != kNetmaskUnknown) s += " netmask=0xffffff00";
  return s;
}

std::string Headline(Kind kind, const Item& it) {
  return std::string("[") + KindName(kind) + "] " + std::string(it.link->name) + " " +
         ModeName(it) + " " + it.entry->file + ":" + std::to_string(it.entry->line) + ": " + it.entry->expr;
}

std::string ProgramsText(const Item& it) {
  std::string s;
  if (it.lib.ok) s += "  libpcap program:\n" + LibpcapDump(it.lib.prog);
  else s += "  libpcap: " + it.lib.error + "\n";
  if (it.ours.ok) s += "  bpfcap program:\n" + cbpf::DumpAsm(it.ours.prog);
  else s += "  bpfcap: " + it.ours.error + "\n";
  return s;
}

// Which expression a thread is on, for the crash handler.
thread_local const char* t_current_expr = nullptr;

void OnCrash(int sig) {
  const char* e = t_current_expr;
  static const char kMsg[] = "\ndiff_test: crashed while handling expression: ";
  [[maybe_unused]] ssize_t n = write(2, kMsg, sizeof kMsg - 1);
  if (e) n = write(2, e, std::strlen(e));
  n = write(2, "\n", 1);
  signal(sig, SIG_DFL);
  raise(sig);
}

// A diagnostic, not a pass condition: do the programs still disagree when the
// same packet is captured with zero bytes after it (caplen 2048, same
// wirelen)? If not, they differ only in which out-of-bounds load aborts the
// program first, typically because one optimizer moved or removed a load.
bool DiffersWhenPadded(const Item& it, const Packet& p);

bool JumpsBackwards(const cbpf::Program& prog) {
  for (const cbpf::Insn& i : prog) {
    if (i.code == (BPF_JMP | BPF_JA) && static_cast<int32_t>(i.k) < 0) return true;
  }
  return false;
}

// Headers libpcap's protochain loop may walk past on a packet where it ends:
// far more than any chain in the generated packets (at most 2 KiB; a header
// it walks is 8 bytes at least, or an AH header that can only move it to one
// of 257 offsets).
constexpr uint32_t kLoopHeaderLimit = 4096;

// libpcap's return value on `p`, or nothing where its program loops forever
// or walks a longer header chain than bpfcap (see the top of the file).
std::optional<uint32_t> LibpcapVerdict(const cbpf::Program& prog, bool loops, const Packet& p,
                                       CheckStats* stats) {
  if (!loops) return LibpcapRun(prog, p);
  static const uint8_t kEmpty[1] = {0};
  const uint8_t* data = p.bytes.empty() ? kEmpty : p.bytes.data();
  // One backward jump per header walked past (over all the walks of the
  // expression: more than the bound in total if any one walk is).
  const cbpf::LoopingRun r = cbpf::RunWithBackwardJumps(prog, data, p.wirelen, p.caplen(),
                                                        UINT64_MAX, ir::kProtoChainDepth);
  if (r.stopped) {
    // Past bpfcap's bound: does libpcap ever stop?
    const cbpf::LoopingRun far = cbpf::RunWithBackwardJumps(prog, data, p.wirelen, p.caplen(),
                                                            UINT64_MAX, kLoopHeaderLimit);
    ++(far.stopped ? stats->libpcap_loops : stats->beyond_chain_depth);
    return std::nullopt;
  }
  ++stats->chain_runs;
  const uint32_t lib = LibpcapRun(prog, p);  // it ends: ask libpcap itself
  if (lib != r.result) return UINT32_MAX - 1;  // never a verdict of ours: reported
  return lib;
}

bool DiffersWhenPadded(const Item& it, const Packet& p) {
  Packet padded;
  padded.bytes = p.bytes;
  padded.bytes.resize(2048, 0);
  padded.wirelen = p.wirelen;
  CheckStats unused;
  const std::optional<uint32_t> lib = LibpcapVerdict(it.lib.prog, it.lib_loops, padded, &unused);
  return lib && *lib != OursRun(it.ours.prog, padded);
}

// Runs both programs of `it` on every packet; returns a failure or nothing.
// The verdict bpfcap must give on `p`: libpcap's, except that in optimized
// mode libpcap's unoptimized verdict wins where its optimizer changed it.
// Nothing: no verdict to compare with (libpcap's loop, above).
std::optional<uint32_t> Want(const Item& it, const Packet& p, CheckStats* stats) {
  const std::optional<uint32_t> maybe = LibpcapVerdict(it.lib.prog, it.lib_loops, p, stats);
  if (!maybe) return std::nullopt;
  const uint32_t lib = *maybe;
  // (libpcap-bug entries are held to libpcap's verdict in the same mode:
  // there the point is to see libpcap's optimizer get it wrong.)
  if (!it.optimize || !it.lib_unopt.ok || it.lib_loops || it.entry->IsLibpcapBugOn(it.link->name)) {
    return lib;
  }
  uint32_t unopt = LibpcapRun(it.lib_unopt.prog, p);
  if (unopt == lib) return lib;
  ++stats->libpcap_opt_changed;
  Packet padded;
  padded.bytes = p.bytes;
  padded.bytes.resize(2048, 0);
  padded.wirelen = p.wirelen;
  if (LibpcapRun(it.lib.prog, padded) != LibpcapRun(it.lib_unopt.prog, padded)) {
    ++stats->libpcap_opt_changed_padded;
  }
  return unopt;
}

// bpfcap's message for the parts of the language it does not have yet
// (issue 4); such comparisons are counted, not failed.
bool Deferred(const Compiled& ours) {
  return !ours.ok && ours.error.find("is not supported by bpfcap yet") != std::string::npos;
}

std::optional<Failure> Compare(const Item& it, const std::vector<Packet>& packets,
                               CheckStats* stats);

// libpcap-bug entries: bpfcap follows pcap-filter(7) where libpcap 1.10.3 is
// wrong, so they are compared and counted but never failed here; the test
// then requires that each one does disagree somewhere (else the entry hides
// nothing and belongs in "accept") and that bpfcap compiles it somewhere.
std::optional<Failure> Check(const Item& it, const std::vector<Packet>& packets,
                             CheckStats* stats) {
  if (it.entry->IsLibpcapBugOn(it.link->name)) {
    ++stats->libpcap_bug;
    if (Compare(it, packets, stats)) ++stats->libpcap_bug_differ;
    return std::nullopt;
  }
  return Compare(it, packets, stats);
}

std::optional<Failure> Compare(const Item& it, const std::vector<Packet>& packets,
                               CheckStats* stats) {
  if (it.entry->expect == Expect::kBpfcapRejects) {
    if (!it.ours.ok) return std::nullopt;  // (libpcap's optimizer may refuse it too)
    return Failure{Kind::kDeliberate, &it, Headline(Kind::kDeliberate, it), ProgramsText(it)};
  }
  if (it.lib.ok && Deferred(it.ours)) {
    ++stats->deferred;
    return std::nullopt;
  }
  if (!it.lib.ok && !it.ours.ok) return std::nullopt;
  if (!it.lib.ok) return Failure{Kind::kOursAccepts, &it, Headline(Kind::kOursAccepts, it),
                                 ProgramsText(it)};
  if (it.lib_raw && it.ours.ok) {
    for (const Packet& p : packets) {
      if (LibpcapRun(*it.lib_raw, p) != OursRun(it.ours.prog, p)) {
        stats->raw_differs = true;
        break;
      }
    }
  }
  if (!it.ours.ok) return Failure{Kind::kOursRejects, &it, Headline(Kind::kOursRejects, it),
                                  ProgramsText(it)};
  std::string why;
  if (!cbpf::Validate(it.ours.prog, &why)) {
    return Failure{Kind::kInvalid, &it, Headline(Kind::kInvalid, it) + " (" + why + ")",
                   ProgramsText(it)};
  }
  size_t first = packets.size();
  size_t differ = 0, differ_padded = 0;
  for (size_t i = 0; i < packets.size(); ++i) {
    const std::optional<uint32_t> want = Want(it, packets[i], stats);
    if (!want || *want == OursRun(it.ours.prog, packets[i])) continue;
    if (first == packets.size()) first = i;
    ++differ;
    differ_padded += DiffersWhenPadded(it, packets[i]);
  }
  if (differ == 0) return std::nullopt;
  const Packet& p = packets[first];
  CheckStats unused;
  uint32_t want = *Want(it, p, &unused);
  uint32_t got = OursRun(it.ours.prog, p);
  std::string counts = std::to_string(differ) + " packets differ, " +
                       std::to_string(differ_padded) + " of them also with the capture padded";
  if (it.ours.prog == it.lib.prog && want == LibpcapRun(it.lib.prog, p)) {
    counts += "; identical programs: the interpreters disagree";
  }
  if (want != LibpcapRun(it.lib.prog, p)) counts += "; libpcap's optimizer changed this verdict";
  std::string detail = "  packet #" + std::to_string(first) + " " + DescribePacket(p) +
                       "\n  libpcap returns " + std::to_string(want) + ", bpfcap returns " +
                       std::to_string(got) + "; " + counts + "\n" + ProgramsText(it);
  return Failure{Kind::kVerdict, &it,
                 Headline(Kind::kVerdict, it) + " (packet #" + std::to_string(first) +
                     ": libpcap " + std::to_string(want) + ", bpfcap " + std::to_string(got) +
                     "; " + counts + ")",
                 detail, differ_padded == 0};
}

using Clock = std::chrono::steady_clock;
double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

// GeneveSlotBugOn items: libpcap's programs with the link type's prologue
// (compilers.h).
void Repair(Item* it, Libpcap& lib) {
  const Compiled source = lib.Compile(kPrologueSource, false, kNetmaskUnknown);
  for (Compiled* c : {&it->lib, &it->lib_unopt}) {
    if (!c->ok) continue;
    // Without that shape (pflog's "pppoes and geneve", which can never
    // match), libpcap's own program stands.
    std::optional<cbpf::Program> fixed = SpliceLinkPrologue(source.prog, c->prog);
    if (!fixed) continue;
    if (c == &it->lib) it->lib_raw = c->prog;
    c->prog = std::move(*fixed);
  }
}

// Phase 1: compile every item with both compilers (serially).
std::vector<Item> CompileAll(const std::vector<CorpusEntry>& corpus) {
  std::vector<Item> items;
  for (const DiffLinkType& link : DiffLinkTypes()) {
    Libpcap lib(link.dlt, link.snaplen);
    std::vector<const CorpusEntry*> entries;
    for (size_t index = 0; index < corpus.size(); ++index) {
      if (RunsOn(link, corpus[index], index)) entries.push_back(&corpus[index]);
    }
    if (link.corpus != CorpusSet::kMain) {
      for (const CorpusEntry& e : WlanCorpus()) {
        if (Selected(link, e.expr) && !LibpcapWrongOn(link, e.expr, /*relations_safe=*/true)) entries.push_back(&e);
      }
    }
    for (const CorpusEntry* entry : entries) {
      const CorpusEntry& e = *entry;
      std::vector<uint32_t> masks = {kNetmaskUnknown};
      if (e.expr.find("broadcast") != std::string::npos) masks.push_back(kBroadcastNetmask);
      for (uint32_t mask : masks) {
        for (bool optimize : {true, false}) {
          Item it{&link, &e, optimize, mask, {}, {}, {}, false, std::nullopt};
          t_current_expr = e.expr.c_str();
          it.lib = lib.Compile(e.expr, optimize, mask);
          it.ours = OursCompile(e.expr, link.dlt, link.snaplen, optimize, mask);
          if (optimize) it.lib_unopt = lib.Compile(e.expr, false, mask);
          it.lib_loops = it.lib.ok && JumpsBackwards(it.lib.prog);
          if (GeneveSlotBugOn(link, e.expr)) Repair(&it, lib);
          t_current_expr = nullptr;
          items.push_back(std::move(it));
        }
      }
    }
  }
  return items;
}

// Per libpcap-bug entry: did it disagree anywhere, did bpfcap compile it.
struct LibpcapBugSeen {
  bool differs = false;
  bool compiles = false;
};

// Phase 2: run every item on its link type's packets, in parallel.
std::vector<Failure> RunAll(const std::vector<Item>& items, CheckStats* total,
                            std::map<const CorpusEntry*, LibpcapBugSeen>* bugs,
                            std::map<std::string_view, std::pair<size_t, size_t>>* repaired) {
  for (const DiffLinkType& link : DiffLinkTypes()) PacketsFor(link);  // generate up front
  std::vector<std::optional<Failure>> results(items.size());
  std::vector<CheckStats> stats(items.size());
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i; (i = next.fetch_add(1)) < items.size();) {
      t_current_expr = items[i].entry->expr.c_str();
      results[i] = Check(items[i], PacketsFor(*items[i].link), &stats[i]);
    }
    t_current_expr = nullptr;
  };
  unsigned n = std::max(1u, std::min(8u, std::thread::hardware_concurrency()));
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < n; ++t) threads.emplace_back(worker);
  for (std::thread& t : threads) t.join();
  std::vector<Failure> failures;
  for (auto& r : results) {
    if (r) failures.push_back(std::move(*r));
  }
  for (size_t i = 0; i < items.size(); ++i) {
    if (!items[i].entry->IsLibpcapBugOn(items[i].link->name)) continue;
    LibpcapBugSeen& seen = (*bugs)[items[i].entry];
    seen.differs |= stats[i].libpcap_bug_differ != 0;
    seen.compiles |= items[i].ours.ok;
  }
  for (size_t i = 0; i < items.size(); ++i) {
    if (!items[i].lib_raw) continue;
    std::pair<size_t, size_t>& counts = (*repaired)[items[i].link->name];
    ++counts.first;
    counts.second += stats[i].raw_differs;
  }
  for (const CheckStats& s : stats) {
    total->deferred += s.deferred;
    total->libpcap_loops += s.libpcap_loops;
    total->beyond_chain_depth += s.beyond_chain_depth;
    total->chain_runs += s.chain_runs;
    total->libpcap_bug += s.libpcap_bug;
    total->libpcap_bug_differ += s.libpcap_bug_differ;
    total->libpcap_opt_changed += s.libpcap_opt_changed;
    total->libpcap_opt_changed_padded += s.libpcap_opt_changed_padded;
  }
  for (size_t i = 0; i < items.size(); ++i) {
    if (stats[i].libpcap_opt_changed_padded == 0) continue;
    total->opt_changed_padded_exprs.insert(std::string(items[i].link->name) + " | " + items[i].entry->expr);
  }
  return failures;
}

// Instruction totals of the optimized programs where both compilers accept.
void PrintSizes(const std::vector<Item>& items) {
  std::map<std::string_view, std::pair<uint64_t, uint64_t>> per_link;
  uint64_t ours = 0, lib = 0, n = 0;
  for (const Item& it : items) {
    if (!it.optimize || it.netmask != kNetmaskUnknown || !it.lib.ok || !it.ours.ok) continue;
    per_link[it.link->name].first += it.ours.prog.size();
    per_link[it.link->name].second += it.lib.prog.size();
    ours += it.ours.prog.size();
    lib += it.lib.prog.size();
    ++n;
  }
  std::printf("[diff] optimized instruction totals over %llu programs both compile: "
              "bpfcap %llu, libpcap %llu\n",
              static_cast<unsigned long long>(n), static_cast<unsigned long long>(ours),
              static_cast<unsigned long long>(lib));
  for (const auto& [name, sizes] : per_link) {
    std::printf("[diff]   %-10.*s bpfcap %6llu  libpcap %6llu\n", static_cast<int>(name.size()),
                name.data(), static_cast<unsigned long long>(sizes.first),
                static_cast<unsigned long long>(sizes.second));
  }
}

void PrintSummary(const std::vector<Failure>& failures, size_t items) {
  std::map<std::string, size_t> by_kind, by_link, by_mode;
  std::set<std::string> exprs;
  for (const Failure& f : failures) {
    ++by_kind[f.bounds_only ? std::string(KindName(f.kind)) + " (out-of-bounds loads only)"
                            : KindName(f.kind)];
    ++by_link[std::string(f.item->link->name)];
    ++by_mode[ModeName(*f.item)];
    exprs.insert(f.item->entry->expr);
  }
  std::printf("[diff] %zu disagreements in %zu comparisons (%zu distinct expressions)\n",
              failures.size(), items, exprs.size());
  for (const auto& [k, n] : by_kind) std::printf("[diff]   %-34s %zu\n", k.c_str(), n);
  for (const auto& [k, n] : by_link) std::printf("[diff]   %-34s %zu\n", k.c_str(), n);
  for (const auto& [k, n] : by_mode) std::printf("[diff]   %-34s %zu\n", k.c_str(), n);
}

void WriteReport(const std::vector<Failure>& failures) {
  const char* env = std::getenv("BPFCAP_DIFF_REPORT");
  std::string path = env ? env : "build/diff_report.txt";
  std::ofstream out(path);
  if (!out) return;
  for (const Failure& f : failures) out << f.summary << "\n" << f.detail << "\n";
  std::printf("[diff] full report: %s\n", path.c_str());
}

// libpcap must really be libpcap: a pcap_compile defined by the library under
// test (a drop-in API) would otherwise be compared with itself.
std::string PcapCompileOrigin() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&pcap_compile), &info) == 0 || !info.dli_fname) return "";
  return info.dli_fname;
}

// ---------------------------------------------------------------------------
// The tests.

TEST(DiffCorpus, IsLargeAndHasNoDuplicates) {
  const auto& corpus = Corpus();
  EXPECT_GE(corpus.size(), 450u) << "corpus at " << CorpusPath();
  std::set<std::string> seen;
  for (const CorpusEntry& e : corpus) {
    EXPECT_TRUE(seen.insert(e.expr).second) << "duplicate at exprs.txt:" << e.line << ": " << e.expr;
  }
}

// The "#@ expect:" sections say what libpcap does on one link type; keep them
// true so that the corpus tests what it claims to.
void CheckExpectations(const std::vector<CorpusEntry>& corpus, int dlt) {
  Libpcap lib(dlt, 262144);
  for (const CorpusEntry& e : corpus) {
    if (e.expect == Expect::kAny) continue;
    bool unopt = lib.Compile(e.expr, false, kNetmaskUnknown).ok;
    bool opt = lib.Compile(e.expr, true, kNetmaskUnknown).ok;
    bool masked = lib.Compile(e.expr, true, kBroadcastNetmask).ok;
    bool holds = false;
    switch (e.expect) {
      case Expect::kAccept: holds = unopt && opt; break;
      case Expect::kReject: holds = !unopt && !opt && (!masked || e.expr.find("broadcast") == std::string::npos); break;
      case Expect::kOptRejects: holds = unopt && !opt; break;
      case Expect::kNeedsNetmask: holds = !unopt && !opt && masked; break;
      case Expect::kAny: holds = true; break;
      case Expect::kBpfcapRejects: holds = unopt && opt; break;
      // Link-type specific (see Check()); an entry wrong on other link
      // types only is an ordinary "accept" here.
      case Expect::kLibpcapBug: holds = e.IsLibpcapBugOn("EN10MB") || (unopt && opt); break;
    }
    EXPECT_TRUE(holds) << e.file << ":" << e.line << ": " << e.expr << " (libpcap unopt "
                       << unopt << ", opt " << opt << ")";
  }
}

TEST(DiffCorpus, ExpectationsHoldForLibpcapOnEthernet) { CheckExpectations(Corpus(), 1); }

TEST(DiffCorpus, WlanExpectationsHoldForLibpcapOnRadiotap) {
  ASSERT_GE(WlanCorpus().size(), 150u) << "corpus at " << WlanCorpusPath();
  std::set<std::string> seen;
  for (const CorpusEntry& e : WlanCorpus()) {
    EXPECT_TRUE(seen.insert(e.expr).second) << "duplicate at exprs_wlan.txt:" << e.line << ": " << e.expr;
  }
  CheckExpectations(WlanCorpus(), 127);
}

TEST(DiffPackets, AreDeterministicAndWellFormed) {
  for (const DiffLinkType& link : DiffLinkTypes()) {
    const auto& packets = PacketsFor(link);
    ASSERT_GE(packets.size(), link.packets) << link.name;
    auto again = GeneratePackets(link.dlt, kDefaultSeed, link.packets);
    ASSERT_EQ(again.size(), packets.size());
    size_t snapped = 0, empty = 0;
    for (size_t i = 0; i < packets.size(); ++i) {
      ASSERT_EQ(again[i].bytes, packets[i].bytes) << link.name << " #" << i;
      ASSERT_EQ(again[i].wirelen, packets[i].wirelen) << link.name << " #" << i;
      ASSERT_LE(packets[i].caplen(), packets[i].wirelen) << link.name << " #" << i;
      snapped += packets[i].caplen() < packets[i].wirelen;
      empty += packets[i].bytes.empty();
    }
    EXPECT_GT(snapped, packets.size() / 20) << link.name;
    EXPECT_GT(empty, 0u) << link.name;
  }
}

// The generated traffic must make ordinary filters both match and miss.
TEST(DiffPackets, FiltersBothMatchAndMiss) {
  const std::vector<std::string> common = {
      "ip", "ip6", "tcp", "udp", "sctp", "icmp", "icmp6", "igmp", "pim", "vrrp", "ah", "esp",
      "tcp port 80", "udp port 53", "port 443", "host 10.0.0.1", "ip6 host 2001:db8::1",
      "net 192.168.1.0/24", "ip[6:2] & 0x1fff != 0", "ip6 proto 44", "ip6 proto 0",
      "tcp[tcpflags] & tcp-syn != 0", "icmp[icmptype] = icmp-echo",
      "icmp6[icmp6type] = icmp6-echo", "ip[0] & 0xf > 5", "greater 1000", "less 60",
      "portrange 1000-2000", "ip multicast", "ip6 multicast"};
  const std::map<int, std::vector<std::string>> extra = {
      {1, {"arp", "rarp", "ether broadcast", "ether multicast", "vlan", "mpls", "llc",
           "ether host 00:11:22:33:44:55", "arp host 10.0.0.1", "stp", "vlan and ip", "isis",
           "l1", "l2", "esis", "clnp", "pppoes and ip", "mpls and ip", "decnet host 1.1",
           "decnet src 63.1023"}},
      {113, {"arp", "rarp"}},
      {276, {"arp", "rarp", "ifindex 1"}},
      {9, {"mpls", "iso", "isis", "pppoes"}},
      {104, {"mpls", "iso", "isis", "decnet"}},
  };
  // On single-version raw links, "ip" or "ip6" is all or nothing.
  const std::map<int, std::set<std::string>> skip = {
      {228, {"ip", "ip6", "ip6 host 2001:db8::1", "ip6 proto 44", "ip6 proto 0", "icmp6",
             "icmp6[icmp6type] = icmp6-echo", "ip6 multicast"}},
      {229, {"ip", "ip6", "host 10.0.0.1", "net 192.168.1.0/24", "ip[6:2] & 0x1fff != 0",
             "icmp", "icmp[icmptype] = icmp-echo", "ip[0] & 0xf > 5", "ip multicast", "igmp",
             "vrrp", "tcp[tcpflags] & tcp-syn != 0"}},
  };
  for (const DiffLinkType& link : DiffLinkTypes()) {
    if (link.minor()) continue;  // DiffPackets.MinorLinkTypesBothMatchAndMiss
    Libpcap lib(link.dlt, link.snaplen);
    std::vector<std::string> filters;
    for (const std::string& f : common) {
      if (auto it = skip.find(link.dlt); it == skip.end() || !it->second.count(f)) filters.push_back(f);
    }
    if (auto it = extra.find(link.dlt); it != extra.end()) {
      filters.insert(filters.end(), it->second.begin(), it->second.end());
    }
    const auto& packets = PacketsFor(link);
    for (const std::string& f : filters) {
      Compiled c = lib.Compile(f, true, kNetmaskUnknown);
      ASSERT_TRUE(c.ok) << link.name << ": " << f << ": " << c.error;
      size_t hits = 0;
      for (const Packet& p : packets) hits += LibpcapRun(c.prog, p) != 0;
      EXPECT_GE(hits, 10u) << link.name << ": " << f;
      EXPECT_LT(hits, packets.size() - 10) << link.name << ": " << f;
    }
  }
}

// On the minor link types: each filter of the link type's list that libpcap
// compiles there matches some packets and misses others.
TEST(DiffPackets, MinorLinkTypesBothMatchAndMiss) {
  const std::map<int, std::vector<std::string>> filters = {
      {7, {"ip", "ip6", "arp", "rarp", "atalk", "ether broadcast", "tcp port 80"}},
      {129, {"ip", "ip6", "arp", "ether multicast", "udp"}},
      {8, {"ip", "ip6", "inbound", "outbound"}},
      {15, {"ip", "ip6"}},
      {11, {"ip", "ip6", "arp", "iso", "stp", "atalk", "pppoes and ip", "llc u"}},
      {19, {"ip", "ip6", "arp", "iso", "isis"}},
      {16, {"ip", "ip6", "iso", "tcp"}},
      {51, {"ip", "ip6", "mpls or iso"}},
      {166, {"ip", "ip6", "inbound", "outbound"}},
      {99, {"ip", "ip6", "arp", "decnet"}},
      {107, {"ip", "ip6", "iso", "clnp", "isis", "l1 or l2"}},
      {109, {"ip", "ip6", "icmp"}},
      {112, {"ip", "ip6", "mpls"}},
      {114, {"len > 60", "link[2] = 1"}},
      {122, {"ip", "ip6", "arp", "ether broadcast", "ether host 00:11:22:33:44:55"}},
      {138, {"ip", "ip6", "arp"}},
      {165, {"ip", "ip6 and len > 60"}},
      {226, {"ip", "ip6", "inbound", "outbound", "tcp"}},
      {240, {"ip", "ip6", "vlan", "ether broadcast", "llc" /* refused */, "mpls"}},
      {241, {"ip", "ip6", "arp", "ether multicast"}},
      {178, {"ip", "inbound", "outbound", "tcp"}},
      {179, {"ip", "tcp", "udp port 53 or icmp"}},
      {137, {"ip", "inbound", "tcp"}},
      {133, {"ip", "tcp"}},
      {132, {"ip", "inbound"}},
      {143, {"len > 100", "link[0] & 1 = 1"}},
      {189, {"len > 100", "link[1] & 0x80 = 0"}},
      {10, {"ip", "ip6", "arp", "stp", "ipx", "iso", "ether host 00:11:22:33:44:55", "ether broadcast"}},
      {6, {"ip", "ip6", "arp", "stp", "ether src 00:11:22:33:44:55", "ether multicast"}},
      {105, {"ip", "ip6", "tcp", "arp", "stp", "type mgt", "subtype beacon", "dir tods", "llc", "broadcast",
             "wlan addr2 00:11:22:33:44:55", "wlan addr4 00:11:22:33:44:55", "type data subtype qos-data"}},
      {127, {"ip", "ip6", "tcp", "arp", "type ctl", "subtype ack", "dir fromds", "ether multicast",
             "wlan ta 00:11:22:33:44:55", "wlan src 00:11:22:33:44:55"}},
      {192, {"ip", "ip6", "arp", "wlan host 00:11:22:33:44:55"}},
      {119, {"ip", "ip6", "type mgt", "wlan addr1 ff:ff:ff:ff:ff:ff"}},
      {163, {"ip", "ip6", "arp", "type data", "wlan dst 66:77:88:99:aa:bb"}},
      {117, {"ip", "ip6", "tcp port 80", "udp port 53", "icmp", "ifname em0", "on pflog0", "rnr 3",
             "srnr 1", "reason match", "reason 2", "action pass", "action block", "rset foo",
             "inbound", "outbound", "ifname em0 and tcp"}},
      {123, {"ip", "ip6", "tcp", "arp", "iso", "stp", "atalk", "llc i", "lane", "llc", "vpi 0",
             "vci 5", "oam", "oamf4sc", "metac", "bcc", "sc", "ilmic", "connectmsg",
             "metaconnect", "lane and ip", "lane and ether multicast"}},
      {139, {"fisu", "lssu", "msu", "hfisu", "hlssu", "hmsu", "sio 3", "opc 5", "dpc 5", "sls 5",
             "hsio 3", "hopc 5", "hdpc 5"}},
      {140, {"fisu", "lssu", "msu", "hfisu", "hlssu", "hmsu", "sio 3", "opc 5", "dpc 5", "sls 5",
             "hsio 3", "hopc 5", "hdpc 5"}},
      {141, {"link[0] & 1 = 1", "link[1:4] > 0x80000000", "len > 20"}},
      {197, {"fisu", "lssu", "msu", "hfisu", "hlssu", "hmsu", "sio 3", "opc 5", "dpc 5", "sls 5",
             "hsio 3", "hopc 5", "hdpc 5"}},
  };
  for (const DiffLinkType& link : DiffLinkTypes()) {
    if (!link.minor()) continue;
    auto it = filters.find(link.dlt);
    ASSERT_NE(it, filters.end()) << link.name << " has no filters to check";
    Libpcap lib(link.dlt, link.snaplen);
    const auto& packets = PacketsFor(link);
    for (const std::string& f : it->second) {
      Compiled c = lib.Compile(f, false, kNetmaskUnknown);
      if (!c.ok) continue;
      size_t hits = 0;
      for (const Packet& p : packets) hits += LibpcapRun(c.prog, p) != 0;
      EXPECT_GE(hits, 5u) << link.name << ": " << f;
      EXPECT_LT(hits, packets.size() - 5) << link.name << ": " << f;
    }
  }
}

// Geneve behind the headers of run-time length: enough frames for the
// differential suite to see geneve match, over IPv4 and IPv6, with the outer
// network layer where only the link header's length puts it (libpcap's
// programs given their link type's prologue, as there: GeneveSlotBugOn).
TEST(DiffPackets, GeneveBehindRunTimeLinkHeaders) {
  for (const DiffLinkType& link : DiffLinkTypes()) {
    if (!GeneveSlotBugOn(link, "geneve")) continue;
    Libpcap lib(link.dlt, link.snaplen);
    const Compiled source = lib.Compile(kPrologueSource, false, kNetmaskUnknown);
    ASSERT_TRUE(source.ok) << link.name;
    for (const char* f : {"geneve", "geneve and ip", "geneve and ip6", "ip and geneve", "ip6 and geneve"}) {
      const Compiled c = lib.Compile(f, false, kNetmaskUnknown);
      ASSERT_TRUE(c.ok) << link.name << ": " << f << ": " << c.error;
      const std::optional<cbpf::Program> prog = SpliceLinkPrologue(source.prog, c.prog);
      ASSERT_TRUE(prog) << link.name << ": " << f;
      size_t hits = 0;
      for (const Packet& p : PacketsFor(link)) hits += LibpcapRun(*prog, p) != 0;
      EXPECT_GE(hits, 3u) << link.name << ": " << f;
    }
  }
}

TEST(DiffLibpcap, EveryLinkTypeExpressionAndMode) {
  ASSERT_NE(PcapCompileOrigin().find("libpcap"), std::string::npos)
      << "pcap_compile resolves to '" << PcapCompileOrigin() << "', not libpcap";
  const auto& corpus = Corpus();
  ASSERT_FALSE(corpus.empty());
  signal(SIGSEGV, OnCrash);
  signal(SIGBUS, OnCrash);
  signal(SIGFPE, OnCrash);
  signal(SIGABRT, OnCrash);

  Clock::time_point t0 = Clock::now();
  std::vector<Item> items = CompileAll(corpus);
  Clock::time_point t1 = Clock::now();
  CheckStats stats;
  std::map<const CorpusEntry*, LibpcapBugSeen> bugs;
  std::map<std::string_view, std::pair<size_t, size_t>> repaired;
  std::vector<Failure> failures = RunAll(items, &stats, &bugs, &repaired);
  Clock::time_point t2 = Clock::now();

  size_t packets = 0;
  for (const DiffLinkType& link : DiffLinkTypes()) packets += PacketsFor(link).size();
  std::printf("[diff] %zu expressions, %zu link types, %zu packets, %zu comparisons; "
              "compile %.1f s, run %.1f s\n",
              corpus.size(), DiffLinkTypes().size(), packets, items.size(), Seconds(t0, t1),
              Seconds(t1, t2));
  PrintSizes(items);
  std::printf("[diff] %llu comparisons deferred: libpcap accepts, bpfcap says the feature is "
              "not supported yet (issue 4)\n",
              static_cast<unsigned long long>(stats.deferred));
  std::printf("[diff] protochain: libpcap's loop ended within %u headers on %llu (expression, "
              "packet) pairs; left out: %llu where it never ends, %llu where it walks more "
              "headers than bpfcap\n",
              ir::kProtoChainDepth, static_cast<unsigned long long>(stats.chain_runs),
              static_cast<unsigned long long>(stats.libpcap_loops),
              static_cast<unsigned long long>(stats.beyond_chain_depth));
  if (!Filtered()) {
    EXPECT_GT(stats.chain_runs, 10000u) << "protochain expressions missing from the corpus?";
    EXPECT_GT(stats.libpcap_loops, 0u) << "no packet makes libpcap's protochain loop forever";
    EXPECT_GT(stats.beyond_chain_depth, 0u) << "no packet has a chain longer than bpfcap walks";
  }
  std::printf("[diff] %llu comparisons of %zu libpcap-bug expressions not held against libpcap "
              "(libpcap 1.10.3 is wrong there; README, deliberate differences); %llu of them "
              "disagree, as they should\n",
              static_cast<unsigned long long>(stats.libpcap_bug), bugs.size(),
              static_cast<unsigned long long>(stats.libpcap_bug_differ));
  for (const auto& [entry, seen] : bugs) {
    if (Filtered()) {  // (they may disagree on link types left out)
      std::printf("[diff] libpcap-bug %s:%d: %s: %s\n", entry->file.c_str(), entry->line, entry->expr.c_str(),
                  seen.differs ? "disagrees" : "agrees here");
      continue;
    }
    EXPECT_TRUE(seen.compiles) << "exprs.txt:" << entry->line << ": " << entry->expr
                               << ": libpcap-bug entry that bpfcap compiles on no link type";
    EXPECT_TRUE(seen.differs) << "exprs.txt:" << entry->line << ": " << entry->expr
                              << ": libpcap-bug entry that agrees with libpcap everywhere";
  }
  for (const auto& [name, counts] : repaired) {
    std::printf("[diff] %.*s: geneve compared with libpcap's programs given the link type's "
                "prologue; libpcap's own differs in %zu of %zu comparisons\n",
                static_cast<int>(name.size()), name.data(), counts.second, counts.first);
    if (!Filtered()) {
      EXPECT_GT(counts.second, 0u) << name << ": geneve's slot repair is never needed";
    }
  }
  std::printf("[diff] libpcap's optimizer changed its own verdict on %llu (expression, packet) "
              "pairs, %llu of them also with the capture padded; bpfcap was held to the "
              "unoptimized verdict there\n",
              static_cast<unsigned long long>(stats.libpcap_opt_changed),
              static_cast<unsigned long long>(stats.libpcap_opt_changed_padded));
  // The padded ones are not about dropped loads: traced (session 5) to
  // libpcap's constant folding, which adds offsets modulo 2^32, so that a
  // load past the end of every packet (ether[0xffffffff], and ip[...] on link
  // types whose network layer libpcap puts past the end: BACNET_MS_TP,
  // JUNIPER_ES) becomes one near the start once optimized.
  for (const std::string& e : stats.opt_changed_padded_exprs) {
    std::printf("[diff]   changed also when padded: %s\n", e.c_str());
  }
  PrintSummary(failures, items.size());
  WriteReport(failures);

  // In full: the first failure of up to 25 distinct expressions, wrong
  // verdicts first. Then one line each for up to 200 more; the report file
  // has everything.
  auto rank = [](const Failure& f) {
    if (f.kind == Kind::kVerdict) return f.bounds_only ? 1 : 0;
    return f.kind == Kind::kInvalid ? 2 : 3;
  };
  std::vector<const Failure*> order;
  for (const Failure& f : failures) order.push_back(&f);
  std::stable_sort(order.begin(), order.end(),
                   [&](const Failure* a, const Failure* b) { return rank(*a) < rank(*b); });
  constexpr size_t kShown = 25, kListed = 200;
  std::set<std::string> shown;
  std::vector<const Failure*> rest;
  for (const Failure* f : order) {
    if (shown.size() < kShown && shown.insert(f->item->entry->expr).second) {
      ADD_FAILURE() << f->summary << "\n" << f->detail;
    } else {
      rest.push_back(f);
    }
  }
  for (size_t i = 0; i < rest.size() && i < kListed; ++i) std::printf("%s\n", rest[i]->summary.c_str());
  if (rest.size() > kListed) std::printf("[diff] ... %zu more in the report\n", rest.size() - kListed);
  EXPECT_EQ(failures.size(), 0u) << "disagreements with libpcap; see the report above";
}

}  // namespace
}  // namespace bpfcap::difftest
