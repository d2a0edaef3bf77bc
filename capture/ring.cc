#include "capture/ring.h"
#include "capture/errno_text.h"

#include <arpa/inet.h>
#include <net/if_arp.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "capture/interfaces.h"
#include "compiler/cbpf/cbpf.h"
#include "compiler/ebpf/load.h"
#include "compiler/proto/linktypes.h"

namespace bpfcap::capture {
namespace {

// Holds a 64 KiB GSO frame; libpcap's size for the default snap length, so
// that a busy capture wakes up as often as tcpdump's (once per block).
constexpr uint32_t kDefaultBlockSize = 256 * 1024;
constexpr uint32_t kVlanTagLen = 4;
// Where the kernel puts the sockaddr_ll in a V3 frame, and where it ends.
constexpr size_t kSllOffset = TPACKET_ALIGN(sizeof(tpacket3_hdr));
constexpr size_t kFrameHeaderEnd = kSllOffset + sizeof(sockaddr_ll);

int64_t NowMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1000 + ts.tv_nsec / 1000000;
}

void PutBe16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}

void PutBe32(uint8_t* p, uint32_t v) {
  PutBe16(p, static_cast<uint16_t>(v >> 16));
  PutBe16(p + 2, static_cast<uint16_t>(v));
}

// Ethernet framing (and loopback, which Linux frames as Ethernet) is
// captured raw; every other hardware type cooked.
bool IsEthernetLike(int hatype) {
  return hatype == ARPHRD_ETHER || hatype == ARPHRD_LOOPBACK;
}

// The hardware type of `name` (ARPHRD_*), or -1 with errno set.
int HardwareType(int fd, const std::string& name) {
  ifreq ifr{};
  std::memcpy(ifr.ifr_name, name.data(), std::min(name.size(), sizeof(ifr.ifr_name) - 1));
  if (ioctl(fd, SIOCGIFHWADDR, &ifr) != 0) return -1;
  return ifr.ifr_hwaddr.sa_family;
}

DirectionGuard GuardFor(CaptureDirection d) {
  switch (d) {
    case CaptureDirection::kIn: return DirectionGuard::kIn;
    case CaptureDirection::kOut: return DirectionGuard::kOut;
    case CaptureDirection::kInOut: break;
  }
  return DirectionGuard::kInOut;
}

}  // namespace

int LinkTypeFor(const std::string& interface, std::string* error) {
  if (interface == "any") return kDltLinuxSll2;
  int ifindex = 0;
  if (!ResolveInterface(interface, &ifindex, error)) return 0;
  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  const int hatype = fd < 0 ? -1 : HardwareType(fd, interface);
  const int err = errno;
  if (fd >= 0) close(fd);
  if (hatype < 0) {
    *error = interface + ": " + Errno("SIOCGIFHWADDR", err);
    return 0;
  }
  return IsEthernetLike(hatype) ? kDltEn10mb : kDltLinuxSll2;
}

std::vector<int> LinkTypesFor(const std::string& interface, std::string* error) {
  const int dlt = LinkTypeFor(interface, error);
  if (dlt == 0) return {};
  if (dlt == kDltLinuxSll2) return {kDltLinuxSll2, kDltLinuxSll};
  return {dlt};
}

std::unique_ptr<Ring> Ring::Open(const RingOptions& options, std::string* error) {
  std::unique_ptr<Ring> ring(new Ring());
  if (!ring->Setup(options)) {
    *error = ring->error();
    return nullptr;
  }
  return ring;
}

Ring::~Ring() {
  if (map_ != nullptr) munmap(map_, map_size_);
  if (fd_ >= 0) close(fd_);
}

void Ring::Fail(const std::string& message) { error_ = message; }

