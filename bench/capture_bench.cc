// capture_bench: bpfcap's live capture beside tcpdump's, under the same load
// in the same run (issues 3 and 5). Needs root; `make bench-capture` runs it.
//
// Takes flags (or environment variables) for the run length, the offered
// rate, the frame size and where -w files go (see Usage()). Produces one
// plain-text table: for each tool (tcpdump; bpfcap with the AF_PACKET
// engine and cBPF, "bpfcap"; with the XDP ring-buffer engine in native
// mode, "bpfcap-xdp", and in generic mode, "bpfcap-xdpg"; with the eBPF
// socket filter on the AF_PACKET ring, "bpfcap-ebpf"), filter (match-all "udp", match-1% "udp dst port 7777")
// and output (-w /dev/null, -w FILE, and for tcpdump and bpfcap -nn text to
// /dev/null), the packets offered, the packets matching, the packets
// captured, the kernel's drop count and the CPU time of the whole machine
// above the generator-alone baseline per captured packet. Then the issues'
// targets, PASS or MISS each.
//
// How a run goes:
//   1. tests/integration/netns.h makes two namespaces joined by a veth pair
//      (names "bpfcTcb-<pid>-..."; removed at the end, on failure and on
//      Ctrl-C/SIGTERM; leftovers of a killed run go at the next start).
//   2. The tool runs in namespace A on A's veth end (`ip netns exec`), pinned
//      to the last CPU, stdout to /dev/null, stderr to a pipe. Once it says
//      "listening on", /proc/stat is read, the generator sends for the run
//      length, the tool gets a short drain, /proc/stat is read again, then
//      SIGINT; its three statistics lines give captured and dropped.
//   3. The generator, a thread pinned to CPU 0, sends 64-byte UDP frames
//      from B, paced to the rate. One frame in 100 goes to port 7777, the
//      others to port 9. The destination MAC is nobody's, so A's IP stack
//      drops every frame at once (PACKET_OTHERHOST) and the tools see the
//      frames and nothing else: no replies, no ICMP. By default it is the
//      kernel's XDP generator (BPF_PROG_TEST_RUN with live frames, see
//      XdpGenerator), whose frames reach A the way a NIC's would, so that
//      native XDP on A runs before any socket buffer exists; `--gen
//      sendmmsg` sends socket buffers with sendmmsg() on a packet socket.
//   4. The baseline is the generator alone, the same length, before the
//      first and after the last tool run; the table subtracts their mean.
//
// Exit status: 0 when the report is complete, targets met or not (and when
// skipped without root); 1 when the network or a tool cannot run.
//
// Deliberately not here: statistics over repeated runs (run it twice),
// pcapng, more than one capture thread.
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <dirent.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cinttypes>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstddef>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "capture/savefile.h"
#include "tests/integration/netns.h"

namespace {

using bpfcap::test::NetnsPair;

constexpr uint16_t kMatchPort = 7777;    // 1 frame in 100
constexpr uint16_t kOtherPort = 9;       // the other 99
constexpr int kPatternLength = 100;
constexpr unsigned kBatch = 64;          // frames per sendmmsg()
// After the generator stops: tcpdump's ring hands over a partly filled block
// only after its 1 s timeout (bpfcap's: 20 ms).
constexpr double kDrainSeconds = 1.2;
constexpr double kSettleSeconds = 0.3;   // after "listening on"
constexpr int kStartTimeoutMs = 5000;
constexpr int kStopTimeoutMs = 10000;
constexpr uint8_t kNobodysMac[6] = {0x02, 0xbf, 0xc0, 0x00, 0x00, 0xee};

std::atomic<bool> g_stop{false};

void OnStopSignal(int) { g_stop.store(true); }

// --- configuration --------------------------------------------------------

struct Config {
  double seconds = 8.0;        // generator time per run
  uint64_t rate = 300000;      // frames per second; 0 = as fast as it goes
  // For the text runs: the issue compares drops "at the maximum rate".
  uint64_t text_rate = 0;
  unsigned frame_len = 64;     // bytes, Ethernet header included, no FCS
  std::string dir = "/dev/shm";  // where -w FILE goes
  std::string bpfcap = "build/bpfcap";
  std::string tcpdump = "tcpdump";
  bool pin = true;
  bool xdp_gen = true;         // --gen xdp|sendmmsg
  // For issue 5's rows (every engine): "at the maximum offered rate".
  uint64_t xdp_rate = 0;
  bool run_tool[5] = {true, true, true, true, true};  // by Tool: --tools LIST
};

void Usage() {
  std::fprintf(stderr,
               "usage: capture_bench [--seconds S] [--rate PPS|max] [--text-rate PPS|max]\n"
               "                     [--xdp-rate PPS|max]\n"
               "                     [--size BYTES]\n"
               "                     [--dir DIR] [--bpfcap PATH] [--tcpdump PATH] [--no-pin]\n"
               "                     [--tools all|both|LIST] [--gen xdp|sendmmsg]\n"
               "                     LIST: tcpdump,bpfcap,xdp,xdpg,ebpf (xdpg: generic XDP)\n"
               "                     (both: tcpdump,bpfcap; default all)\n"
               "  environment: BENCH_SECONDS, BENCH_RATE, BENCH_TEXT_RATE, BENCH_XDP_RATE, BENCH_SIZE,\n"
               "               BENCH_DIR,\n"
               "               BENCH_PIN=0, BENCH_GEN,\n"
               "               BENCH_TOOLS\n");
}

bool ParseRate(const std::string& text, uint64_t* rate) {
  if (text == "max") {
    *rate = 0;
    return true;
  }
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || *end != '\0' || v < 0) return false;
  *rate = static_cast<uint64_t>(v);
  return true;
}

// --tools: "all", "both" (tcpdump and bpfcap) or a comma-separated list of
// tcpdump, bpfcap, xdp, xdpg, ebpf.
bool ParseTools(const std::string& value, Config* c) {
  const std::string list = value == "all"    ? "tcpdump,bpfcap,xdp,xdpg,ebpf"
                           : value == "both" ? "tcpdump,bpfcap"
                                             : value;
  constexpr const char* kNames[] = {"tcpdump", "bpfcap", "xdp", "xdpg", "ebpf"};
  std::fill(std::begin(c->run_tool), std::end(c->run_tool), false);
  std::istringstream words(list);
  std::string word;
  while (std::getline(words, word, ',')) {
    const auto* at = std::find_if(std::begin(kNames), std::end(kNames),
                                  [&](const char* n) { return word == n; });
    if (at == std::end(kNames)) return false;
    c->run_tool[at - std::begin(kNames)] = true;
  }
  return std::any_of(std::begin(c->run_tool), std::end(c->run_tool), [](bool b) { return b; });
}

