// One AF_XDP socket and its UMEM; see xsk.h.
#include "capture/xsk.h"
#include "capture/errno_text.h"

#include <linux/if_xdp.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <bit>
#include <cerrno>
#include <cstring>

#ifndef AF_XDP
#define AF_XDP 44
#endif
#ifndef SOL_XDP
#define SOL_XDP 283
#endif

namespace bpfcap::capture {
namespace {

static_assert(std::atomic_ref<uint32_t>::is_always_lock_free);

uint32_t LoadAcquire(uint32_t* p) { return std::atomic_ref<uint32_t>(*p).load(std::memory_order_acquire); }
void StoreRelease(uint32_t* p, uint32_t v) {
  std::atomic_ref<uint32_t>(*p).store(v, std::memory_order_release);
}

constexpr int kBindWaitMs = 1000;
constexpr int kBindRetryMs = 10;

}  // namespace

std::unique_ptr<XskSocket> XskSocket::Open(const XskOptions& options, std::string* error) {
  std::unique_ptr<XskSocket> s(new XskSocket());
  if (!s->Setup(options, error)) {
    const int err = errno;  // for the caller, past the clean-up
    s.reset();
    errno = err;
    return nullptr;
  }
  return s;
}

XskSocket::~XskSocket() {
  for (Ring* r : {&rx_, &fill_, &completion_}) {
    if (r->map) munmap(r->map, r->map_size);
  }
  if (fd_ >= 0) close(fd_);  // before the UMEM goes: the kernel holds its pages until then
  if (umem_) munmap(umem_, umem_size_);
}

bool XskSocket::Setup(const XskOptions& o, std::string* error) {
  queue_ = o.queue;
  const std::string where = "queue " + std::to_string(o.queue) + ": ";
  if (!std::has_single_bit(o.frames) || !std::has_single_bit(o.frame_size) ||
      o.frame_size < 2048 || o.frame_size > uint32_t(sysconf(_SC_PAGESIZE))) {
    *error = where + "frames and frame size must be powers of two, frames of 2048 bytes to a page";
    return false;
  }
  fd_ = socket(AF_XDP, SOCK_RAW | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    *error = "AF_XDP sockets are not available (" + Errno("socket", errno) + ")";
    return false;
  }

  umem_size_ = size_t{o.frames} * o.frame_size;
  void* mem = mmap(nullptr, umem_size_, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  if (mem == MAP_FAILED) {
    *error = where + "UMEM of " + std::to_string(umem_size_ >> 10) + " KiB: " + Errno("mmap", errno);
    return false;
  }
  umem_ = static_cast<uint8_t*>(mem);
  frame_mask_ = ~uint64_t{o.frame_size - 1};

  xdp_umem_reg reg{};
  reg.addr = reinterpret_cast<uintptr_t>(umem_);
  reg.len = umem_size_;
  reg.chunk_size = o.frame_size;
  reg.headroom = 0;
  const uint32_t n = o.frames;
  if (setsockopt(fd_, SOL_XDP, XDP_UMEM_REG, &reg, sizeof reg) != 0 ||
      setsockopt(fd_, SOL_XDP, XDP_UMEM_FILL_RING, &n, sizeof n) != 0 ||
      setsockopt(fd_, SOL_XDP, XDP_UMEM_COMPLETION_RING, &n, sizeof n) != 0 ||
      setsockopt(fd_, SOL_XDP, XDP_RX_RING, &n, sizeof n) != 0) {
    *error = where + Errno("setsockopt", errno);
    return false;
  }
  xdp_mmap_offsets off{};
  socklen_t len = sizeof off;
  if (getsockopt(fd_, SOL_XDP, XDP_MMAP_OFFSETS, &off, &len) != 0) {
    *error = where + Errno("getsockopt(XDP_MMAP_OFFSETS)", errno);
    return false;
  }
  if (!MapRing(XDP_PGOFF_RX_RING, off.rx, n, sizeof(xdp_desc), &rx_, error) ||
      !MapRing(XDP_UMEM_PGOFF_FILL_RING, off.fr, n, sizeof(uint64_t), &fill_, error) ||
      !MapRing(XDP_UMEM_PGOFF_COMPLETION_RING, off.cr, n, sizeof(uint64_t), &completion_,
               error)) {
    *error = where + *error;
    return false;
  }

  // Every frame starts in the fill ring, before bind() lets packets in.
  auto* fill = static_cast<uint64_t*>(fill_.desc);
  for (uint32_t i = 0; i < n; ++i) fill[i] = uint64_t{i} * o.frame_size;
  fill_prod_ = n;
  StoreRelease(fill_.producer, fill_prod_);

  sockaddr_xdp sxdp{};
  sxdp.sxdp_family = AF_XDP;
  sxdp.sxdp_ifindex = static_cast<uint32_t>(o.ifindex);
  sxdp.sxdp_queue_id = o.queue;
  sxdp.sxdp_flags = o.copy ? XDP_COPY : 0;
  // A socket closed on this queue a moment ago (the previous capture)
  // gives the queue up in a deferred kernel work item; until it has run,
  // bind() says EBUSY. Wait for it a little.
  for (int waited_ms = 0; bind(fd_, reinterpret_cast<sockaddr*>(&sxdp), sizeof sxdp) != 0;
       waited_ms += kBindRetryMs) {
    if (errno != EBUSY || waited_ms >= kBindWaitMs) {
      *error = where + Errno("bind", errno);
      return false;
    }
    usleep(kBindRetryMs * 1000);
  }
  xdp_options opts{};
  len = sizeof opts;
  if (getsockopt(fd_, SOL_XDP, XDP_OPTIONS, &opts, &len) == 0) {
    zero_copy_ = (opts.flags & XDP_OPTIONS_ZEROCOPY) != 0;
  }
  rx_cons_ = *rx_.consumer;
  return true;
}

bool XskSocket::MapRing(uint64_t pgoff, const xdp_ring_offset& off, uint32_t entries,
                        size_t desc_size, Ring* ring, std::string* error) {
  ring->map_size = off.desc + size_t{entries} * desc_size;
  void* m = mmap(nullptr, ring->map_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd_,
                 static_cast<off_t>(pgoff));
  if (m == MAP_FAILED) {
    ring->map = nullptr;
    *error = Errno("mmap of a ring", errno);
    return false;
  }
  auto* base = static_cast<uint8_t*>(m);
  ring->map = m;
  ring->producer = reinterpret_cast<uint32_t*>(base + off.producer);
  ring->consumer = reinterpret_cast<uint32_t*>(base + off.consumer);
  ring->desc = base + off.desc;
  ring->mask = entries - 1;
  return true;
}

bool XskSocket::Peek(const uint8_t** data, uint32_t* len) {
  if (rx_cons_ == rx_prod_) {
    rx_prod_ = LoadAcquire(rx_.producer);
    if (rx_cons_ == rx_prod_) return false;
  }
  const xdp_desc& d = static_cast<const xdp_desc*>(rx_.desc)[rx_cons_ & rx_.mask];
  *data = umem_ + d.addr;
  *len = d.len;
  held_ = true;
  return true;
}

void XskSocket::Release() {
  if (!held_) return;
  held_ = false;
  const xdp_desc& d = static_cast<const xdp_desc*>(rx_.desc)[rx_cons_ & rx_.mask];
  static_cast<uint64_t*>(fill_.desc)[fill_prod_ & fill_.mask] = d.addr & frame_mask_;
  ++fill_prod_;
  ++rx_cons_;
  if (++pending_ >= kPublishEvery) Publish();
}

void XskSocket::Publish() {
  if (pending_ == 0) return;
  pending_ = 0;
  StoreRelease(fill_.producer, fill_prod_);  // the frames are free again
  StoreRelease(rx_.consumer, rx_cons_);      // their RX slots too
}

bool XskSocket::Stats(xdp_statistics* out) const {
  *out = {};
  socklen_t len = sizeof *out;
  return getsockopt(fd_, SOL_XDP, XDP_STATISTICS, out, &len) == 0;
}

}  // namespace bpfcap::capture
