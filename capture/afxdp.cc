// The AF_XDP engine; see afxdp.h.
#include "capture/afxdp.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/ethtool.h>
#include <net/if_arp.h>
#include <linux/if_link.h>
#include <netpacket/packet.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "capture/interfaces.h"
#include "compiler/ebpf/load.h"

namespace bpfcap::capture {
namespace {

std::string Errno(const char* call, int err) { return std::string(call) + ": " + std::strerror(err); }

// The device's ARPHRD_* type, or -1 with *err set.
int HardwareType(const std::string& name, int* err) {
  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
  const int r = fd >= 0 ? ioctl(fd, SIOCGIFHWADDR, &ifr) : -1;
  *err = errno;
  if (fd >= 0) close(fd);
  return r == 0 ? ifr.ifr_hwaddr.sa_family : -1;
}

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

// An AF_PACKET socket that receives nothing (protocol 0) and holds the
// interface in promiscuous mode while it is open.
int PromiscuousHolder(int ifindex, std::string* error) {
  const int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
  packet_mreq mreq{};
  mreq.mr_ifindex = ifindex;
  mreq.mr_type = PACKET_MR_PROMISC;
  if (fd < 0 || setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mreq, sizeof mreq) != 0) {
    *error = Errno("promiscuous mode (PACKET_ADD_MEMBERSHIP)", errno);
    if (fd >= 0) close(fd);
    return -1;
  }
  return fd;
}

uint32_t FloorPowerOfTwo(uint64_t v) {
  uint32_t p = 1;
  while (uint64_t{p} * 2 <= v && p < (1u << 20)) p *= 2;
  return p;
}

constexpr uint32_t kFrameSize = 4096;
constexpr uint32_t kMinFrames = 64;
constexpr uint32_t kBurst = XskSocket::kPublishEvery;  // packets from one queue in a row

}  // namespace

std::unique_ptr<AfXdpSource> AfXdpSource::Open(const AfXdpOptions& options, std::string* error) {
  std::unique_ptr<AfXdpSource> s(new AfXdpSource());
  if (!s->Setup(options, error)) return nullptr;
  return s;
}

AfXdpSource::~AfXdpSource() {
  if (link_fd_ >= 0) close(link_fd_);  // detaches the program first
  if (prog_fd_ >= 0) close(prog_fd_);
  if (map_fd_ >= 0) close(map_fd_);
  sockets_.clear();
  if (promisc_fd_ >= 0) close(promisc_fd_);
  if (wake_fd_ >= 0) close(wake_fd_);
}