// Applies one setting from a flag or the environment; false if malformed.
bool Apply(const std::string& key, const std::string& value, Config* c) {
  char* end = nullptr;
  if (key == "seconds") {
    c->seconds = std::strtod(value.c_str(), &end);
    return end != value.c_str() && *end == '\0' && c->seconds > 0 && c->seconds <= 600;
  }
  if (key == "rate") return ParseRate(value, &c->rate);
  if (key == "text-rate") return ParseRate(value, &c->text_rate);
  if (key == "xdp-rate") return ParseRate(value, &c->xdp_rate);
  if (key == "size") {
    c->frame_len = static_cast<unsigned>(std::strtoul(value.c_str(), &end, 10));
    return end != value.c_str() && *end == '\0' && c->frame_len >= 60 && c->frame_len <= 1514;
  }
  if (key == "dir") c->dir = value;
  else if (key == "bpfcap") c->bpfcap = value;
  else if (key == "tcpdump") c->tcpdump = value;
  else if (key == "pin") c->pin = value != "0";
  else if (key == "gen") {
    c->xdp_gen = value == "xdp";
    return value == "xdp" || value == "sendmmsg";
  }
  else if (key == "tools") return ParseTools(value, c);
  else {
    return false;
  }
  return true;
}

bool ParseConfig(int argc, char** argv, Config* c) {
  for (const char* key : {"seconds", "rate", "text-rate", "xdp-rate", "size", "dir", "pin", "tools", "gen"}) {
    std::string env = "BENCH_";
    for (const char* p = key; *p; ++p) env += *p == '-' ? '_' : static_cast<char>(*p - 'a' + 'A');
    if (const char* v = std::getenv(env.c_str()); v != nullptr && *v != '\0') {
      if (!Apply(key, v, c)) {
        std::fprintf(stderr, "capture_bench: bad %s='%s'\n", env.c_str(), v);
        return false;
      }
    }
  }
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--no-pin") {
      c->pin = false;
      continue;
    }
    if (arg.rfind("--", 0) != 0 || i + 1 >= argc || !Apply(arg.substr(2), argv[i + 1], c)) {
      Usage();
      return false;
    }
    ++i;
  }
  return true;
}

// --- measuring ------------------------------------------------------------

double Now() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}

// Sleeps `seconds`, or less when a stop signal arrives.
void Sleep(double seconds) {
  const double until = Now() + seconds;
  while (!g_stop.load()) {
    const double left = until - Now();
    if (left <= 0) return;
    const double step = std::min(left, 0.05);
    timespec ts{static_cast<time_t>(step), static_cast<long>((step - double(time_t(step))) * 1e9)};
    nanosleep(&ts, nullptr);
  }
}

// Busy CPU time of the whole machine since boot, in seconds: every column of
// /proc/stat's "cpu" line except idle and iowait (guest time is already in
// user).
double BusySeconds() {
  std::ifstream f("/proc/stat");
  std::string cpu;
  uint64_t user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0,
           steal = 0;
  f >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal;
  return double(user + nice + system + irq + softirq + steal) / double(sysconf(_SC_CLK_TCK));
}

// rx_packets of `ifname` in /proc/net/dev, read by a thread inside `side`.
uint64_t RxPackets(const NetnsPair& net, NetnsPair::Side side) {
  uint64_t packets = 0;
  net.RunIn(side, [&] {
    std::ifstream f("/proc/thread-self/net/dev");
    std::string line;
    const std::string want = net.ifname(side) + ":";
    while (std::getline(f, line)) {
      std::istringstream words(line);
      std::string name;
      uint64_t bytes = 0;
      if (words >> name >> bytes >> packets && name == want) return;
      packets = 0;
    }
  });
  return packets;
}

// CPU seconds used by every thread of process `pid` (or by thread `pid`
// when it is a kernel thread), in nanoseconds from /proc/.../schedstat; 0 if
// it is gone.
double TaskCpuSeconds(pid_t pid) {
  const std::string dir = "/proc/" + std::to_string(pid) + "/task";
  DIR* tasks = opendir(dir.c_str());
  if (tasks == nullptr) return 0;
  uint64_t ns = 0;
  while (dirent* e = readdir(tasks)) {
    if (e->d_name[0] == '.') continue;
    std::ifstream f(dir + "/" + e->d_name + "/schedstat");
    uint64_t run = 0;
    if (f >> run) ns += run;
  }
  closedir(tasks);
  return double(ns) * 1e-9;
}

// The ksoftirqd/N threads: network receive work the generator's own
// context does not finish ends up there.
std::vector<pid_t> SoftirqThreads() {
  std::vector<pid_t> pids;
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return pids;
  while (dirent* e = readdir(proc)) {
    const pid_t pid = static_cast<pid_t>(std::strtol(e->d_name, nullptr, 10));
    if (pid <= 0) continue;
    std::ifstream comm(std::string("/proc/") + e->d_name + "/comm");
    std::string name;
    if (std::getline(comm, name) && name.rfind("ksoftirqd/", 0) == 0) pids.push_back(pid);
  }
  closedir(proc);
  return pids;
}

// Times process `pid` went to sleep waiting (voluntary context switches of
// all its threads): how often the capture woke up.
uint64_t Wakeups(pid_t pid) {
  const std::string dir = "/proc/" + std::to_string(pid) + "/task";
  DIR* tasks = opendir(dir.c_str());
  if (tasks == nullptr) return 0;
  uint64_t n = 0;
  while (dirent* e = readdir(tasks)) {
    if (e->d_name[0] == '.') continue;
    std::ifstream f(dir + "/" + e->d_name + "/status");
    std::string line;
    while (std::getline(f, line)) {
      if (line.rfind("voluntary_ctxt_switches:", 0) == 0) {
        n += std::strtoull(line.c_str() + line.find(':') + 1, nullptr, 10);
      }
    }
  }
  closedir(tasks);
  return n;
}

double SoftirqCpuSeconds(const std::vector<pid_t>& pids) {
  double sum = 0;
  for (pid_t p : pids) sum += TaskCpuSeconds(p);
  return sum;
}

double ThreadCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}

bool PinThread(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return pthread_setaffinity_np(pthread_self(), sizeof(set), &set) == 0;
}

// --- the generator --------------------------------------------------------

uint16_t IpChecksum(const uint8_t* p, size_t n) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < n; i += 2) sum += uint32_t(p[i] << 8 | p[i + 1]);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

// An Ethernet/IPv4/UDP frame of `len` bytes from B to A's address, to a MAC
// address nobody has, UDP checksum 0.
std::vector<uint8_t> UdpFrame(const NetnsPair& net, unsigned len, uint16_t dst_port) {
  std::vector<uint8_t> f(len, 0);
  const bpfcap::test::Mac src = net.mac(NetnsPair::kB);
  std::memcpy(f.data(), kNobodysMac, 6);
  std::memcpy(f.data() + 6, src.data(), 6);
  f[12] = 0x08;  // IPv4
  uint8_t* ip = f.data() + ETH_HLEN;
  const unsigned ip_len = len - ETH_HLEN;
  ip[0] = 0x45;
  ip[2] = static_cast<uint8_t>(ip_len >> 8);
  ip[3] = static_cast<uint8_t>(ip_len);
  ip[6] = 0x40;  // don't fragment
  ip[8] = 64;
  ip[9] = IPPROTO_UDP;
  inet_pton(AF_INET, net.ip4(NetnsPair::kB).c_str(), ip + 12);
  inet_pton(AF_INET, net.ip4(NetnsPair::kA).c_str(), ip + 16);
  const uint16_t sum = IpChecksum(ip, 20);
  ip[10] = static_cast<uint8_t>(sum >> 8);
  ip[11] = static_cast<uint8_t>(sum);
  uint8_t* udp = ip + 20;
  const unsigned udp_len = ip_len - 20;
  udp[0] = 40000 >> 8;
  udp[1] = 40000 & 0xff;
  udp[2] = static_cast<uint8_t>(dst_port >> 8);
  udp[3] = static_cast<uint8_t>(dst_port);
  udp[4] = static_cast<uint8_t>(udp_len >> 8);
  udp[5] = static_cast<uint8_t>(udp_len);
  return f;
}

