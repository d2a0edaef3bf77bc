// compile_bench: bpfcap's compiler beside libpcap's, measured in one run.
//
// Takes an optional corpus path (default tests/diff/exprs.txt, relative to the
// working directory, which `make bench` sets to the repository root) and
// prints two plain-text reports:
//
//   1. Corpus: every expression of the file, compiled optimized for EN10MB by
//      bpfcap::Compile and by libpcap's pcap_compile. For the expressions both
//      accept: total instructions, total compile time, worst-case executed
//      instructions, and the ten where bpfcap is largest relative to libpcap.
//   2. Scale: "host A1 or ... or host AN", "port ..." and "net .../24 ..."
//      chains for N = 100, 500, 1000, 10000. Each compile runs in a forked
//      child, so that its peak RSS (wait4's ru_maxrss) is its own and a hang
//      or crash is contained. Per-packet cost two ways: the longest path
//      through the program (exact worst case over all packets), and the most
//      instructions the interpreter (cbpf::Run) executes over frames that hit
//      each key as source and as destination, and frames that miss. libpcap
//      runs optimized where its cubic optimizer finishes in seconds (N <=
//      500), and unoptimized (linear) at N = 1000.
//
// Exit status: 0 when the report is complete, targets met or not; 1 when a
// bpfcap scale compile fails, crashes or is killed by the time limit, or the
// corpus file cannot be read; a crash in the corpus section kills the run.
//
// Deliberately not here: correctness checks (tests/diff does that; this only
// notes bpfcap programs that fail cbpf::Validate), eBPF, repeated statistical
// sampling: each figure is the best of a few runs, enough to compare.
#include <pcap/pcap.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cerrno>
#include <cinttypes>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/cbpf/cbpf.h"
#include "compiler/cbpf/insn.h"
#include "compiler/compile.h"