bool Ring::Setup(const RingOptions& options) {
  name_ = options.interface;
  snaplen_ = options.snaplen == 0 ? 262144 : options.snaplen;
  direction_ = options.direction;
  if (!ResolveInterface(name_, &ifindex_, &error_)) return false;
  const bool any = ifindex_ == 0;

  // Which socket type: the hardware type decides (see the header).
  if (!any) {
    const int probe = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    const int hatype = probe < 0 ? -1 : HardwareType(probe, name_);
    const int err = errno;
    if (probe >= 0) close(probe);
    if (hatype < 0) {
      Fail(err == ENODEV ? name_ + ": No such device exists"
                         : name_ + ": " + Errno("SIOCGIFHWADDR", err));
      return false;
    }
    cooked_ = !IsEthernetLike(hatype);
  } else {
    cooked_ = true;
  }
  link_type_ = cooked_ ? kDltLinuxSll2 : kDltEn10mb;
  if (options.link_type != 0 && options.link_type != link_type_) {
    if (!cooked_ || options.link_type != kDltLinuxSll) {
      const proto::LinkType* lt = proto::FindLinkType(options.link_type);
      Fail((lt ? std::string(lt->name) : std::to_string(options.link_type)) +
           " is not one of the DLTs supported by this device");
      return false;
    }
    link_type_ = options.link_type;
  }
  cooked_len_ = link_type_ == kDltLinuxSll ? kSllHeaderLen : kSll2HeaderLen;

  // Protocol 0: the kernel delivers nothing to this socket until bind()
  // names a protocol, so nothing is queued before the filter is in place.
  fd_ = socket(AF_PACKET, (cooked_ ? SOCK_DGRAM : SOCK_RAW) | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    const int err = errno;
    if (err == EPERM || err == EACCES) {
      Fail("you don't have permission to capture on that device (" +
           Errno("socket", err) + ")");
    } else {
      Fail(Errno("socket", err));
    }
    return false;
  }
  if (!any) {
    ifreq ifr{};
    std::memcpy(ifr.ifr_name, name_.data(), name_.size());
    if (ioctl(fd_, SIOCGIFFLAGS, &ifr) != 0) {
      Fail(name_ + ": No such device exists");
      return false;
    }
    if (!(ifr.ifr_flags & IFF_UP)) {
      Fail(name_ + ": That device is not up");
      return false;
    }
  }
  // Loopback shows each packet twice; only matters if we can see it.
  const int lo = static_cast<int>(if_nametoindex("lo"));
  loopback_ifindex_ = (any || ifindex_ == lo) ? lo : 0;

  const int version = TPACKET_V3;
  if (setsockopt(fd_, SOL_PACKET, PACKET_VERSION, &version, sizeof(version)) != 0) {
    Fail(name_ + ": " + Errno("PACKET_VERSION TPACKET_V3", errno));
    return false;
  }
  // Headroom for what we write in front of the packet: the VLAN tag we put
  // back, and for cooked sockets the SLL2 header too.
  const unsigned reserve = kVlanTagLen + (cooked_ ? kSll2HeaderLen : 0);  // the longer one
  if (setsockopt(fd_, SOL_PACKET, PACKET_RESERVE, &reserve, sizeof(reserve)) != 0) {
    Fail(name_ + ": " + Errno("PACKET_RESERVE", errno));
    return false;
  }
  if (!MapRing(options, reserve)) return false;
  if (options.ebpf_filter ? !InstallEbpfFilter(*options.ebpf_filter)
                          : !InstallFilter(options.filter)) {
    return false;
  }
  if (direction_ == CaptureDirection::kIn) {
    // Saves the kernel cloning outgoing packets just to reject them; the
    // direction guard does the same on kernels without this option.
    const int one = 1;
    setsockopt(fd_, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one));
  }

  sockaddr_ll sll{};
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(ETH_P_ALL);
  sll.sll_ifindex = ifindex_;
  if (bind(fd_, reinterpret_cast<sockaddr*>(&sll), sizeof(sll)) != 0) {
    const int err = errno;
    Fail(err == ENODEV   ? name_ + ": No such device exists"
         : err == ENETDOWN ? name_ + ": That device is not up"
                           : name_ + ": " + Errno("bind", err));
    return false;
  }
  int so_error = 0;
  socklen_t so_len = sizeof(so_error);
  if (getsockopt(fd_, SOL_SOCKET, SO_ERROR, &so_error, &so_len) == 0 && so_error != 0) {
    Fail(so_error == ENETDOWN ? name_ + ": That device is not up"
                              : name_ + ": " + Errno("bind", so_error));
    return false;
  }
  if (options.promiscuous && !any) {
    packet_mreq mreq{};
    mreq.mr_ifindex = ifindex_;
    mreq.mr_type = PACKET_MR_PROMISC;
    if (setsockopt(fd_, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mreq, sizeof(mreq)) != 0) {
      Fail(name_ + ": " + Errno("PACKET_ADD_MEMBERSHIP promiscuous", errno));
      return false;
    }
  }
  if (options.fanout_group != 0) {
    const int arg = options.fanout_group | (PACKET_FANOUT_HASH << 16);
    if (setsockopt(fd_, SOL_PACKET, PACKET_FANOUT, &arg, sizeof(arg)) != 0) {
      Fail(name_ + ": " + Errno("PACKET_FANOUT", errno));
      return false;
    }
  }
  return wakeup_.Open(&error_);
}