// Sends the pattern: frame n of a run (n from 0) goes to kMatchPort when
// n % kPatternLength == 0, to kOtherPort otherwise.
class Generator {
 public:
  virtual ~Generator() = default;
  // Sends for `seconds` at `rate` frames/s (0: flat out) on the calling
  // thread; returns the frames handed to the veth.
  virtual uint64_t Send(double seconds, uint64_t rate) = 0;
  // For the report's header.
  virtual std::string Describe() const = 0;
};

// A thread's sleep until `due` (CLOCK_MONOTONIC seconds), no later than `end`.
void SleepUntil(double due, double end) {
  const double wait = std::min(due, end) - Now();
  if (wait <= 0) return;
  timespec ts{static_cast<time_t>(wait), static_cast<long>((wait - double(time_t(wait))) * 1e9)};
  nanosleep(&ts, nullptr);
}

// sendmmsg() on an AF_PACKET socket of namespace B, 64 prebuilt frames a
// call. A frame leaves as a socket buffer with little headroom: a native
// XDP program on A's end makes veth copy every frame first.
class SendmmsgGenerator : public Generator {
 public:
  // nullptr with *error on failure.
  static std::unique_ptr<Generator> Create(const NetnsPair& net, unsigned frame_len,
                                           std::string* error) {
    std::unique_ptr<SendmmsgGenerator> g(new SendmmsgGenerator());
    g->fd_ = net.Socket(NetnsPair::kB, AF_PACKET, SOCK_RAW, 0);
    if (g->fd_ < 0) {
      *error = std::string("packet socket in B: ") + std::strerror(errno);
      return nullptr;
    }
    const int one = 1;
    setsockopt(g->fd_, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one));
    g->to_.sll_family = AF_PACKET;
    g->to_.sll_protocol = htons(ETH_P_IP);
    g->to_.sll_ifindex = net.ifindex(NetnsPair::kB);
    g->to_.sll_halen = 6;
    std::memcpy(g->to_.sll_addr, kNobodysMac, 6);
    for (int i = 0; i < kPatternLength; ++i) {
      g->frames_.push_back(UdpFrame(net, frame_len, i == 0 ? kMatchPort : kOtherPort));
    }
    for (std::vector<uint8_t>& f : g->frames_) g->iovs_.push_back({f.data(), f.size()});
    return g;
  }
  ~SendmmsgGenerator() override {
    if (fd_ >= 0) close(fd_);
  }
  SendmmsgGenerator(const SendmmsgGenerator&) = delete;
  SendmmsgGenerator& operator=(const SendmmsgGenerator&) = delete;

  uint64_t Send(double seconds, uint64_t rate) override {
    mmsghdr msgs[kBatch] = {};
    for (mmsghdr& m : msgs) {
      m.msg_hdr.msg_name = &to_;
      m.msg_hdr.msg_namelen = sizeof(to_);
      m.msg_hdr.msg_iovlen = 1;
    }
    uint64_t sent = 0;
    const double start = Now();
    const double end = start + seconds;
    for (;;) {
      const double now = Now();
      if (now >= end || g_stop.load()) break;
      if (rate > 0) {
        // Ahead of schedule: sleep until this batch is due.
        const double due = start + double(sent + kBatch) / double(rate);
        if (due > now + 20e-6) {
          SleepUntil(due, end);
          continue;
        }
      }
      for (unsigned i = 0; i < kBatch; ++i) {
        msgs[i].msg_hdr.msg_iov = &iovs_[(sent + i) % kPatternLength];
      }
      const int n = sendmmsg(fd_, msgs, kBatch, 0);
      if (n > 0) sent += static_cast<uint64_t>(n);  // else ENOBUFS and the like: again
    }
    return sent;
  }
  std::string Describe() const override {
    return "sendmmsg() on an AF_PACKET socket (64 frames a call)";
  }

 private:
  SendmmsgGenerator() = default;
  int fd_ = -1;
  sockaddr_ll to_{};
  std::vector<std::vector<uint8_t>> frames_;
  std::vector<iovec> iovs_;
};

constexpr bpf_insn Insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
  bpf_insn i{};
  i.code = code;
  i.dst_reg = dst & 0xf;
  i.src_reg = src & 0xf;
  i.off = off;
  i.imm = imm;
  return i;
}

// The kernel's own XDP traffic generator: BPF_PROG_TEST_RUN with
// BPF_F_TEST_XDP_LIVE_FRAMES runs a small XDP program `repeat` times on a
// page-pool copy of one frame, in namespace B as if B's veth end had
// received it, and the program's XDP_TX sends each frame out of that end.
// veth hands such frames to A as XDP frames, in pages with XDP's headroom,
// as a NIC driver would: a native XDP program on A runs on them without a
// copy, and without one A's NAPI builds a socket buffer for the stack and
// the packet sockets. The program counts frames in an array map and writes
// the UDP destination port, so the pattern is the same as sendmmsg's.
class XdpGenerator : public Generator {
 public:
  static std::unique_ptr<Generator> Create(const NetnsPair& net, unsigned frame_len,
                                           std::string* error) {
    std::unique_ptr<XdpGenerator> g(new XdpGenerator());
    g->ns_ = "/run/netns/" + net.ns(NetnsPair::kB);
    g->ifindex_ = net.ifindex(NetnsPair::kB);
    g->frame_ = UdpFrame(net, frame_len, kOtherPort);
    g->map_fd_ = bpf_map_create(BPF_MAP_TYPE_ARRAY, "bench_gen", 4, 8, 1, nullptr);
    if (g->map_fd_ < 0) {
      *error = std::string("XDP generator: BPF_MAP_CREATE: ") + std::strerror(errno);
      return nullptr;
    }
    if (!g->Load(error)) return nullptr;
    // A's veth end takes XDP frames only with NAPI on, which XDP or GRO
    // turns on: GRO, so that the runs without XDP get the frames too.
    if (!SetGro(net, NetnsPair::kA, error)) return nullptr;
    // A short live run checks the whole path before the first baseline.
    g->Reset();
    if (!g->Run(64, error)) return nullptr;
    return g;
  }
  ~XdpGenerator() override {
    if (prog_fd_ >= 0) close(prog_fd_);
    if (map_fd_ >= 0) close(map_fd_);
  }
  XdpGenerator(const XdpGenerator&) = delete;
  XdpGenerator& operator=(const XdpGenerator&) = delete;