namespace {

constexpr int kDlt = 1;  // DLT_EN10MB
constexpr uint32_t kSnaplen = 262144;
constexpr const char* kDefaultCorpus = "tests/diff/exprs.txt";
constexpr int kCorpusRepeats = 3;        // best of, per expression
constexpr int kWorstShown = 10;
constexpr unsigned kChildTimeoutSec = 60;  // both compilers, scale section
constexpr unsigned kCorpusWatchdogSec = 120;
constexpr double kScaleTimeTarget = 1.0;                    // seconds, N=10000
constexpr double kScaleMemTargetKib = 256.0 * 1024;         // 256 MiB
constexpr uint64_t kScaleExecTarget = 40;                   // N=1000

const bpfcap::CompileOptions kOptions{
    .dlt = kDlt, .snaplen = kSnaplen, .netmask = 0, .optimize = true};

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// --- Formatting -------------------------------------------------------------

std::string Printf(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
std::string Printf(const char* fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  return buf;
}

std::string FormatSeconds(double s) {
  if (s < 1e-3) return Printf("%.1f us", s * 1e6);
  if (s < 1.0) return Printf("%.2f ms", s * 1e3);
  return Printf("%.2f s", s);
}

std::string FormatKib(long kib) { return Printf("%.1f MiB", kib / 1024.0); }

std::string FormatRatio(uint64_t ours, uint64_t theirs) {
  if (theirs == 0) return "-";
  return Printf("%.2fx", static_cast<double>(ours) / theirs);
}

const char* Verdict(bool met) { return met ? "MET" : "NOT MET"; }

// An aligned plain-text table. Column 0 and any column marked left are left
// aligned, the others right aligned (numbers).
class Table {
 public:
  explicit Table(std::vector<std::string> header, std::vector<bool> left = {})
      : header_(std::move(header)), left_(std::move(left)) {
    left_.resize(header_.size(), false);
    left_[0] = true;
  }
  void Add(std::vector<std::string> row) {
    row.resize(header_.size());
    rows_.push_back(std::move(row));
  }
  // A row whose first cells are `lead` and whose remaining columns hold one
  // free text, which does not widen them.
  void AddNote(std::vector<std::string> lead, std::string note) {
    notes_[rows_.size()] = note;
    lead.resize(header_.size());
    rows_.push_back(std::move(lead));
  }
  void Rule() { rows_.push_back({}); }  // an empty row prints as a rule

  void Print(const char* indent = "  ") const {
    std::vector<size_t> width(header_.size());
    for (size_t c = 0; c < header_.size(); ++c) width[c] = header_[c].size();
    for (size_t r = 0; r < rows_.size(); ++r)
      for (size_t c = 0; c < rows_[r].size(); ++c)
        width[c] = std::max(width[c], rows_[r][c].size());
    size_t total = 0;
    for (size_t w : width) total += w + 2;
    const std::string rule(total - 2, '-');

    PrintRow(header_, width, indent);
    printf("%s%s\n", indent, rule.c_str());
    for (size_t r = 0; r < rows_.size(); ++r) {
      const auto note = notes_.find(r);
      if (rows_[r].empty()) {
        printf("%s%s\n", indent, rule.c_str());
      } else if (note != notes_.end()) {
        PrintNoteRow(rows_[r], note->second, width, indent);
      } else {
        PrintRow(rows_[r], width, indent);
      }
    }
  }

 private:
  void PrintRow(const std::vector<std::string>& row,
                const std::vector<size_t>& width, const char* indent) const {
    std::string line = indent;
    for (size_t c = 0; c < row.size(); ++c) {
      const std::string& cell = row[c];
      const size_t pad = width[c] - cell.size();
      if (left_[c]) {
        line += cell;
        if (c + 1 < row.size()) line.append(pad, ' ');
      } else {
        line.append(pad, ' ');
        line += cell;
      }
      if (c + 1 < row.size()) line += "  ";
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    printf("%s\n", line.c_str());
  }

  void PrintNoteRow(const std::vector<std::string>& row, const std::string& note,
                    const std::vector<size_t>& width, const char* indent) const {
    std::string line = indent;
    for (size_t c = 0; c < row.size() && !row[c].empty(); ++c) {
      const size_t pad = width[c] - row[c].size();
      if (!left_[c]) line.append(pad, ' ');
      line += row[c];
      if (left_[c]) line.append(pad, ' ');
      line += "  ";
    }
    printf("%s%s\n", line.c_str(), note.c_str());
  }

  std::vector<std::string> header_;
  std::vector<bool> left_;
  std::map<size_t, std::string> notes_;  // row index → note text
  std::vector<std::vector<std::string>> rows_;
};

// --- The two compilers ------------------------------------------------------

struct Compiled {
  bool ok = false;
  std::string error;
  bpfcap::cbpf::Program program;
  double seconds = 0;
};

Compiled CompileBpfcap(const std::string& expr) {
  Compiled out;
  const auto start = Clock::now();
  bpfcap::CompileResult r = bpfcap::Compile(expr, kOptions);
  out.seconds = SecondsSince(start);
  out.ok = r.diag.ok();
  if (out.ok) {
    out.program = std::move(r.program);
  } else {
    out.error = bpfcap::FormatDiag(r.diag, expr);
  }
  return out;
}

// libpcap's pcap_compile on a dead EN10MB handle. The handle is opened once
// per process (a forked child gets its own copy).
class Libpcap {
 public:
  Libpcap() : handle_(pcap_open_dead(DLT_EN10MB, kSnaplen)) {}
  ~Libpcap() { pcap_close(handle_); }
  Libpcap(const Libpcap&) = delete;
  Libpcap& operator=(const Libpcap&) = delete;

  bool ok() const { return handle_ != nullptr; }

  Compiled Compile(const std::string& expr, bool optimize = true) {
    Compiled out;
    bpf_program prog{};
    const auto start = Clock::now();
    const int rc = pcap_compile(handle_, &prog, expr.c_str(), optimize ? 1 : 0,
                                /*netmask=*/0);
    out.seconds = SecondsSince(start);
    out.ok = rc == 0;
    if (!out.ok) {
      out.error = pcap_geterr(handle_);
      return out;
    }
    static_assert(sizeof(bpf_insn) == sizeof(bpfcap::cbpf::Insn));
    out.program.resize(prog.bf_len);
    if (prog.bf_len != 0)
      memcpy(out.program.data(), prog.bf_insns, prog.bf_len * sizeof(bpf_insn));
    pcap_freecode(&prog);
    return out;
  }

 private:
  pcap_t* handle_;
};

// --- Forked measurements ----------------------------------------------------

// What a child sends back through its pipe: plain data, fixed size.
struct ChildReport {
  bool ok;
  double seconds;  // best compile time
  uint64_t insns;
  uint64_t longest;  // cbpf::LongestPath
  uint64_t ran;      // most instructions cbpf::Run executed on the frames
  uint64_t frames;   // how many frames that was over (0: not measured)
  char error[240];
};
static_assert(std::is_trivially_copyable_v<ChildReport>);

struct Measurement {
  enum class Status { kOk, kCompileError, kKilled, kCrashed };
  Status status = Status::kCrashed;
  ChildReport report{};
  long maxrss_kib = 0;  // ru_maxrss of the child, compile included
  std::string detail;   // the signal or exit code when not kOk
};

// Runs `work` in a forked child limited to `timeout_sec` of wall time (its
// SIGALRM is left at the default action, which ends it). The parent reads
// the report and the child's own rusage from wait4, so successive
// measurements do not accumulate.
Measurement MeasureInChild(const std::function<ChildReport()>& work,
                           unsigned timeout_sec) {
  Measurement m;
  int fds[2];
  if (pipe(fds) != 0) {
    m.detail = "pipe failed";
    return m;
  }
  fflush(stdout);
  fflush(stderr);
  const pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    m.detail = "fork failed";
    return m;
  }
  if (pid == 0) {
    close(fds[0]);
    signal(SIGALRM, SIG_DFL);
    alarm(timeout_sec);
    const ChildReport report = work();
    const char* p = reinterpret_cast<const char*>(&report);
    size_t left = sizeof report;
    while (left > 0) {
      const ssize_t n = write(fds[1], p, left);
      if (n <= 0) _exit(3);
      p += n;
      left -= static_cast<size_t>(n);
    }
    _exit(0);
  }
  close(fds[1]);
  size_t got = 0;
  char* dst = reinterpret_cast<char*>(&m.report);
  while (got < sizeof m.report) {
    const ssize_t n = read(fds[0], dst + got, sizeof m.report - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  close(fds[0]);
  int status = 0;
  rusage usage{};
  while (wait4(pid, &status, 0, &usage) < 0 && errno == EINTR) {
  }
  m.maxrss_kib = usage.ru_maxrss;
  if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM) {
    m.status = Measurement::Status::kKilled;
  } else if (WIFSIGNALED(status)) {
    m.status = Measurement::Status::kCrashed;
    m.detail = Printf("signal %d (%s)", WTERMSIG(status),
                      strsignal(WTERMSIG(status)));
  } else if (WEXITSTATUS(status) != 0 || got != sizeof m.report) {
    m.status = Measurement::Status::kCrashed;
    m.detail = Printf("exit status %d", WEXITSTATUS(status));
  } else {
    m.status = m.report.ok ? Measurement::Status::kOk
                           : Measurement::Status::kCompileError;
  }
  return m;
}

// Compiles `expr` once, then again while the runs stay short, keeping the
// best time; the program of the first run gives the counts. Repeats free
// their memory, so the peak RSS stays that of one compile.
using Frame = std::vector<uint8_t>;

template <typename CompileFn>
ChildReport CompileForReport(const std::string& expr, CompileFn compile,
                             const std::vector<Frame>& frames = {}) {
  ChildReport r{};
  Compiled first = compile(expr);
  r.ok = first.ok;
  r.seconds = first.seconds;
  if (!first.ok) {
    snprintf(r.error, sizeof r.error, "%s", first.error.c_str());
    return r;
  }
  r.insns = first.program.size();
  r.longest = bpfcap::cbpf::LongestPath(first.program);
  for (const Frame& f : frames) {
    uint64_t ran = 0;
    bpfcap::cbpf::Run(first.program, f.data(), uint32_t(f.size()),
                      uint32_t(f.size()), &ran);
    r.ran = std::max(r.ran, ran);
  }
  r.frames = frames.size();
  double spent = first.seconds;
  for (int i = 0; i < 4 && spent < 0.2; ++i) {
    const Compiled again = compile(expr);
    spent += again.seconds;
    r.seconds = std::min(r.seconds, again.seconds);
  }
  return r;
}

// --- Machine ------------------------------------------------------------------

std::string CpuModel() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      const size_t colon = line.find(':');
      if (colon != std::string::npos) {
        size_t b = line.find_first_not_of(' ', colon + 1);
        return b == std::string::npos ? "" : line.substr(b);
      }
    }
  }
  return "unknown";
}