bool Ring::MapRing(const RingOptions& options, uint32_t reserve) {
  const long page = sysconf(_SC_PAGESIZE);
  block_size_ = options.block_size != 0 ? options.block_size : kDefaultBlockSize;
  block_timeout_ms_ = options.block_timeout_ms;
  if (block_size_ % page != 0) {
    Fail("block size " + std::to_string(block_size_) +
         " is not a multiple of the page size (" + std::to_string(page) + ")");
    return false;
  }
  if (block_size_ < kFrameHeaderEnd + reserve + 64) {
    Fail("block size " + std::to_string(block_size_) + " is too small");
    return false;
  }
  const uint64_t buffer = uint64_t{options.buffer_kib} * 1024;
  block_count_ = options.block_count != 0
                     ? options.block_count
                     : static_cast<uint32_t>(std::max<uint64_t>(2, buffer / block_size_));
  tpacket_req3 req{};
  req.tp_block_size = block_size_;
  req.tp_block_nr = block_count_;
  // V3 packs frames of any length into a block; the frame size only has to
  // divide the block.
  req.tp_frame_size = block_size_;
  req.tp_frame_nr = block_count_;
  req.tp_retire_blk_tov = options.block_timeout_ms;
  if (setsockopt(fd_, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req)) != 0) {
    Fail(name_ + ": can't make a ring of " + std::to_string(block_count_) +
         " blocks of " + std::to_string(block_size_) + " bytes (" +
         Errno("PACKET_RX_RING", errno) + ")");
    return false;
  }
  map_size_ = size_t{block_size_} * block_count_;
  void* map = mmap(nullptr, map_size_, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0);
  if (map == MAP_FAILED) {
    map_size_ = 0;
    Fail(name_ + ": " + Errno("mmap", errno));
    return false;
  }
  map_ = static_cast<uint8_t*>(map);
  return true;
}

bool Ring::InstallFilter(const std::optional<cbpf::Program>& prog) {
  user_filter_.reset();
  user_filter_reason_.clear();
  cbpf::Program kernel;  // empty: accept everything
  if (prog && !prog->empty()) {
    if (cooked_) {
      CookedAdaptation adapted = AdaptForCooked(*prog, link_type_);
      if (adapted.program) {
        kernel = std::move(*adapted.program);
      } else {
        user_filter_ = *prog;
        user_filter_reason_ = "not expressible for the kernel's cooked socket: " + adapted.reason;
      }
    } else {
      kernel = *prog;
    }
  }
  const DirectionGuard guard = GuardFor(direction_);
  cbpf::Program full = WithDirectionGuard(kernel, guard, loopback_ifindex_, snaplen_);
  // Too long for the kernel: keep the direction guard there, filter here.
  // (An error would also be defensible; filtering in user space keeps the
  // capture correct, only slower, as libpcap does.)
  if (full.size() > cbpf::kMaxInsns) {
    user_filter_ = *prog;
    user_filter_reason_ = "more than " + std::to_string(cbpf::kMaxInsns) +
                          " instructions for the kernel";
    full = WithDirectionGuard({}, guard, loopback_ifindex_, snaplen_);
  }
  std::string message;
  int err = AttachFilter(fd_, full, &message);
  if (err == ENOMEM && !user_filter_ && !kernel.empty()) {
    // The socket's option memory (net.core.optmem_max) can't hold it.
    user_filter_ = *prog;
    user_filter_reason_ = "the kernel has no room for it (" + message + ")";
    full = WithDirectionGuard({}, guard, loopback_ifindex_, snaplen_);
    err = AttachFilter(fd_, full, &message);
  }
  if (err != 0) {
    Fail(name_ + ": the kernel rejected the filter (" + message + ")");
    return false;
  }
  filter_attached_ = true;
  return true;
}