  uint64_t Send(double seconds, uint64_t rate) override {
    // BPF_PROG_TEST_RUN finds the ingress device in the caller's network
    // namespace: this thread moves into B (setns of a network namespace
    // moves only the calling thread; the senders are threads of their own).
    const int ns = open(ns_.c_str(), O_RDONLY | O_CLOEXEC);
    if (ns < 0 || setns(ns, CLONE_NEWNET) != 0) {
      std::fprintf(stderr, "capture_bench: XDP generator: setns %s: %s\n", ns_.c_str(),
                   std::strerror(errno));
      if (ns >= 0) close(ns);
      return 0;
    }
    close(ns);
    Reset();
    // A call sends its frames at some 2 Mpps, then returns about 24 ms
    // later, asleep (the kernel tears its page pool down; calls from other
    // threads wait for it too). Paced: one call per 40 ms, so bursts of 40
    // ms worth of frames. Flat out: calls of 1M frames.
    const uint64_t chunk = rate > 0 ? std::max<uint64_t>(rate / 25, kBatch) : 1u << 20;
    uint64_t sent = 0;
    const double start = Now();
    const double end = start + seconds;
    std::string error;
    for (;;) {
      const double now = Now();
      if (now >= end || g_stop.load()) break;
      if (rate > 0) {
        const double due = start + double(sent) / double(rate);
        if (due > now + 20e-6) {
          SleepUntil(due, end);
          continue;
        }
      }
      if (!Run(chunk, &error)) {
        std::fprintf(stderr, "capture_bench: XDP generator: %s\n", error.c_str());
        break;
      }
      sent += chunk;
    }
    return sent;
  }
  std::string Describe() const override {
    return "XDP (BPF_PROG_TEST_RUN live frames, XDP_TX out of B's end)";
  }

 private:
  XdpGenerator() = default;

  bool Load(std::string* error) {
    constexpr int32_t kPortOff = ETH_HLEN + 20 + 2;  // UDP destination port
    const bpf_insn prog[] = {
        // r7 = data; r0 = data + kPortOff + 2; past data_end: abort.
        Insn(BPF_LDX | BPF_MEM | BPF_W, 7, 1, offsetof(xdp_md, data), 0),
        Insn(BPF_LDX | BPF_MEM | BPF_W, 8, 1, offsetof(xdp_md, data_end), 0),
        Insn(BPF_ALU64 | BPF_MOV | BPF_X, 0, 7, 0, 0),
        Insn(BPF_ALU64 | BPF_ADD | BPF_K, 0, 0, 0, kPortOff + 2),
        Insn(BPF_JMP | BPF_JGT | BPF_X, 0, 8, 18, 0),
        // r0 = &count (map fd_, key 0 on the stack).
        Insn(BPF_ST | BPF_MEM | BPF_W, 10, 0, -4, 0),
        Insn(BPF_LD | BPF_DW | BPF_IMM, 1, BPF_PSEUDO_MAP_FD, 0, map_fd_),
        Insn(0, 0, 0, 0, 0),
        Insn(BPF_ALU64 | BPF_MOV | BPF_X, 2, 10, 0, 0),
        Insn(BPF_ALU64 | BPF_ADD | BPF_K, 2, 0, 0, -4),
        Insn(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem),
        Insn(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 11, 0),
        // n = count++; port = n % 100 ? kOtherPort : kMatchPort.
        Insn(BPF_LDX | BPF_MEM | BPF_DW, 1, 0, 0, 0),
        Insn(BPF_ALU64 | BPF_MOV | BPF_X, 2, 1, 0, 0),
        Insn(BPF_ALU64 | BPF_ADD | BPF_K, 2, 0, 0, 1),
        Insn(BPF_STX | BPF_MEM | BPF_DW, 0, 2, 0, 0),
        Insn(BPF_ALU64 | BPF_MOD | BPF_K, 1, 0, 0, kPatternLength),
        Insn(BPF_ALU64 | BPF_MOV | BPF_K, 2, 0, 0, htons(kOtherPort)),
        Insn(BPF_JMP | BPF_JNE | BPF_K, 1, 0, 1, 0),
        Insn(BPF_ALU64 | BPF_MOV | BPF_K, 2, 0, 0, htons(kMatchPort)),
        Insn(BPF_STX | BPF_MEM | BPF_H, 7, 2, kPortOff, 0),
        Insn(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, XDP_TX),
        Insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
        // abort:
        Insn(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, XDP_ABORTED),
        Insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
    };
    static char log[8192];
    LIBBPF_OPTS(bpf_prog_load_opts, opts, .log_level = 1, .log_size = sizeof(log), .log_buf = log);
    prog_fd_ = bpf_prog_load(BPF_PROG_TYPE_XDP, "bench_gen", "GPL", prog,
                             sizeof(prog) / sizeof(prog[0]), &opts);
    if (prog_fd_ < 0) {
      *error = std::string("XDP generator: BPF_PROG_LOAD: ") + std::strerror(errno) + "\n" + log;
      return false;
    }
    return true;
  }

  void Reset() {
    const uint32_t key = 0;
    const uint64_t zero = 0;
    bpf_map_update_elem(map_fd_, &key, &zero, BPF_ANY);
  }

  bool Run(uint64_t frames, std::string* error) {
    xdp_md ctx{};
    ctx.data_end = static_cast<uint32_t>(frame_.size());
    ctx.ingress_ifindex = static_cast<uint32_t>(ifindex_);
    LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame_.data(),
                .data_size_in = static_cast<uint32_t>(frame_.size()), .ctx_in = &ctx,
                .ctx_size_in = sizeof(ctx), .repeat = static_cast<int>(frames),
                .flags = BPF_F_TEST_XDP_LIVE_FRAMES, .batch_size = kBatch);
    if (bpf_prog_test_run_opts(prog_fd_, &opts) != 0) {
      *error = std::string("BPF_PROG_TEST_RUN (live frames): ") + std::strerror(errno);
      return false;
    }
    return true;
  }

  // GRO on `side`'s veth end (SIOCETHTOOL, ETHTOOL_SGRO).
  static bool SetGro(const NetnsPair& net, NetnsPair::Side side, std::string* error) {
    const int fd = net.Socket(side, AF_INET, SOCK_DGRAM, 0);
    ethtool_value value{ETHTOOL_SGRO, 1};
    ifreq ifr{};
    std::snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", net.ifname(side).c_str());
    ifr.ifr_data = reinterpret_cast<char*>(&value);
    const bool ok = fd >= 0 && ioctl(fd, SIOCETHTOOL, &ifr) == 0;
    if (!ok) *error = "GRO on " + net.ifname(side) + ": " + std::strerror(errno);
    if (fd >= 0) close(fd);
    return ok;
  }

  std::string ns_;
  int ifindex_ = 0;
  std::vector<uint8_t> frame_;
  int map_fd_ = -1;
  int prog_fd_ = -1;
};

// Matching frames among the first `sent` of a run.
uint64_t Matching(uint64_t sent, bool match_all) {
  return match_all ? sent : (sent + kPatternLength - 1) / kPatternLength;
}

// --- the tools ------------------------------------------------------------

enum class Tool {
  kTcpdump,  // tcpdump: AF_PACKET, cBPF
  kBpfcap,   // bpfcap: AF_PACKET, cBPF
  kXdp,      // bpfcap --engine=xdp: XDP program (native mode), BPF ring buffer
  kXdpGeneric,  // bpfcap --engine=xdp --xdp-mode=generic
  kEbpf,     // bpfcap --target=ebpf: AF_PACKET, eBPF socket filter
};
constexpr Tool kTools[] = {Tool::kTcpdump, Tool::kBpfcap, Tool::kXdp, Tool::kXdpGeneric,
                           Tool::kEbpf};