void PrintHeader(const std::string& corpus_source) {
  utsname u{};
  uname(&u);
  printf("bpfcap compile benchmark: bpfcap::Compile beside libpcap's "
         "pcap_compile, same run\n");
  printf("  machine:  nproc %ld, %s %s %s, %s\n", sysconf(_SC_NPROCESSORS_ONLN),
         u.sysname, u.release, u.machine, CpuModel().c_str());
  printf("  libpcap:  %s\n", pcap_lib_version());
  printf("  settings: DLT_EN10MB, snaplen %u, netmask 0, optimizer on "
         "(pcap_open_dead + pcap_compile(optimize=1))\n", kSnaplen);
  printf("  corpus:   %s\n", corpus_source.c_str());
  printf("  instructions = program length; worst-case executed = longest path "
         "through the program (cbpf::LongestPath)\n");
}

// --- 1. Corpus ----------------------------------------------------------------

// Built-in list for when tests/diff/exprs.txt is absent.
const char* const kFallbackCorpus[] = {
    "",
    "ip",
    "ip6",
    "arp",
    "tcp",
    "udp",
    "icmp",
    "host 10.0.0.1",
    "src host 10.0.0.1",
    "dst host 192.168.1.1",
    "net 10.0.0.0/8",
    "src net 192.168.0.0/16",
    "port 80",
    "tcp port 80",
    "udp port 53",
    "tcp dst port 443",
    "portrange 1-1023",
    "tcp portrange 8000-8080",
    "host 10.0.0.1 and port 22",
    "tcp port 80 and host 10.0.0.1",
    "not port 22",
    "host 10.0.0.1 and not port 22",
    "tcp port 80 or tcp port 443",
    "udp port 53 or tcp port 53",
    "ip6 host ::1",
    "ip6 net 2001:db8::/32",
    "tcp[tcpflags] & tcp-syn != 0",
    "tcp[tcpflags] & (tcp-syn|tcp-fin) != 0",
    "tcp[13] & 2 != 0",
    "icmp[icmptype] == icmp-echo",
    "ether host 00:11:22:33:44:55",
    "ether broadcast",
    "ether multicast",
    "vlan",
    "vlan 100 and host 10.0.0.1",
    "ip proto 47",
    "less 64",
    "greater 1000",
    "ip[8] < 5",
    "ip and not (src net 10.0.0.0/8 or dst net 10.0.0.0/8)",
    "(tcp or udp) and port 53",
    "tcp and (port 80 or port 443 or port 8080)",
};

