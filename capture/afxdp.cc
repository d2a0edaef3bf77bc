// The AF_XDP engine; see afxdp.h.
#include "capture/afxdp.h"
#include "capture/errno_text.h"

#include <bpf/bpf.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "compiler/diag.h"
#include "compiler/ebpf/codegen.h"
#include "compiler/ebpf/load.h"

namespace bpfcap::capture {
namespace {

// Receive queues: ETHTOOL_GCHANNELS rx + combined; 0 when the driver does
// not say (*err set).
uint32_t ReceiveQueues(const std::string& name, int* err) {
  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ethtool_channels ch{};
  ch.cmd = ETHTOOL_GCHANNELS;
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
  ifr.ifr_data = reinterpret_cast<char*>(&ch);
  const int r = fd >= 0 ? ioctl(fd, SIOCETHTOOL, &ifr) : -1;
  *err = errno;
  if (fd >= 0) close(fd);
  return r == 0 ? ch.rx_count + ch.combined_count : 0;
}

uint32_t FloorPowerOfTwo(uint64_t v) {
  uint32_t p = 1;
  while (uint64_t{p} * 2 <= v && p < (1u << 20)) p *= 2;
  return p;
}

constexpr uint32_t kFrameSize = 4096;
constexpr uint32_t kDefaultTotalKib = 32 * 1024;  // over all queues, unless -B
constexpr uint32_t kMinDefaultKib = 1024;

// UMEM per queue without -B: kDefaultAfXdpBufferKib, less on devices with
// many queues (kDefaultTotalKib in all, at least kMinDefaultKib a queue).
uint64_t DefaultBufferKib(uint32_t queues) {
  return std::clamp<uint64_t>(kDefaultTotalKib / queues, kMinDefaultKib, kDefaultAfXdpBufferKib);
}
constexpr uint32_t kMinFrames = 64;
constexpr uint32_t kBurst = XskSocket::kPublishEvery;  // packets from one queue in a row

}  // namespace

std::unique_ptr<AfXdpSource> AfXdpSource::Open(const AfXdpOptions& options, std::string* error) {
  std::unique_ptr<AfXdpSource> s(new AfXdpSource());
  if (!s->Setup(options, error)) return nullptr;
  return s;
}

AfXdpSource::~AfXdpSource() {
  if (link_.fd >= 0) close(link_.fd);  // detaches the program first
  if (prog_fd_ >= 0) close(prog_fd_);
  if (map_fd_ >= 0) close(map_fd_);
  sockets_.clear();
  if (promisc_fd_ >= 0) close(promisc_fd_);
}

// Order (afxdp.h): the program is compiled and verified first, so that a
// bad filter costs no memory; the sockets are bound and in the map before
// the program is attached.
bool AfXdpSource::Setup(const AfXdpOptions& o, std::string* error) {
  name_ = o.interface;
  snaplen_ = o.snaplen;
  Diag diag;
  if (!o.program && !CheckXdpCapture(o.expression, &diag)) {  // the expression's errors first
    *error = FormatDiag(diag, o.expression);
    return false;
  }
  if (!CheckXdpInterface(name_, "the AF_XDP engine", &ifindex_, error)) return false;
  int err = 0;
  uint32_t queues = ReceiveQueues(name_, &err);
  if (queues == 0) {
    // No ethtool channels (some virtual devices): one queue, said aloud, as
    // packets on any other queue would not reach bpfcap.
    queues = 1;
    queue_warning_ = name_ + ": the driver does not say how many receive queues it has (" +
                     Errno("ETHTOOL_GCHANNELS", err) + "): bpfcap captures queue 0 only";
  }

  map_fd_ = bpf_map_create(BPF_MAP_TYPE_XSKMAP, "bpfcap_xsks", sizeof(uint32_t), sizeof(int),
                           queues, nullptr);
  if (map_fd_ < 0) {
    *error = name_ + ": " + Errno("XSKMAP (bpf_map_create)", -map_fd_);
    return false;
  }
  ebpf::Program prog;
  if (!BuildProgram(o, &prog, error)) return false;
  ebpf::LoadedProgram loaded;
  if (!ebpf::LoadedProgram::Load(prog, ebpf::Target::kXdp, &loaded, error)) {
    *error = "the kernel refused the XDP program (" + *error + ")";
    return false;
  }
  prog_fd_ = dup(loaded.fd());  // the link holds it too; ours closes with the source
  if (prog_fd_ < 0) {
    *error = Errno("dup", errno);
    return false;
  }

  XskOptions xo;
  xo.ifindex = ifindex_;
  xo.frame_size = kFrameSize;
  const uint64_t kib = o.buffer_kib ? o.buffer_kib : DefaultBufferKib(queues);
  xo.frames = std::max(kMinFrames, FloorPowerOfTwo(kib * 1024 / kFrameSize));
  xo.copy = o.mode == XdpMode::kGeneric;
  for (uint32_t q = 0; q < queues; ++q) {
    xo.queue = q;
    std::unique_ptr<XskSocket> sock = XskSocket::Open(xo, error);
    if (!sock) {
      const bool busy = errno == EBUSY;
      *error = name_ + ": " + *error;
      if (busy) *error += " (another AF_XDP socket has this queue)";
      return false;
    }
    const uint32_t key = q;
    const int fd = sock->fd();
    if (int r = bpf_map_update_elem(map_fd_, &key, &fd, 0); r != 0) {
      *error = name_ + ": " + Errno("XSKMAP (bpf_map_update_elem)", -r);
      return false;
    }
    sockets_.push_back(std::move(sock));
  }

  if (!wakeup_.Open(error)) return false;
  if (o.promiscuous) {
    promisc_fd_ = HoldPromiscuous(ifindex_, name_, error);
    if (promisc_fd_ < 0) return false;
  }
  return AttachXdp(prog_fd_, ifindex_, name_, o.mode, &link_, error);
}

// The filter with the redirect as its on-match action (afxdp.h), or the
// tests' own program.
bool AfXdpSource::BuildProgram(const AfXdpOptions& o, ebpf::Program* out, std::string* error) {
  if (o.program) return o.program(map_fd_, out, error);
  CompileOptions c = o.compile;
  c.dlt = 1;
  c.snaplen = snaplen_;
  c.for_kernel = false;  // VLAN tags are still in the frame at XDP
  ebpf::GenOptions gen;
  gen.target = ebpf::Target::kXdp;
  gen.xdp_reject = ebpf::kXdpPass;
  gen.on_match.kind = ebpf::XdpOnMatch::Kind::kRedirectXsk;
  gen.on_match.map_fd = map_fd_;
  EbpfCompileResult r = CompileEbpf(o.expression, c, gen);
  if (!r.diag.ok()) {
    *error = FormatDiag(r.diag, o.expression);
    return false;
  }
  *out = std::move(r.program);
  return true;
}

bool AfXdpSource::zero_copy() const {
  return std::all_of(sockets_.begin(), sockets_.end(),
                     [](const auto& s) { return s->ZeroCopy(); });
}

ReadStatus AfXdpSource::Next(Packet* out, int timeout_ms) {
  if (held_) {
    held_->Release();
    held_ = nullptr;
  }
  for (;;) {
    for (size_t tried = 0; tried < sockets_.size(); ++tried) {
      if (burst_ >= kBurst) {
        current_ = (current_ + 1) % sockets_.size();
        burst_ = 0;
      }
      XskSocket& s = *sockets_[current_];
      const uint8_t* data;
      uint32_t len;
      if (s.Peek(&data, &len)) {
        ++burst_;
        ++delivered_;
        held_ = &s;
        last_queue_ = s.queue();
        timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        out->ts_sec = ts.tv_sec;
        out->ts_nsec = static_cast<uint32_t>(ts.tv_nsec);
        out->data = data;
        out->len = len;
        out->caplen = std::min(len, snaplen_);
        out->ifindex = ifindex_;
        out->direction = Direction::kInbound;
        return ReadStatus::kPacket;
      }
      current_ = (current_ + 1) % sockets_.size();
      burst_ = 0;
    }
    // Every ring is empty: hand the frames back before sleeping.
    for (const auto& s : sockets_) s->Publish();
    if (wakeup_.raised()) {
      wakeup_.Clear();
      return ReadStatus::kInterrupted;
    }
    ReadStatus st;
    if (!Wait(timeout_ms, &st)) return st;
  }
}

// Sleeps until a socket has packets (true), or returns false with *status
// kTimeout / kInterrupted / kError.
bool AfXdpSource::Wait(int timeout_ms, ReadStatus* status) {
  std::vector<pollfd> fds;
  fds.push_back({wakeup_.fd(), POLLIN, 0});
  for (const auto& s : sockets_) fds.push_back({s->fd(), POLLIN, 0});
  const int n = poll(fds.data(), fds.size(), timeout_ms);
  if (n < 0 && errno != EINTR) {
    error_ = Errno("poll", errno);
    *status = ReadStatus::kError;
    return false;
  }
  if (n == 0) {
    *status = ReadStatus::kTimeout;
    return false;
  }
  for (size_t i = 1; i < fds.size(); ++i) {
    if (fds[i].revents & (POLLERR | POLLNVAL)) {
      error_ = "AF_XDP socket of queue " + std::to_string(sockets_[i - 1]->queue()) + " failed";
      *status = ReadStatus::kError;
      return false;
    }
  }
  return true;  // packets, an interrupt (checked after the next sweep), or EINTR
}

void AfXdpSource::Interrupt() { wakeup_.Raise(); }

xdp_statistics AfXdpSource::XskStats() const {
  xdp_statistics sum{};
  for (const auto& s : sockets_) {
    xdp_statistics st;
    if (!s->Stats(&st)) continue;
    sum.rx_dropped += st.rx_dropped;
    sum.rx_invalid_descs += st.rx_invalid_descs;
    sum.rx_ring_full += st.rx_ring_full;
    sum.rx_fill_ring_empty_descs += st.rx_fill_ring_empty_descs;
  }
  return sum;
}

bool AfXdpSource::Stats(CaptureStats* stats) const {
  const xdp_statistics x = XskStats();
  stats->dropped = x.rx_dropped + x.rx_ring_full;
  stats->received = delivered_ + stats->dropped;
  stats->if_dropped = 0;
  return true;
}

}  // namespace bpfcap::capture