constexpr int kToolCount = 5;
enum class Output { kNull, kFile, kText };

const char* ToolName(Tool t) {
  switch (t) {
    case Tool::kTcpdump: return "tcpdump";
    case Tool::kBpfcap: return "bpfcap";
    case Tool::kXdp: return "bpfcap-xdp";
    case Tool::kXdpGeneric: return "bpfcap-xdpg";
    case Tool::kEbpf: return "bpfcap-ebpf";
  }
  return "?";
}

// The engines issue 5 added run the files but not the text output.
bool Runs(Tool t, Output o) { return o != Output::kText || t == Tool::kTcpdump || t == Tool::kBpfcap; }
const char* OutputName(Output o) {
  switch (o) {
    case Output::kNull: return "-w /dev/null";
    case Output::kFile: return "-w FILE";
    case Output::kText: return "-nn text";
  }
  return "?";
}

struct FilterCase {
  const char* label;
  const char* expr;
  bool match_all;
};
constexpr FilterCase kFilters[] = {
    {"all", "udp", true},
    {"1%", "udp dst port 7777", false},
};

struct Measurement {
  uint64_t offered = 0;   // frames the generator sent
  uint64_t received = 0;  // frames A's veth received
  uint64_t captured = 0;  // in the file (-w FILE), else the tool's count
  uint64_t dropped = 0;   // "N packets dropped by kernel"
  double busy = 0;        // CPU seconds of the machine in the window
  // CPU seconds of the tool, the generator thread (which runs the veth
  // receive path, the tool's kernel filter and ring copy included, in its
  // softirq) and ksoftirqd: what other processes on the machine don't blur.
  double attributed = 0;
  double tool = 0;        // CPU seconds of the tool's process alone
  uint64_t wakeups = 0;   // the tool's voluntary context switches
};

// A running capture tool: ip netns exec NS TOOL ARGS, stdout to /dev/null,
// stderr into a pipe we read.
class ToolProcess {
 public:
  ToolProcess() = default;
  ~ToolProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (err_fd_ >= 0) close(err_fd_);
  }
  ToolProcess(const ToolProcess&) = delete;
  ToolProcess& operator=(const ToolProcess&) = delete;

  bool Start(const std::vector<std::string>& argv, int cpu, std::string* error) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
      *error = std::string("pipe: ") + std::strerror(errno);
      return false;
    }
    pid_ = fork();
    if (pid_ < 0) {
      *error = std::string("fork: ") + std::strerror(errno);
      return false;
    }
    if (pid_ == 0) {
      const int null_fd = open("/dev/null", O_WRONLY);
      dup2(null_fd, 1);
      dup2(fds[1], 2);
      if (cpu >= 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(cpu, &set);
        sched_setaffinity(0, sizeof(set), &set);
      }
      std::vector<char*> args;
      for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      execvp(args[0], args.data());
      _exit(127);
    }
    close(fds[1]);
    err_fd_ = fds[0];
    // Ready when it says "listening on".
    const double deadline = Now() + kStartTimeoutMs / 1000.0;
    while (stderr_.find("listening on") == std::string::npos) {
      const int left = static_cast<int>((deadline - Now()) * 1000);
      if (left <= 0 || g_stop.load() || !ReadSome(left)) {
        *error = "did not start listening: " + Tail();
        return false;
      }
    }
    return true;
  }

  // SIGINT, then waits for the exit and the rest of stderr.
  bool Stop(std::string* error) {
    kill(pid_, SIGINT);
    const double deadline = Now() + kStopTimeoutMs / 1000.0;
    while (Now() < deadline && ReadSome(std::max(1, static_cast<int>((deadline - Now()) * 1000)))) {
    }
    int status = 0;
    pid_t done = 0;
    while ((done = waitpid(pid_, &status, WNOHANG)) == 0 && Now() < deadline) {
      usleep(10000);
    }
    if (done != pid_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
      pid_ = -1;
      *error = "did not stop within 10 s after SIGINT";
      return false;
    }
    pid_ = -1;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      *error = "exited abnormally: " + Tail();
      return false;
    }
    return true;
  }

  pid_t pid() const { return pid_; }

  // The number before `what` on a line of stderr ("123 packets captured").
  bool Count(const char* what, uint64_t* n) const {
    std::istringstream lines(stderr_);
    std::string line;
    while (std::getline(lines, line)) {
      const size_t at = line.find(what);
      if (at == std::string::npos || at == 0) continue;
      *n = std::strtoull(line.c_str(), nullptr, 10);
      return true;
    }
    return false;
  }
  std::string Tail() const {
    std::string t = stderr_.size() > 300 ? stderr_.substr(stderr_.size() - 300) : stderr_;
    std::replace(t.begin(), t.end(), '\n', ' ');
    return t;
  }

 private:
  // Reads what stderr has within timeout_ms; false at end of file or timeout.
  bool ReadSome(int timeout_ms) {
    pollfd p{err_fd_, POLLIN, 0};
    const int n = poll(&p, 1, timeout_ms);
    if (n <= 0) return false;
    char buf[4096];
    const ssize_t got = read(err_fd_, buf, sizeof(buf));
    if (got <= 0) return false;
    stderr_.append(buf, static_cast<size_t>(got));
    return true;
  }

  pid_t pid_ = -1;
  int err_fd_ = -1;
  std::string stderr_;
};

// Packets in a pcap file, read with bpfcap's reader; -1 if unreadable.
int64_t PacketsInFile(const std::string& path, std::string* error) {
  std::unique_ptr<bpfcap::capture::PacketSource> in = bpfcap::capture::OpenSavefile(path, error);
  if (!in) return -1;
  int64_t n = 0;
  bpfcap::capture::Packet p;
  for (;;) {
    const bpfcap::capture::ReadStatus st = in->Next(&p, 0);
    if (st == bpfcap::capture::ReadStatus::kPacket) {
      ++n;
    } else if (st == bpfcap::capture::ReadStatus::kEnd) {
      return n;
    } else {
      *error = path + ": " + in->error();
      return -1;
    }
  }
}

class Bench {
 public:
  Bench(const Config& c, const NetnsPair& net, Generator& gen, int gen_cpu, int tool_cpu)
      : c_(c), net_(net), gen_(gen), gen_cpu_(gen_cpu), tool_cpu_(tool_cpu) {}

  // Generator alone: the busy CPU seconds of the window.
  Measurement Baseline(uint64_t rate) { return Window(-1, rate); }