struct Corpus {
  std::vector<std::string> exprs;
  std::string source;  // for the header
  bool read_error = false;
};

std::string Trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  const size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

Corpus LoadCorpus(const char* path, bool path_given) {
  Corpus c;
  std::ifstream in(path);
  if (!in) {
    c.read_error = path_given;
    for (const char* e : kFallbackCorpus) c.exprs.push_back(e);
    c.source = Printf("%s not found; built-in list of %zu expressions", path,
                      c.exprs.size());
    return c;
  }
  std::string line;
  while (std::getline(in, line)) {
    const std::string t = Trim(line);
    if (t.empty() || t[0] == '#') continue;
    c.exprs.push_back(t);
  }
  c.source = Printf("%s, %zu expressions", path, c.exprs.size());
  return c;
}

// The expression being compiled in-process, for the watchdog's message.
const char* volatile g_current_expr = "";

char g_watchdog_msg[128];

void CorpusWatchdog(int) {
  ssize_t ignored = write(2, g_watchdog_msg, strlen(g_watchdog_msg));
  const char* e = g_current_expr;
  ignored = write(2, e, strlen(e));
  ignored = write(2, "\n", 1);
  (void)ignored;
  _exit(2);
}

struct CorpusRow {
  std::string expr;
  uint64_t ours = 0, theirs = 0;
};