bool AfXdpSource::Setup(const AfXdpOptions& o, std::string* error) {
  name_ = o.interface;
  snaplen_ = o.snaplen;
  if (name_.empty() || name_ == "any") {
    *error = "--engine=afxdp captures on one interface (-i NAME), not on 'any'";
    return false;
  }
  if (!ResolveInterface(name_, &ifindex_, error)) return false;
  int err = 0;
  const int hatype = HardwareType(name_, &err);
  if (hatype < 0) {
    *error = name_ + ": " + Errno("SIOCGIFHWADDR", err);
    return false;
  }
  if (hatype != ARPHRD_ETHER && hatype != ARPHRD_LOOPBACK) {
    *error = name_ + ": AF_XDP captures Ethernet devices only (hardware type " +
             std::to_string(hatype) + ")";
    return false;
  }
  // Before anything is bound: a program already there (ours or another
  // tool's) is not replaced.
  LIBBPF_OPTS(bpf_xdp_query_opts, query);
  if (bpf_xdp_query(ifindex_, 0, &query) == 0 && query.attach_mode != XDP_ATTACHED_NONE) {
    *error = AnotherProgram();
    return false;
  }
  uint32_t queues = ReceiveQueues(name_, &err);
  if (queues == 0) queues = 1;  // no ethtool channels (lo, some virtual devices): one queue

  wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) {
    *error = Errno("eventfd", errno);
    return false;
  }
  if (o.promiscuous) {
    promisc_fd_ = PromiscuousHolder(ifindex_, error);
    if (promisc_fd_ < 0) {
      *error = name_ + ": " + *error;
      return false;
    }
  }

  XskOptions xo;
  xo.ifindex = ifindex_;
  xo.frame_size = kFrameSize;
  const uint64_t kib = o.buffer_kib ? o.buffer_kib : kDefaultAfXdpBufferKib;
  xo.frames = std::max(kMinFrames, FloorPowerOfTwo(kib * 1024 / kFrameSize));
  xo.copy = o.mode == XdpMode::kGeneric;
  for (uint32_t q = 0; q < queues; ++q) {
    xo.queue = q;
    std::unique_ptr<XskSocket> sock = XskSocket::Open(xo, error);
    if (!sock) {
      *error = name_ + ": " + *error;
      if (errno == EBUSY) *error += " (another AF_XDP socket has this queue)";
      return false;
    }
    sockets_.push_back(std::move(sock));
  }

  map_fd_ = bpf_map_create(BPF_MAP_TYPE_XSKMAP, "bpfcap_xsks", sizeof(uint32_t), sizeof(int),
                           queues, nullptr);
  if (map_fd_ < 0) {
    *error = name_ + ": " + Errno("XSKMAP (bpf_map_create)", -map_fd_);
    return false;
  }
  for (const auto& sock : sockets_) {
    const uint32_t key = sock->queue();
    const int fd = sock->fd();
    if (int r = bpf_map_update_elem(map_fd_, &key, &fd, 0); r != 0) {
      *error = name_ + ": " + Errno("XSKMAP (bpf_map_update_elem)", -r);
      return false;
    }
  }

  ebpf::Program prog;
  if (!o.program || !o.program(map_fd_, &prog, error)) {
    if (!o.program) *error = "internal error: no XDP program builder";
    return false;
  }
  return Attach(prog, o.mode, error);
}

bool AfXdpSource::Attach(const ebpf::Program& prog, XdpMode mode, std::string* error) {
  ebpf::LoadedProgram loaded;
  if (!ebpf::LoadedProgram::Load(prog, ebpf::Target::kXdp, &loaded, error)) {
    *error = name_ + ": the kernel refused the XDP program: " + *error;
    return false;
  }
  // The link holds the program too; ours is closed with the source.
  prog_fd_ = dup(loaded.fd());
  auto try_mode = [&](XdpMode m) {
    LIBBPF_OPTS(bpf_link_create_opts, lo);
    lo.flags = m == XdpMode::kGeneric ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE;
    const int fd = bpf_link_create(prog_fd_, ifindex_, BPF_XDP, &lo);
    if (fd >= 0) {
      link_fd_ = fd;
      attached_mode_ = m;
      return 0;
    }
    return -fd;
  };
  int err = try_mode(mode == XdpMode::kGeneric ? XdpMode::kGeneric : XdpMode::kNative);
  if (err != 0 && err != EBUSY && err != EEXIST && mode == XdpMode::kAuto) {
    err = try_mode(XdpMode::kGeneric);
  }
  if (err == 0) return true;
  if (err == EBUSY || err == EEXIST) {
    *error = AnotherProgram();
  } else if (mode == XdpMode::kNative && (err == EOPNOTSUPP || err == EINVAL)) {
    *error = name_ + ": native XDP is not available on this device (" +
             Errno("bpf_link_create", err) + "); try --xdp-mode=generic";
  } else {
    *error = name_ + ": cannot attach the XDP program (" + Errno("bpf_link_create", err) + ")";
  }
  return false;
}

std::string AfXdpSource::AnotherProgram() const {
  return name_ + ": another XDP program is attached (ip link show dev " + name_ +
         " shows it); bpfcap does not replace it";
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
    if (interrupted_.load()) return ReadStatus::kInterrupted;
    ReadStatus st;
    if (!Wait(timeout_ms, &st)) return st;
  }
}

// Sleeps until a socket has packets (true), or returns false with *status
// kTimeout / kInterrupted / kError.
bool AfXdpSource::Wait(int timeout_ms, ReadStatus* status) {
  std::vector<pollfd> fds;
  fds.push_back({wake_fd_, POLLIN, 0});
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

void AfXdpSource::Interrupt() {
  interrupted_.store(true);
  const uint64_t one = 1;
  [[maybe_unused]] ssize_t n = write(wake_fd_, &one, sizeof one);
}

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