  // One tool, one filter, one output. False with *error if it can't run.
  bool Run(Tool tool, const FilterCase& filter, Output output, uint64_t rate, Measurement* m,
           std::string* error) {
    const std::string file = c_.dir + "/bpfcap-capture-bench-" + std::to_string(getpid()) +
                             "-" + ToolName(tool) + ".pcap";
    std::vector<std::string> argv = {"ip", "netns", "exec", net_.ns(NetnsPair::kA),
                                     tool == Tool::kTcpdump ? c_.tcpdump : c_.bpfcap,
                                     "-i", net_.ifname(NetnsPair::kA), "-nn"};
    // Debian's tcpdump would switch to user "tcpdump" and may not be able to
    // write the file; keep it root as bpfcap stays.
    if (tool == Tool::kTcpdump) argv.insert(argv.end(), {"-Z", "root"});
    if (tool == Tool::kXdp) argv.insert(argv.end(), {"--engine=xdp", "--xdp-mode=native"});
    if (tool == Tool::kXdpGeneric) argv.insert(argv.end(), {"--engine=xdp", "--xdp-mode=generic"});
    if (tool == Tool::kEbpf) argv.push_back("--target=ebpf");
    if (output == Output::kNull) argv.insert(argv.end(), {"-w", "/dev/null"});
    if (output == Output::kFile) argv.insert(argv.end(), {"-w", file});
    argv.push_back(filter.expr);

    // The file goes whatever happens, Ctrl-C included.
    struct Unlink {
      const std::string& path;
      ~Unlink() { unlink(path.c_str()); }
    } unlink_file{file};
    ToolProcess proc;
    if (!proc.Start(argv, tool_cpu_, error)) return false;
    Sleep(kSettleSeconds);
    *m = Window(proc.pid(), rate);
    if (g_stop.load()) {
      *error = "interrupted";
      return false;
    }
    if (!proc.Stop(error)) return false;
    if (!proc.Count("packets captured", &m->captured) ||
        !proc.Count("packets dropped by kernel", &m->dropped)) {
      *error = "no statistics lines: " + proc.Tail();
      return false;
    }
    if (output == Output::kFile) {
      const int64_t in_file = PacketsInFile(file, error);
      if (in_file < 0) return false;
      m->captured = static_cast<uint64_t>(in_file);
    }
    return true;
  }

 private:
  // Generator for the run length, then the drain; CPU measured around both.
  // tool: the capture's pid, or -1.
  Measurement Window(pid_t tool, uint64_t rate) {
    Measurement m;
    const uint64_t rx0 = RxPackets(net_, NetnsPair::kA);
    const double tool0 = tool > 0 ? TaskCpuSeconds(tool) : 0;
    const uint64_t wakeups0 = tool > 0 ? Wakeups(tool) : 0;
    const double softirq0 = SoftirqCpuSeconds(softirqd_);
    const double busy0 = BusySeconds();
    double sender_cpu = 0;
    std::thread sender([&] {
      if (gen_cpu_ >= 0) PinThread(gen_cpu_);
      const double cpu0 = ThreadCpuSeconds();
      m.offered = gen_.Send(c_.seconds, rate);
      sender_cpu = ThreadCpuSeconds() - cpu0;
    });
    sender.join();
    Sleep(kDrainSeconds);
    m.busy = BusySeconds() - busy0;
    m.tool = tool > 0 ? TaskCpuSeconds(tool) - tool0 : 0;
    m.wakeups = tool > 0 ? Wakeups(tool) - wakeups0 : 0;
    m.attributed = sender_cpu + (SoftirqCpuSeconds(softirqd_) - softirq0) + m.tool;
    m.received = RxPackets(net_, NetnsPair::kA) - rx0;
    return m;
  }

  const Config& c_;
  const NetnsPair& net_;
  Generator& gen_;
  int gen_cpu_;
  int tool_cpu_;
  std::vector<pid_t> softirqd_ = SoftirqThreads();
};

// --- the report -----------------------------------------------------------

struct Row {
  const FilterCase* filter = nullptr;
  Output output = Output::kNull;
  Measurement m[kToolCount];  // by Tool
  bool ok[kToolCount] = {};
};

// The CPU seconds above the baseline, the whole machine's or attributed:
// the baseline's cost per frame sent times the frames this run sent. At a
// fixed rate that is the baseline's figure; flat out (--xdp-rate max) the
// runs send different numbers of frames (the generator shares CPU 0 with
// the receive path), and the generator's own CPU must scale with them.
double Above(const Measurement& m, const Measurement& base, bool machine) {
  if (base.offered == 0) return machine ? m.busy : m.attributed;
  const double per_frame = (machine ? base.busy : base.attributed) / double(base.offered);
  return (machine ? m.busy : m.attributed) - per_frame * double(m.offered);
}

// Microseconds per captured packet; negative when the run used less than
// the baseline (noise from the rest of the machine).
double PerPacketUs(const Measurement& m, const Measurement& base, bool machine) {
  return m.captured == 0 ? 0 : Above(m, base, machine) / double(m.captured) * 1e6;
}

void PrintRow(const Row& r, Tool t, const Measurement& base, double window_seconds) {
  const Measurement& m = r.m[int(t)];
  std::printf("%-5s %-13s %-11s", r.filter->label, OutputName(r.output), ToolName(t));
  if (!r.ok[int(t)]) {
    std::printf("  (failed, see above)\n");
    return;
  }
  std::printf(" %9" PRIu64 " %9" PRIu64 " %9" PRIu64 " %9" PRIu64 " %7.2f %7.3f  %7.2f %7.3f  %7.3f %6.0f\n",
              m.offered, Matching(m.offered, r.filter->match_all), m.captured, m.dropped,
              Above(m, base, true), PerPacketUs(m, base, true), Above(m, base, false),
              PerPacketUs(m, base, false),
              m.captured == 0 ? 0 : m.tool / double(m.captured) * 1e6,
              double(m.wakeups) / window_seconds);
}

void PrintVerdict(const std::string& what, const std::string& tcpdump,
                  const std::string& bpfcap, bool pass, const std::string& note = "") {
  std::printf("%-68s %10s %10s  %s%s\n", what.c_str(), tcpdump.c_str(), bpfcap.c_str(),
              pass ? "PASS" : "MISS", note.c_str());
}

std::string Fixed(double v, int digits) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.*f", digits, v);
  return buf;
}

// How far apart the two baselines are, in CPU seconds for a run that sent
// `offered` frames: a floor under which differences between runs mean
// nothing. The machine figure also has /proc/stat's 1/100 s resolution.
double NoiseSeconds(const Measurement& a, const Measurement& b, uint64_t offered,
                    bool machine) {
  if (a.offered == 0 || b.offered == 0) return 0;
  const double spread = machine ? std::abs(a.busy / double(a.offered) - b.busy / double(b.offered))
                                : std::abs(a.attributed / double(a.offered) -
                                           b.attributed / double(b.offered));
  return spread * double(offered) + (machine ? 0.02 : 0);
}

void PrintTargets(const std::vector<Row>& rows, const Measurement& base,
                  const Measurement& base_start, const Measurement& base_end) {
  std::printf("\n%-68s %10s %10s  %s\n", "target", "tcpdump", "bpfcap", "verdict");
  for (const Row& r : rows) {
    if (!r.ok[0] || !r.ok[1]) continue;
    const Measurement& td = r.m[int(Tool::kTcpdump)];
    const Measurement& bc = r.m[int(Tool::kBpfcap)];
    const std::string where = std::string(r.filter->label) + ", " + OutputName(r.output) + ": ";
    if (r.output == Output::kText) {
      // Compared as fractions of the offered packets: the two runs' offered
      // counts differ a little.
      const double td_rate = double(td.dropped) / double(std::max<uint64_t>(1, td.offered));
      const double bc_rate = double(bc.dropped) / double(std::max<uint64_t>(1, bc.offered));
      PrintVerdict(where + "bpfcap drops <= tcpdump's / 10", std::to_string(td.dropped),
                   std::to_string(bc.dropped), bc.dropped == 0 || bc_rate <= td_rate / 10);
      continue;
    }
    PrintVerdict(where + "bpfcap drops nothing", std::to_string(td.dropped),
                 std::to_string(bc.dropped), bc.dropped == 0);
    for (bool machine : {true, false}) {
      const double td_cpu = PerPacketUs(td, base, machine);
      const double bc_cpu = PerPacketUs(bc, base, machine);
      const uint64_t captured = std::max<uint64_t>(1, std::min(td.captured, bc.captured));
      const double noise_us =
          NoiseSeconds(base_start, base_end, std::max(td.offered, bc.offered), machine) /
          double(captured) * 1e6;
      PrintVerdict(where + "bpfcap CPU us/pkt <= tcpdump's" +
                       (machine ? " (machine)" : " (attributed)"),
                   Fixed(td_cpu, 3), Fixed(bc_cpu, 3), bc_cpu <= td_cpu,
                   std::abs(bc_cpu - td_cpu) < noise_us
                       ? " (within the baselines' spread, +-" + Fixed(noise_us, 3) + ")"
                       : "");
    }
  }
}