// Best of kCorpusRepeats; both compilers interleaved, so that drift in the
// machine's speed hits both.
void RunCorpus(const Corpus& corpus, Libpcap& libpcap) {
  printf("\n1. Corpus: each expression compiled by both, best of %d runs per "
         "expression\n\n", kCorpusRepeats);
  size_t both = 0, only_ours = 0, only_theirs = 0, neither = 0;
  std::vector<std::string> invalid;
  uint64_t insns_ours = 0, insns_theirs = 0, exec_ours = 0, exec_theirs = 0;
  size_t chains = 0;
  uint64_t chain_ours = 0, chain_theirs = 0;
  size_t genes = 0;
  uint64_t gene_ours = 0, gene_theirs = 0;  // geneve, inside the totals
  double time_ours = 0, time_theirs = 0;
  std::vector<CorpusRow> rows;
  std::vector<std::string> disagreements;

  snprintf(g_watchdog_msg, sizeof g_watchdog_msg,
           "\ncompile_bench: corpus watchdog fired after %u s while "
           "compiling: ", kCorpusWatchdogSec);
  signal(SIGALRM, CorpusWatchdog);
  alarm(kCorpusWatchdogSec);
  for (const std::string& expr : corpus.exprs) {
    g_current_expr = expr.c_str();
    Compiled ours = CompileBpfcap(expr);
    Compiled theirs = libpcap.Compile(expr);
    for (int i = 1; i < kCorpusRepeats; ++i) {
      ours.seconds = std::min(ours.seconds, CompileBpfcap(expr).seconds);
      theirs.seconds = std::min(theirs.seconds, libpcap.Compile(expr).seconds);
    }
    if (ours.ok != theirs.ok) {
      (ours.ok ? only_ours : only_theirs)++;
      disagreements.push_back(Printf("%-8s %s", ours.ok ? "bpfcap" : "libpcap",
                                     expr.c_str()));
      continue;
    }
    if (!ours.ok) {
      ++neither;
      continue;
    }
    ++both;
    if (expr.find("protochain") != std::string::npos) {
      // libpcap's protochain is a loop (backward jumps): shorter, but not a
      // program the kernel loads. Compared apart from the target.
      ++chains;
      chain_ours += ours.program.size();
      chain_theirs += theirs.program.size();
      continue;
    }
    std::string why;
    if (!bpfcap::cbpf::Validate(ours.program, &why))
      invalid.push_back(Printf("%s: %s", expr.c_str(), why.c_str()));
    insns_ours += ours.program.size();
    insns_theirs += theirs.program.size();
    if (expr.find("geneve") != std::string::npos) {
      ++genes;
      gene_ours += ours.program.size();
      gene_theirs += theirs.program.size();
    }
    exec_ours += bpfcap::cbpf::LongestPath(ours.program);
    exec_theirs += bpfcap::cbpf::LongestPath(theirs.program);
    time_ours += ours.seconds;
    time_theirs += theirs.seconds;
    rows.push_back({expr, ours.program.size(), theirs.program.size()});
  }
  alarm(0);
  signal(SIGALRM, SIG_DFL);

  printf("  expressions: %zu accepted by both, %zu rejected by both, "
         "%zu accepted only by bpfcap, %zu only by libpcap\n",
         both, neither, only_ours, only_theirs);
  for (size_t i = 0; i < disagreements.size() && i < 5; ++i)
    printf("    accepted only by %s\n", disagreements[i].c_str());
  if (disagreements.size() > 5)
    printf("    ... and %zu more\n", disagreements.size() - 5);
  if (!invalid.empty())
    printf("  WARNING: %zu bpfcap programs fail cbpf::Validate (counted "
           "anyway):\n", invalid.size());
  for (size_t i = 0; i < invalid.size() && i < 5; ++i)
    printf("    %s\n", invalid[i].c_str());
  printf("\n");

  const size_t n = std::max<size_t>(both, 1);
  Table totals({"over the expressions both accept", "bpfcap", "libpcap",
                "bpfcap/libpcap"});
  totals.Add({"total instructions", std::to_string(insns_ours),
              std::to_string(insns_theirs), FormatRatio(insns_ours, insns_theirs)});
  totals.Add({"total worst-case executed instructions", std::to_string(exec_ours),
              std::to_string(exec_theirs), FormatRatio(exec_ours, exec_theirs)});
  totals.Add({"total compile time", FormatSeconds(time_ours),
              FormatSeconds(time_theirs),
              time_theirs > 0 ? Printf("%.2fx", time_ours / time_theirs) : "-"});
  totals.Add({"mean compile time per expression", FormatSeconds(time_ours / n),
              FormatSeconds(time_theirs / n), ""});
  totals.Print();

  // Worst relative size first; ties by the absolute excess.
  std::stable_sort(rows.begin(), rows.end(),
                   [](const CorpusRow& a, const CorpusRow& b) {
                     const uint64_t l = a.ours * b.theirs, r = b.ours * a.theirs;
                     if (l != r) return l > r;
                     return a.ours - a.theirs > b.ours - b.theirs;
                   });
  printf("\n  The %d expressions where bpfcap is largest relative to libpcap "
         "(instructions):\n\n", kWorstShown);
  Table worst({"expression", "bpfcap", "libpcap", "ratio"});
  for (size_t i = 0; i < rows.size() && i < static_cast<size_t>(kWorstShown); ++i)
    worst.Add({rows[i].expr.size() > 72 ? rows[i].expr.substr(0, 69) + "..." : rows[i].expr,
               std::to_string(rows[i].ours),
               std::to_string(rows[i].theirs),
               FormatRatio(rows[i].ours, rows[i].theirs)});
  worst.Print();

  printf("\n  protochain, apart (%zu expressions): bpfcap %" PRIu64 ", libpcap %" PRIu64
         " instructions. libpcap's walk is a loop with\n"
         "  backward jumps, which the kernel's socket filter refuses and on which its own\n"
         "  bpf_filter can loop forever; bpfcap's is unrolled to 8 headers, forward only.\n",
         chains, chain_ours, chain_theirs);
  // geneve is in the target; its share is shown because it is where the
  // two differ most in kind (run-time offsets in scratch memory).
  printf("\n  of which geneve (%zu expressions): bpfcap %" PRIu64 ", libpcap %" PRIu64
         "; the others: bpfcap %" PRIu64 ", libpcap %" PRIu64 "\n",
         genes, gene_ours, gene_theirs, insns_ours - gene_ours, insns_theirs - gene_theirs);
  printf("\n  size target (bpfcap total <= libpcap total, without protochain): %s  (%" PRIu64
         " vs %" PRIu64 ")\n",
         Verdict(insns_ours <= insns_theirs), insns_ours, insns_theirs);
}

