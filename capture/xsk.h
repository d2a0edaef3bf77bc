// One AF_XDP socket bound to one receive queue of one interface, with its
// own UMEM and the three rings receiving needs, set up with raw syscalls
// (socket, setsockopt SOL_XDP, mmap, bind; linux/if_xdp.h).
//
// Takes an interface index, a queue id and the UMEM geometry; produces the
// frames an XDP program redirected to this socket (bpf_redirect_map on an
// XSKMAP holding fd() at the queue's index), zero-copy from the UMEM.
//
//   UMEM        frames * frame_size bytes of anonymous memory, registered
//               with the socket (XDP_UMEM_REG, aligned chunks, no headroom)
//   fill        user space → kernel: addresses of free frames. All frames
//               start there; a frame goes back when its packet is released.
//   RX          kernel → user space: {addr, len} of each received frame
//   completion  required by bind() for every UMEM; unused (no TX)
// The rings' producer and consumer indexes are shared with the kernel:
// loads of the other side's index are acquires, stores of ours releases,
// as the kernel's smp_load_acquire/smp_store_release pair expects.
//
// Raw syscalls rather than libxdp's xsk API: the protocol is these few
// calls and two index pairs, libxdp would add a dependency whose socket
// set-up also wants to load and manage its own XDP program (dispatcher),
// while bpfcap attaches its compiled filter itself (capture/afxdp.h).
//
// Copy or zero-copy: bind() asks for neither unless `copy` is set, and the
// kernel picks zero-copy where the driver has it; ZeroCopy() says which.
// Generic (SKB-mode) XDP needs copy mode.
//
// Doesn't: transmit, share a UMEM between sockets (each queue has its own,
// so queues never contend), use need-wakeup, wait (the caller polls fd()),
// or attach any XDP program (capture/afxdp.h does).
#pragma once

#include <linux/if_xdp.h>

#include <cstdint>
#include <memory>
#include <string>

namespace bpfcap::capture {

struct XskOptions {
  int ifindex = 0;
  uint32_t queue = 0;          // receive queue id
  uint32_t frames = 2048;      // UMEM frames = ring sizes; a power of two
  uint32_t frame_size = 4096;  // bytes per frame; a power of two, 2048..page size
  bool copy = false;           // force copy mode (XDP_COPY)
};

class XskSocket {
 public:
  // nullptr with *error set to one line on failure, e.g.
  //   "AF_XDP sockets are not available (socket: Address family not supported by protocol)"
  //   "queue 3: bind: Invalid argument"
  // errno is that of the failing call (EBUSY from bind: the queue has a
  // socket already; Open waits up to a second for one that is closing).
  static std::unique_ptr<XskSocket> Open(const XskOptions& options, std::string* error);
  ~XskSocket();
  XskSocket(const XskSocket&) = delete;
  XskSocket& operator=(const XskSocket&) = delete;

  int fd() const { return fd_; }
  uint32_t queue() const { return queue_; }
  bool ZeroCopy() const { return zero_copy_; }

  // The next received frame, without waiting: false when the RX ring is
  // empty. The bytes stay valid until Release(); one frame at a time.
  bool Peek(const uint8_t** data, uint32_t* len);
  // Gives the frame of the last Peek back to the kernel (fill ring) and
  // moves past it. Made visible to the kernel by Publish(), or once
  // kPublishEvery frames are pending.
  void Release();
  // Stores our ring indexes for the kernel (release).
  void Publish();

  // The kernel's counters for this socket (XDP_STATISTICS): rx_dropped
  // (no fill frame, or a frame too large), rx_ring_full (the RX ring had no
  // room), rx_fill_ring_empty_descs (times the fill ring was empty) ...
  bool Stats(xdp_statistics* out) const;

  static constexpr uint32_t kPublishEvery = 64;

 private:
  // The user-space view of one mmap'd ring.
  struct Ring {
    uint32_t* producer = nullptr;
    uint32_t* consumer = nullptr;
    void* desc = nullptr;       // xdp_desc[] (RX) or uint64_t[] (fill, completion)
    uint32_t mask = 0;          // size - 1
    void* map = nullptr;
    size_t map_size = 0;
  };

  XskSocket() = default;
  bool Setup(const XskOptions& options, std::string* error);
  bool MapRing(uint64_t pgoff, const xdp_ring_offset& off, uint32_t entries, size_t desc_size,
               Ring* ring, std::string* error);

  int fd_ = -1;
  uint32_t queue_ = 0;
  bool zero_copy_ = false;
  uint8_t* umem_ = nullptr;
  size_t umem_size_ = 0;
  uint64_t frame_mask_ = 0;   // ~(frame_size - 1): an address's frame

  Ring rx_, fill_, completion_;
  uint32_t rx_cons_ = 0;      // our RX consumer index (published lazily)
  uint32_t rx_prod_ = 0;      // the kernel's, as last read
  uint32_t fill_prod_ = 0;    // our fill producer index (published lazily)
  uint32_t pending_ = 0;      // released frames not yet published
  bool held_ = false;         // a Peek()ed frame awaits Release()
};

}  // namespace bpfcap::capture