// Issue 5's targets, for the -w rows: the XDP engine loses no matching
// packet and costs no more CPU per captured packet than the AF_PACKET
// engine; with the 1% filter the whole machine spends less CPU per offered
// packet with it attached than with tcpdump's capture. The eBPF socket
// filter's drops are shown beside them.
void PrintXdpTargets(const std::vector<Row>& rows, const Measurement& base,
                     const Measurement& base_start, const Measurement& base_end) {
  const int packet = int(Tool::kBpfcap), td = int(Tool::kTcpdump);
  const Tool xdps[] = {Tool::kXdp, Tool::kXdpGeneric};
  auto name = [](Tool t) { return std::string(t == Tool::kXdp ? "xdp" : "xdp generic"); };
  auto where = [](const Row& r) {
    return std::string(r.filter->label) + ", " + OutputName(r.output) + ": ";
  };
  bool header = false;
  auto head = [&](const char* a, const char* b) {
    std::printf("\n%-68s %10s %10s  %s\n", "target (issue 5)", a, b, "verdict");
    header = true;
  };
  for (const Row& r : rows) {
    if (r.output == Output::kText) continue;
    for (Tool t : {Tool::kXdp, Tool::kXdpGeneric, Tool::kEbpf}) {
      if (!r.ok[int(t)]) continue;
      if (!header) head("matching", "captured");
      const Measurement& m = r.m[int(t)];
      const uint64_t matching = Matching(m.offered, r.filter->match_all);
      PrintVerdict(where(r) + (t == Tool::kEbpf ? "ebpf socket filter" : name(t)) +
                       " loses no matching packet",
                   std::to_string(matching), std::to_string(m.captured),
                   m.dropped == 0 && m.captured >= matching,
                   m.dropped ? " (" + std::to_string(m.dropped) + " dropped)" : "");
    }
  }
  header = false;
  for (const Row& r : rows) {
    if (r.output == Output::kText || !r.ok[packet]) continue;
    for (Tool t : xdps) {
      const int x = int(t);
      if (!r.ok[x]) continue;
      if (!header) head("AF_PACKET", "xdp");
      for (bool machine : {true, false}) {
        const double p_cpu = PerPacketUs(r.m[packet], base, machine);
        const double x_cpu = PerPacketUs(r.m[x], base, machine);
        const uint64_t captured =
            std::max<uint64_t>(1, std::min(r.m[packet].captured, r.m[x].captured));
        const double noise_us =
            NoiseSeconds(base_start, base_end, std::max(r.m[packet].offered, r.m[x].offered),
                         machine) /
            double(captured) * 1e6;
        PrintVerdict(where(r) + name(t) + " CPU us/pkt <= AF_PACKET's" +
                         (machine ? " (machine)" : " (attributed)"),
                     Fixed(p_cpu, 3), Fixed(x_cpu, 3), x_cpu <= p_cpu,
                     std::abs(x_cpu - p_cpu) < noise_us
                         ? " (within the baselines' spread, +-" + Fixed(noise_us, 3) + ")"
                         : "");
      }
    }
  }
  header = false;
  auto per_offered_ns = [&](const Measurement& m) {
    return m.offered == 0 ? 0 : Above(m, base, true) / double(m.offered) * 1e9;
  };
  for (const Row& r : rows) {
    if (r.output == Output::kText || r.filter->match_all || !r.ok[td]) continue;
    for (Tool t : xdps) {
      const int x = int(t);
      if (!r.ok[x]) continue;
      if (!header) head("tcpdump", "xdp");
      const double t_ns = per_offered_ns(r.m[td]), x_ns = per_offered_ns(r.m[x]);
      const uint64_t offered = std::max<uint64_t>(1, r.m[x].offered);
      const double noise_ns =
          NoiseSeconds(base_start, base_end, offered, true) / double(offered) * 1e9;
      PrintVerdict(where(r) + "machine CPU ns/offered pkt, " + name(t) + " < tcpdump",
                   Fixed(t_ns, 1), Fixed(x_ns, 1), x_ns < t_ns,
                   std::abs(x_ns - t_ns) < noise_ns
                       ? " (within the baselines' spread, +-" + Fixed(noise_ns, 1) + ")"
                       : "");
    }
  }
}

std::string FsKind(const std::string& dir) {
  struct statfs s {};
  if (statfs(dir.c_str(), &s) != 0) return "?";
  return s.f_type == 0x01021994 ? "tmpfs" : "disk";  // TMPFS_MAGIC
}