// --- 2. Scale -------------------------------------------------------------------

enum class Chain { kHost, kPort, kNet };

struct ChainKind {
  Chain chain;
  const char* name;
  const char* example;
};

constexpr ChainKind kChains[] = {
    {Chain::kHost, "host", "host 10.0.0.1 or host 10.0.0.2 or ..."},
    {Chain::kPort, "port", "port 1000 or port 1001 or ..."},
    {Chain::kNet, "net", "net 10.0.0.0/24 or net 10.0.1.0/24 or ..."},
};
constexpr int kScaleNs[] = {100, 500, 1000, 10000};
constexpr int kLibpcapMaxN = 500;       // optimized: cubic, seconds at 500
constexpr int kLibpcapUnoptN = 1000;    // unoptimized: linear, and the target's N
constexpr int kExecTargetN = 1000;

// The i-th (0-based) key: the host address, the port, or an address inside
// the net; all distinct for i < 65536.
uint32_t Key(Chain chain, int i) {
  switch (chain) {
    case Chain::kHost: return 0x0a000000u + uint32_t(i + 1);  // 10.0.0.1, ...
    case Chain::kPort: return 1000u + uint32_t(i);
    case Chain::kNet: return 0x0a000000u + (uint32_t(i) << 8) + 7;
  }
  return 0;
}

std::string Dotted(uint32_t a) {
  return Printf("%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
}

std::string Term(Chain chain, int i) {
  switch (chain) {
    case Chain::kHost: return "host " + Dotted(Key(chain, i));
    case Chain::kPort: return Printf("port %u", Key(chain, i));
    case Chain::kNet: return "net " + Dotted(Key(chain, i) & 0xffffff00u) + "/24";
  }
  return "";
}

std::string ChainExpr(Chain chain, int n) {
  std::string e;
  for (int i = 0; i < n; ++i) {
    if (i > 0) e += " or ";
    e += Term(chain, i);
  }
  return e;
}

// --- Frames for the interpreter: Ethernet, the headers the chains read ---

void Put(Frame& f, size_t at, uint32_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) f[at + i] = uint8_t(v >> (8 * (bytes - 1 - i)));
}

Frame Ipv4Tcp(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport) {
  Frame f(14 + 20 + 20, 0);
  Put(f, 12, 0x0800, 2);
  f[14] = 0x45;
  Put(f, 16, 40, 2);
  f[22] = 64;
  f[23] = 6;
  Put(f, 26, src, 4);
  Put(f, 30, dst, 4);
  Put(f, 34, sport, 2);
  Put(f, 36, dport, 2);
  return f;
}

Frame Ipv6Tcp(uint16_t sport, uint16_t dport) {
  Frame f(14 + 40 + 20, 0);
  Put(f, 12, 0x86dd, 2);
  f[14] = 0x60;
  Put(f, 18, 20, 2);
  f[20] = 6;
  f[21] = 64;
  Put(f, 54, sport, 2);
  Put(f, 56, dport, 2);
  return f;
}

Frame Arp(uint32_t spa, uint32_t tpa) {
  Frame f(14 + 28, 0);
  Put(f, 12, 0x0806, 2);
  Put(f, 14, 1, 2);
  Put(f, 16, 0x0800, 2);
  f[18] = 6;
  f[19] = 4;
  Put(f, 20, 1, 2);
  Put(f, 28, spa, 4);
  Put(f, 38, tpa, 4);
  return f;
}