bool Ring::InstallEbpfFilter(const ebpf::Program& prog) {
  if (cooked_) {
    Fail(name_ + ": the eBPF socket filter needs an Ethernet device; use --target=cbpf here");
    return false;
  }
  ebpf::LoadedProgram loaded;
  std::string message;
  if (!ebpf::LoadedProgram::Load(prog, ebpf::Target::kSocketFilter, &loaded, &message)) {
    Fail(name_ + ": the kernel rejected the filter (" + message + ")");
    return false;
  }
  const int prog_fd = loaded.fd();
  if (setsockopt(fd_, SOL_SOCKET, SO_ATTACH_BPF, &prog_fd, sizeof(prog_fd)) != 0) {
    Fail(name_ + ": the kernel rejected the filter (" + Errno("SO_ATTACH_BPF", errno) + ")");
    return false;
  }
  filter_attached_ = true;
  return true;  // the socket holds the program; our fd closes here
}

bool Ring::SetFilter(const cbpf::Program& prog) {
  if (fd_ < 0) return false;
  std::string message;
  if (AttachFilter(fd_, RejectAll(), &message) != 0) {
    Fail(name_ + ": " + message);
    return false;
  }
  Discard();
  return InstallFilter(prog);
}

// Throws away every packet the ring holds or will hold from before the
// reject-all filter: the block the kernel is filling retires after the block
// timeout at the latest (only non-empty blocks retire), so wait that long.
void Ring::Discard() {
  if (block_ != nullptr) ReleaseBlock();
  packets_left_ = 0;
  const int64_t deadline = NowMs() + 2 * int64_t{block_timeout_ms_} + 20;
  for (;;) {
    auto* b = reinterpret_cast<tpacket_block_desc*>(map_ + size_t{current_} * block_size_);
    if (__atomic_load_n(&b->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER) {
      block_ = b;
      ReleaseBlock();
      continue;
    }
    const int64_t left = deadline - NowMs();
    if (left <= 0) break;
    pollfd p{fd_, POLLIN, 0};
    poll(&p, 1, static_cast<int>(std::min<int64_t>(left, 5)));
  }
}

void Ring::ReleaseBlock() {
  __atomic_store_n(&block_->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
  block_ = nullptr;
  packets_left_ = 0;
  current_ = (current_ + 1) % block_count_;
}

// After Interrupt(): whether packets the kernel accepted before it are still
// to be delivered. That is the blocks already handed to user space, and the
// block the kernel is filling, which the block timer retires within
// block_timeout_ms_; at most one ring's worth, and for at most the block
// timeout (plus a margin), so that a flood cannot keep the capture going.
bool Ring::Draining() {
  if (drain_deadline_ms_ < 0) {
    drain_deadline_ms_ = NowMs() + block_timeout_ms_ + 100;
    drain_blocks_left_ = block_count_;
  }
  if (drain_blocks_left_ == 0 || NowMs() >= drain_deadline_ms_) return false;
  auto* b = reinterpret_cast<tpacket_block_desc*>(map_ + size_t{current_} * block_size_);
  if (__atomic_load_n(&b->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER) return true;
  // The kernel counts the packets of the block it is filling as it goes.
  return __atomic_load_n(&b->hdr.bh1.num_pkts, __ATOMIC_RELAXED) != 0;
}

void Ring::Interrupt() { wakeup_.Raise(); }

bool Ring::Stats(CaptureStats* stats) const {
  if (fd_ < 0) return false;
  tpacket_stats_v3 st{};
  socklen_t len = sizeof(st);
  if (getsockopt(fd_, SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0) {
    // The kernel resets its counters on every read; tp_packets already
    // includes tp_drops.
    stats_.received += st.tp_packets;
    stats_.dropped += st.tp_drops;
  }
  *stats = stats_;
  return true;
}

// Waits for the block at current_ to be handed to user space.
bool Ring::WaitForBlock(int timeout_ms, ReadStatus* status) {
  short revents = 0;
  int err = 0;
  switch (wakeup_.Poll(fd_, timeout_ms, &revents, &err)) {
    case Wakeup::Wait::kReady: break;
    case Wakeup::Wait::kTimeout: *status = ReadStatus::kTimeout; return false;
    case Wakeup::Wait::kError:
      Fail(Errno("poll", err));
      *status = ReadStatus::kError;
      return false;
  }
  if (revents & (POLLERR | POLLHUP | POLLNVAL)) {
    int so_error = 0;
    socklen_t len = sizeof(so_error);
    getsockopt(fd_, SOL_SOCKET, SO_ERROR, &so_error, &len);
    Fail(so_error == ENETDOWN ? name_ + ": The interface went down"
         : so_error != 0      ? name_ + ": " + Errno("poll", so_error)
                              : name_ + ": the capture socket failed");
    *status = ReadStatus::kError;
    return false;
  }
  return true;
}

ReadStatus Ring::Next(Packet* out, int timeout_ms) {
  if (fd_ < 0) return ReadStatus::kError;
  // The common case, once per packet: the next packet of the block in hand.
  // No clock reads and no atomic read-modify-write here; the slow path
  // below consumes the interrupt.
  while (packets_left_ > 0) {
    uint8_t* frame = next_packet_;
    --packets_left_;
    next_packet_ += reinterpret_cast<tpacket3_hdr*>(frame)->tp_next_offset;
    if (Fill(frame, out)) return ReadStatus::kPacket;
  }
  if (block_ != nullptr && packets_left_ == 0) ReleaseBlock();
  const int64_t deadline = timeout_ms < 0 ? -1 : NowMs() + timeout_ms;
  for (;;) {
    if (wakeup_.raised() && !Draining()) {
      wakeup_.Clear();
      drain_deadline_ms_ = -1;
      return ReadStatus::kInterrupted;
    }
    if (block_ == nullptr && drain_deadline_ms_ >= 0) {
      // Draining: the partly filled block retires within the block timeout.
      auto* b = reinterpret_cast<tpacket_block_desc*>(map_ + size_t{current_} * block_size_);
      if (!(__atomic_load_n(&b->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER)) {
        pollfd p{fd_, POLLIN, 0};
        poll(&p, 1, static_cast<int>(std::clamp<int64_t>(drain_deadline_ms_ - NowMs(), 0, 5)));
        continue;
      }
    }
    if (block_ == nullptr) {
      auto* b = reinterpret_cast<tpacket_block_desc*>(map_ + size_t{current_} * block_size_);
      if (!(__atomic_load_n(&b->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER)) {
        int wait = -1;
        if (deadline >= 0) wait = static_cast<int>(std::max<int64_t>(0, deadline - NowMs()));
        ReadStatus status;
        if (!WaitForBlock(wait, &status)) {
          if (status == ReadStatus::kTimeout && wakeup_.raised()) continue;
          return status;
        }
        if (deadline >= 0 && NowMs() >= deadline &&
            !(__atomic_load_n(&b->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER) &&
            !wakeup_.raised()) {
          return ReadStatus::kTimeout;
        }
        continue;
      }
      block_ = b;
      if (drain_deadline_ms_ >= 0) --drain_blocks_left_;
      packets_left_ = b->hdr.bh1.num_pkts;
      next_packet_ = reinterpret_cast<uint8_t*>(b) + b->hdr.bh1.offset_to_first_pkt;
    }
    while (packets_left_ > 0) {
      uint8_t* frame = next_packet_;
      --packets_left_;
      next_packet_ += reinterpret_cast<tpacket3_hdr*>(frame)->tp_next_offset;
      if (Fill(frame, out)) return ReadStatus::kPacket;
    }
    ReleaseBlock();
  }
}

// Turns the frame at `frame` into *out: puts back the VLAN tag, writes the
// SLL2 header for cooked sockets, applies the user-space checks. False when
// the packet is to be skipped.
bool Ring::Fill(uint8_t* frame, Packet* out) {
  const auto* h = reinterpret_cast<const tpacket3_hdr*>(frame);
  const auto* sll = reinterpret_cast<const sockaddr_ll*>(frame + kSllOffset);
  const int ifindex = sll->sll_ifindex;
  const bool outgoing = sll->sll_pkttype == PACKET_OUTGOING;
  // The kernel guard already did this; it costs nothing to be sure.
  if (outgoing && ifindex == loopback_ifindex_ && loopback_ifindex_ != 0) return false;
  if (outgoing ? direction_ == CaptureDirection::kIn
               : direction_ == CaptureDirection::kOut) {
    return false;
  }
  const bool vlan = h->tp_status & TP_STATUS_VLAN_VALID;
  const uint16_t tpid = (h->tp_status & TP_STATUS_VLAN_TPID_VALID) ? h->hv1.tp_vlan_tpid
                                                                   : ETH_P_8021Q;
  const uint16_t tci = static_cast<uint16_t>(h->hv1.tp_vlan_tci);
  uint8_t* data = frame + h->tp_mac;
  uint32_t caplen = h->tp_snaplen;
  uint32_t len = h->tp_len;
  const uint32_t headroom = (cooked_ ? cooked_len_ : 0) + (vlan ? kVlanTagLen : 0);
  if (data - headroom < frame + kFrameHeaderEnd) {
    // PACKET_RESERVE guarantees the room; keep working if a kernel doesn't.
    scratch_.assign(headroom, 0);
    scratch_.insert(scratch_.end(), data, data + caplen);
    data = scratch_.data() + headroom;
  }
  if (cooked_) {
    uint8_t* p = data - headroom;
    const uint8_t halen = std::min<uint8_t>(sll->sll_halen, 8);
    uint8_t addr[8] = {};
    std::memcpy(addr, sll->sll_addr, halen);
    const uint16_t protocol = ntohs(sll->sll_protocol);
    if (link_type_ == kDltLinuxSll) {
      PutBe16(p + kSllPktType, sll->sll_pkttype);
      PutBe16(p + kSllHatype, sll->sll_hatype);
      PutBe16(p + kSllAddrLen, sll->sll_halen);
      std::memcpy(p + kSllAddr, addr, sizeof(addr));
      PutBe16(p + kSllProtocol, vlan ? tpid : protocol);
    } else {
      PutBe16(p + kSll2Protocol, vlan ? tpid : protocol);
      PutBe16(p + kSll2Reserved, 0);
      PutBe32(p + kSll2Ifindex, static_cast<uint32_t>(ifindex));
      PutBe16(p + kSll2Hatype, sll->sll_hatype);
      p[kSll2PktType] = sll->sll_pkttype;
      p[kSll2AddrLen] = sll->sll_halen;
      std::memcpy(p + kSll2Addr, addr, sizeof(addr));
    }
    if (vlan) {  // the tag follows the header, the EtherType follows the tag
      PutBe16(p + cooked_len_, tci);
      PutBe16(p + cooked_len_ + 2, protocol);
    }
    data = p;
    caplen += headroom;
    len += headroom;
  } else if (vlan && caplen >= 2 * ETH_ALEN) {
    uint8_t* p = data - kVlanTagLen;
    std::memmove(p, data, 2 * ETH_ALEN);
    PutBe16(p + 2 * ETH_ALEN, tpid);
    PutBe16(p + 2 * ETH_ALEN + 2, tci);
    data = p;
    caplen += kVlanTagLen;
    len += kVlanTagLen;
  }
  caplen = std::min(caplen, snaplen_);
  if (user_filter_) {
    const uint32_t verdict = cbpf::Run(*user_filter_, data, len, caplen);
    if (verdict == 0) return false;
    caplen = std::min(caplen, verdict);
  }
  out->ts_sec = h->tp_sec;
  out->ts_nsec = h->tp_nsec;
  out->caplen = caplen;
  out->len = len;
  out->data = data;
  out->ifindex = ifindex;
  out->direction = outgoing ? Direction::kOutbound : Direction::kInbound;
  return true;
}

}  // namespace bpfcap::capture