int Main(int argc, char** argv) {
  Config c;
  if (!ParseConfig(argc, argv, &c)) return 2;
  if (geteuid() != 0) {
    std::printf("capture_bench: SKIPPED: needs root (network namespaces, packet sockets); "
                "run `make bench-capture` as root\n");
    return 0;
  }
  if (access(c.bpfcap.c_str(), X_OK) != 0) {
    std::fprintf(stderr, "capture_bench: %s: %s (build it: make)\n", c.bpfcap.c_str(),
                 std::strerror(errno));
    return 1;
  }
  if (bpfcap::test::RunCommand({c.tcpdump, "--version"}) != 0) {
    std::fprintf(stderr, "capture_bench: can't run '%s --version' (apt-get install tcpdump)\n",
                 c.tcpdump.c_str());
    return 1;
  }
  struct sigaction sa {};
  sa.sa_handler = OnStopSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);

  std::string error;
  std::unique_ptr<NetnsPair> net = NetnsPair::Create("cb", &error);
  if (!net) {
    std::fprintf(stderr, "capture_bench: can't make the test network: %s\n", error.c_str());
    return 1;
  }
  std::unique_ptr<Generator> gen = c.xdp_gen ? XdpGenerator::Create(*net, c.frame_len, &error)
                                             : SendmmsgGenerator::Create(*net, c.frame_len, &error);
  if (!gen) {
    std::fprintf(stderr, "capture_bench: %s\n", error.c_str());
    if (c.xdp_gen) std::fprintf(stderr, "capture_bench: (--gen sendmmsg does without XDP)\n");
    return 1;
  }
  const int cpus = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
  const int gen_cpu = c.pin && cpus >= 2 ? 0 : -1;
  const int tool_cpu = c.pin && cpus >= 2 ? cpus - 1 : -1;

  std::printf("capture_bench: tcpdump and bpfcap's engines on one veth end, %u-byte UDP frames from the "
              "other end\n", c.frame_len);
  std::printf("  rate %s frames/s (text runs: %s) for %.1f s per run (+%.1f s drain), %d CPUs;\n  ",
              c.rate == 0 ? "max" : std::to_string(c.rate).c_str(),
              c.text_rate == 0 ? "max" : std::to_string(c.text_rate).c_str(), c.seconds,
              kDrainSeconds, cpus);
  if (gen_cpu >= 0) {
    std::printf("generator (and the veth receive softirq) on CPU %d, tools on CPU %d\n", gen_cpu,
                tool_cpu);
  } else {
    std::printf("nothing pinned\n");
  }
  std::printf("  generator: %s\n", gen->Describe().c_str());
  std::printf("  filters: all = 'udp', 1%% = 'udp dst port 7777' (1 frame in 100); "
              "-w FILE in %s (%s)\n", c.dir.c_str(), FsKind(c.dir).c_str());
  std::fflush(stdout);

  // The runs come in sets, each at one rate with its own baselines: issue
  // 3's (tcpdump and bpfcap at --rate, and the text rows at --text-rate)
  // and issue 5's (every engine at --xdp-rate, the maximum by default). With
  // equal rates, one set runs every tool.
  struct Set {
    const char* title;
    uint64_t rate;
    std::vector<Tool> tools;
    bool text;
    Measurement base_start, base_end, base;
    std::vector<Row> rows;
  };
  const bool issue3 = c.run_tool[int(Tool::kTcpdump)] || c.run_tool[int(Tool::kBpfcap)];
  const bool issue5 = c.run_tool[int(Tool::kXdp)] || c.run_tool[int(Tool::kXdpGeneric)] ||
                      c.run_tool[int(Tool::kEbpf)];
  std::vector<Set> sets;
  if (c.xdp_rate == c.rate || !issue5) {
    sets.push_back({"", c.rate, {std::begin(kTools), std::end(kTools)}, true, {}, {}, {}, {}});
  } else {
    if (issue3) sets.push_back({"issue 3: tcpdump and bpfcap", c.rate, {Tool::kTcpdump, Tool::kBpfcap}, true, {}, {}, {}, {}});
    sets.push_back({"issue 5: every engine", c.xdp_rate, {std::begin(kTools), std::end(kTools)}, false, {}, {}, {}, {}});
  }
  auto rate_name = [](uint64_t r) { return r == 0 ? std::string("max") : std::to_string(r); };

  Bench bench(c, *net, *gen, gen_cpu, tool_cpu);
  int failures = 0;
  for (Set& set : sets) {
    set.base_start = bench.Baseline(set.rate);
    for (const FilterCase& f : kFilters) {
      for (Output o : {Output::kNull, Output::kFile, Output::kText}) {
        if (o == Output::kText && !set.text) continue;
        Row r;
        r.filter = &f;
        r.output = o;
        const uint64_t rate = o == Output::kText ? c.text_rate : set.rate;
        for (Tool t : set.tools) {
          if (g_stop.load()) break;
          if (!c.run_tool[int(t)] || !Runs(t, o)) continue;
          r.ok[int(t)] = bench.Run(t, f, o, rate, &r.m[int(t)], &error);
          if (!r.ok[int(t)]) {
            ++failures;
            std::fprintf(stderr, "capture_bench: %s %s '%s': %s\n", ToolName(t), OutputName(o),
                         f.expr, error.c_str());
          } else if (rate > 0 && double(r.m[int(t)].offered) < 0.95 * c.seconds * double(rate)) {
            std::fprintf(stderr, "capture_bench: note: %s %s %s: the generator fell behind: %" PRIu64
                         " frames/s (its CPU is busy)\n", ToolName(t), f.label, OutputName(o),
                         static_cast<uint64_t>(double(r.m[int(t)].offered) / c.seconds));
          }
          if (r.ok[int(t)] && r.m[int(t)].received != r.m[int(t)].offered) {
            std::fprintf(stderr, "capture_bench: note: %s %s %s: sent %" PRIu64
                         " but the veth received %" PRIu64 "\n", ToolName(t), f.label,
                         OutputName(o), r.m[int(t)].offered, r.m[int(t)].received);
          }
        }
        set.rows.push_back(r);
      }
    }
    set.base_end = g_stop.load() ? set.base_start : bench.Baseline(set.rate);
    if (g_stop.load()) {
      std::fprintf(stderr, "capture_bench: interrupted; cleaning up\n");
      return 1;
    }
    set.base.offered = (set.base_start.offered + set.base_end.offered) / 2;
    set.base.busy = (set.base_start.busy + set.base_end.busy) / 2;
    set.base.attributed = (set.base_start.attributed + set.base_end.attributed) / 2;
  }

  const double window = c.seconds + kDrainSeconds;
  for (const Set& set : sets) {
    std::printf("\n");
    if (*set.title) std::printf("== %s, -w rows at %s frames/s\n", set.title, rate_name(set.rate).c_str());
    std::printf("baseline, generator alone at %s frames/s, before and after: %" PRIu64 " and %" PRIu64
                " frames sent; machine %.2f and %.2f CPU s busy, attributed %.2f and %.2f\n",
                rate_name(set.rate).c_str(), set.base_start.offered, set.base_end.offered,
                set.base_start.busy, set.base_end.busy, set.base_start.attributed,
                set.base_end.attributed);
    if (set.base.busy > 0.8 * window * cpus) {
      std::printf("WARNING: the machine was %.0f%% busy with the generator alone: other work is "
                  "running,\nso the machine CPU figures below are mostly noise; the attributed "
                  "ones are not.\n", 100 * set.base.busy / (window * cpus));
    }
    std::printf("\n%-5s %-13s %-11s %9s %9s %9s %9s %15s  %15s  %7s %6s\n", "match", "output",
                "tool", "offered", "matching", "captured", "dropped", "machine CPU",
                "attributed CPU", "tool", "wake");
    std::printf("%-5s %-13s %-11s %9s %9s %9s %9s %7s %7s  %7s %7s  %7s %6s\n", "", "", "", "", "",
                "", "", "+s", "us/pkt", "+s", "us/pkt", "us/pkt", "/s");
    for (const Row& r : set.rows) {
      for (Tool t : set.tools) {
        if (c.run_tool[int(t)] && Runs(t, r.output)) PrintRow(r, t, set.base, window);
      }
    }
  }
  std::printf("machine: busy CPU seconds of the whole machine (/proc/stat) above the baseline's "
              "mean, and that per\ncaptured packet. attributed: the same for the tool's "
              "process + the generator thread (which runs\nthe receive path and the kernel side "
              "of the capture) + ksoftirqd, above the baseline's cost per\nframe sent. tool: "
              "the tool's process alone, per captured packet. wake: the tool's\nvoluntary "
              "context switches per second (times it slept waiting for packets).\n");
  const Set& first = sets.front();
  if (c.run_tool[0] && c.run_tool[1]) PrintTargets(first.rows, first.base, first.base_start, first.base_end);
  const Set& last = sets.back();
  PrintXdpTargets(last.rows, last.base, last.base_start, last.base_end);
  return failures == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) { return Main(argc, argv); }