// For each key, frames where it is the source and where it is the
// destination (the other side missing), on each path the chain has (IPv4
// and ARP for addresses, IPv4 and IPv6 for ports); then frames that miss.
std::vector<Frame> KeyFrames(Chain chain, int n) {
  const uint32_t miss = chain == Chain::kPort ? 7 : 0xc0a80001u;
  std::vector<Frame> out;
  auto add = [&](uint32_t a, uint32_t b) {
    if (chain == Chain::kPort) {
      out.push_back(Ipv4Tcp(0x0a000001, 0x0a000002, uint16_t(a), uint16_t(b)));
      out.push_back(Ipv6Tcp(uint16_t(a), uint16_t(b)));
    } else {
      out.push_back(Ipv4Tcp(a, b, 80, 80));
      out.push_back(Arp(a, b));
    }
  };
  for (int i = 0; i < n; ++i) {
    add(Key(chain, i), miss);
    add(miss, Key(chain, i));
  }
  add(miss, miss);
  return out;
}

// One row of the scale table from a measurement.
void AddScaleRow(Table& table, const std::string& kind, int n,
                 const char* compiler, const Measurement& m) {
  std::vector<std::string> lead = {kind, std::to_string(n), compiler};
  switch (m.status) {
    case Measurement::Status::kOk:
      lead.insert(lead.end(),
                  {FormatSeconds(m.report.seconds), FormatKib(m.maxrss_kib),
                   std::to_string(m.report.insns),
                   std::to_string(m.report.longest),
                   m.report.frames == 0 ? "-" : std::to_string(m.report.ran)});
      table.Add(std::move(lead));
      return;
    case Measurement::Status::kKilled:
      table.AddNote(std::move(lead),
                    Printf("> %u s (killed)", kChildTimeoutSec));
      return;
    case Measurement::Status::kCompileError:
      table.AddNote(std::move(lead), Printf("error: %s", m.report.error));
      return;
    case Measurement::Status::kCrashed:
      table.AddNote(std::move(lead), "crashed: " + m.detail);
      return;
  }
}

// On a terminal, a one-line note of what is being measured, so that the slow
// libpcap rows do not look like a hang; "" clears it.
void Progress(const std::string& what) {
  if (!isatty(2)) return;
  fprintf(stderr, "\r\033[K%s%s", what.empty() ? "" : "   measuring ",
          what.c_str());
  fflush(stderr);
}

// "38 (on frames 36)", or what went wrong.
std::string ExecFigure(const Measurement& m) {
  if (m.status != Measurement::Status::kOk) return "not measured";
  if (m.report.frames == 0) return std::to_string(m.report.longest);
  return Printf("%" PRIu64 " (interpreter on key frames: %" PRIu64 ")",
                m.report.longest, m.report.ran);
}

// Returns false when a bpfcap compile failed in any way.
bool RunScale(Libpcap& libpcap) {
  printf("\n2. Scale: long or-chains of distinct terms; each compile in its own "
         "forked child (time: best of up to 5 runs\n"
         "   while under 0.2 s; peak RSS: the child's ru_maxrss from wait4, "
         "including the process baseline below)\n\n");
  for (const ChainKind& k : kChains)
    printf("     %-4s  %s\n", k.name, k.example);
  printf("\n   worst-case executed: the longest path through the program "
         "(cbpf::LongestPath), an exact bound over all packets.\n"
         "   on key frames: the most instructions cbpf::Run executed over "
         "Ethernet frames where each key is the source,\n"
         "   then the destination (IPv4 and ARP for host/net, IPv4 and IPv6 "
         "TCP for port), and frames that miss (N <= %d).\n"
         "   libpcap runs optimized for N <= %d (its optimizer is cubic) and "
         "unoptimized (-O, linear) at N = %d.\n",
         kExecTargetN, kLibpcapMaxN, kLibpcapUnoptN);

  const Measurement idle = MeasureInChild(
      [] { return ChildReport{.ok = true, .seconds = 0, .insns = 0,
                              .longest = 0, .ran = 0, .frames = 0, .error = {}}; },
      kChildTimeoutSec);
  printf("\n   baseline: peak RSS of a forked child that compiles nothing: %s\n\n",
         FormatKib(idle.maxrss_kib).c_str());

  Table table({"chain", "N", "compiler", "compile time", "peak RSS",
               "instructions", "worst-case executed", "on key frames"},
              {true, false, true, false, false, false, false, false});
  bool all_ok = true;
  struct Result {
    Measurement at_10000, at_1000, libpcap_unopt_1000, libpcap_opt_largest;
    int libpcap_opt_n = 0;
  };
  std::vector<Result> results(std::size(kChains));

  for (size_t ci = 0; ci < std::size(kChains); ++ci) {
    const ChainKind& k = kChains[ci];
    Result& res = results[ci];
    if (ci > 0) table.Rule();
    for (int n : kScaleNs) {
      const std::string expr = ChainExpr(k.chain, n);
      const std::vector<Frame> frames =
          n <= kExecTargetN ? KeyFrames(k.chain, n) : std::vector<Frame>{};
      Progress(Printf("%s N=%d: bpfcap", k.name, n));
      const Measurement ours = MeasureInChild(
          [&] { return CompileForReport(expr, CompileBpfcap, frames); },
          kChildTimeoutSec);
      if (ours.status != Measurement::Status::kOk) all_ok = false;
      if (n == 10000) res.at_10000 = ours;
      if (n == kExecTargetN) res.at_1000 = ours;
      AddScaleRow(table, k.name, n, "bpfcap", ours);

      const bool optimized = n <= kLibpcapMaxN;
      if (!optimized && n != kLibpcapUnoptN) {
        table.AddNote({k.name, std::to_string(n), "libpcap"},
                      "not run (optimized: cubic, > 60 s; unoptimized: "
                      "measured at N = 1000)");
        continue;
      }
      Progress(Printf("%s N=%d: libpcap%s", k.name, n, optimized ? "" : " -O"));
      const Measurement theirs = MeasureInChild(
          [&] {
            return CompileForReport(
                expr,
                [&](const std::string& e) { return libpcap.Compile(e, optimized); },
                frames);
          },
          kChildTimeoutSec);
      AddScaleRow(table, k.name, n, optimized ? "libpcap" : "libpcap -O", theirs);
      if (optimized) {
        res.libpcap_opt_largest = theirs;
        res.libpcap_opt_n = n;
      } else {
        res.libpcap_unopt_1000 = theirs;
      }
    }
  }
  Progress("");
  table.Print("   ");
  printf("\n   (libpcap -O: unoptimized; libpcap's own optimizer does not finish "
         "N = %d in a minute)\n\n", kLibpcapUnoptN);

  printf("   Targets (bpfcap):\n");
  for (size_t ci = 0; ci < std::size(kChains); ++ci) {
    const Measurement& m = results[ci].at_10000;
    const bool met = m.status == Measurement::Status::kOk &&
                     m.report.seconds < kScaleTimeTarget &&
                     m.maxrss_kib < kScaleMemTargetKib;
    printf("     %-4s  N=10000 compile < 1 s and < 256 MiB: %s\n",
           kChains[ci].name, Verdict(met));
  }
  for (size_t ci = 0; ci < std::size(kChains); ++ci) {
    const Result& r = results[ci];
    const Measurement& m = r.at_1000;
    const bool met = m.status == Measurement::Status::kOk &&
                     m.report.longest <= kScaleExecTarget &&
                     m.report.ran <= kScaleExecTarget;
    printf("     %-4s  N=1000 worst-case executed instructions <= 40: %s\n"
           "             bpfcap %s\n"
           "             libpcap unoptimized, N=1000: %s\n"
           "             libpcap optimized, N=%d: %s\n",
           kChains[ci].name, Verdict(met), ExecFigure(m).c_str(),
           ExecFigure(r.libpcap_unopt_1000).c_str(), r.libpcap_opt_n,
           ExecFigure(r.libpcap_opt_largest).c_str());
  }
  return all_ok;
}

}  // namespace

int main(int argc, char** argv) {
  const bool path_given = argc > 1;
  const char* path = path_given ? argv[1] : kDefaultCorpus;
  const auto start = Clock::now();
  const Corpus corpus = LoadCorpus(path, path_given);

  Libpcap libpcap;
  if (!libpcap.ok()) {
    fprintf(stderr, "compile_bench: pcap_open_dead failed\n");
    return 1;
  }
  PrintHeader(corpus.source);
  RunCorpus(corpus, libpcap);
  const bool scale_ok = RunScale(libpcap);
  printf("\n   total benchmark time: %.1f s\n", SecondsSince(start));

  if (corpus.read_error) {
    fprintf(stderr, "compile_bench: cannot read %s\n", path);
    return 1;
  }
  if (!scale_ok) {
    fprintf(stderr, "compile_bench: a bpfcap scale compile failed (see table)\n");
    return 1;
  }
  return 0;
}
