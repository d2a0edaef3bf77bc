// The AF_PACKET capture engine: a TPACKET_V3 receive ring with the compiled
// filter running in the kernel.
//
// Takes RingOptions (interface, snap length, promiscuity, direction, ring
// geometry, fanout group) and a cbpf::Program compiled for LinkType(); it
// produces Packets through the PacketSource interface, zero-copy from the
// memory-mapped ring.
//
// Link types: Ethernet and loopback devices are captured with a SOCK_RAW
// socket as EN10MB. "any" (and any device with another hardware type) uses
// a SOCK_DGRAM socket and reports LINUX_SLL2: the engine writes the 20-byte
// cooked header in front of each packet, in the ring's reserved headroom,
// from the kernel's sockaddr_ll. The filter for a cooked socket is rewritten
// for the kernel (capture/kernel_filter.h); when that cannot be done exactly,
// or the kernel cannot hold the program (more than BPF_MAXINSNS
// instructions, or ENOMEM), the same program runs in user space on the
// packets as returned, and FilterInKernel() says so.
//
// Guarantees:
//   - No packet reaches the ring unfiltered. The socket is created with
//     protocol 0, which the kernel does not deliver to; the filter is
//     attached before bind() hooks the socket up, so the first packet
//     already meets it. SetFilter() on a live ring swaps in a reject-all
//     program, discards what the ring holds, then attaches the new program.
//   - An outer VLAN tag that the kernel moved out of the frame is put back
//     (802.1Q, or the TPID the kernel reports), so packets look as they did
//     on the wire. The kernel filter still sees the untagged frame.
//   - Outgoing copies on loopback are dropped (each packet is seen once, as
//     incoming), as tcpdump does; -Q filters in the kernel.
//   - Promiscuous mode is a packet-socket membership: the kernel undoes it
//     when the socket closes, however the process ends.
//   - Timestamps are the kernel's, in nanoseconds.
//
// Doesn't: pick a filter's link type for the caller (compile for
// LinkTypeFor(interface)), count interface drops (CaptureStats::if_dropped
// stays 0), or support TX.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "capture/kernel_filter.h"
#include "capture/packet_source.h"
#include "capture/wakeup.h"
#include "compiler/cbpf/insn.h"
#include "compiler/ebpf/insn.h"

struct tpacket_block_desc;

namespace bpfcap::capture {

inline constexpr int kDltEn10mb = 1;

// tcpdump -Q.
enum class CaptureDirection : uint8_t {
  kInOut,  // "inout": both (default)
  kIn,     // "in": received packets only
  kOut,    // "out": sent packets only
};

struct RingOptions {
  std::string interface = "any";   // -i NAME; "any": every interface
  uint32_t snaplen = 262144;       // -s; bytes kept of each packet
  bool promiscuous = true;         // -p turns it off; ignored for "any"
  CaptureDirection direction = CaptureDirection::kInOut;  // -Q
  // The link type to report: 0 for LinkTypeFor(interface), else one of
  // LinkTypesFor(interface) (-y; "any" can give LINUX_SLL instead of SLL2).
  int link_type = 0;
  // The filter, compiled for that link type. nullopt: everything.
  std::optional<cbpf::Program> filter;
  // Instead of `filter`: an eBPF SOCKET_FILTER program (ebpf::Target::
  // kSocketFilter, compiled with CompileOptions::for_kernel), attached with
  // SO_ATTACH_BPF
  // (--engine=packet --target=ebpf). Ethernet-like devices only (the cooked
  // rewrite is cBPF's); -Q and loopback's second copies are then dropped in
  // user space, where the ring checks them anyway.
  std::optional<ebpf::Program> ebpf_filter;
  // Ring geometry. block_size: bytes, a multiple of the page size; 0 picks
  // 256 KiB, as libpcap's blocks at the default snap length.
  // block_count: 0 derives it from buffer_kib (at least 2).
  uint32_t block_size = 0;
  uint32_t block_count = 0;
  uint32_t buffer_kib = 2048;      // -B: ring size in KiB, as tcpdump's
  // Retire a partly filled block after this: the longest a packet waits in
  // the kernel, and (after Interrupt()) the longest the ring drains.
  uint32_t block_timeout_ms = 20;
  // PACKET_FANOUT (hash by flow): sockets opened with the same non-zero
  // group share the interface's packets (--threads N).
  uint16_t fanout_group = 0;
};

// The DLT_ number a ring on `interface` will report, so the caller can
// compile the filter before Open(). 0 with *error set on failure.
int LinkTypeFor(const std::string& interface, std::string* error);
// Every link type a ring on `interface` can report, LinkTypeFor()'s first:
// EN10MB for Ethernet-like devices; LINUX_SLL2 and LINUX_SLL for "any" and
// other cooked ones. Empty with *error set on failure.
std::vector<int> LinkTypesFor(const std::string& interface, std::string* error);

class Ring : public PacketSource {
 public:
  // Opens, maps and binds the ring in the calling thread's network
  // namespace. nullptr with *error set to one line on failure:
  //   "eth9: No such device exists"
  //   "you don't have permission to capture on that device (socket: Operation not permitted)"
  //   "eth0: That device is not up"
  //   "eth0: the kernel rejected the filter (SO_ATTACH_FILTER: Invalid argument)"
  static std::unique_ptr<Ring> Open(const RingOptions& options, std::string* error);
  ~Ring() override;

  int LinkType() const override { return link_type_; }
  uint32_t Snaplen() const override { return snaplen_; }
  bool NanosecondTimestamps() const override { return true; }
  ReadStatus Next(Packet* out, int timeout_ms) override;
  void Interrupt() override;
  // Kernel counters since Open (PACKET_STATISTICS resets on every read; the
  // ring adds them up). received includes the dropped, as tcpdump reports.
  bool Stats(CaptureStats* stats) const override;

  // Replaces the filter on a live ring (see the header comment). False with
  // error() set when the kernel refuses it; the old filter is then gone and
  // nothing is captured.
  bool SetFilter(const cbpf::Program& prog);
  // Whether the filter runs in the kernel (false: in user space, see above).
  bool FilterInKernel() const { return !user_filter_; }
  // Why the filter runs in user space; empty when it runs in the kernel.
  const std::string& UserFilterReason() const { return user_filter_reason_; }

  int ifindex() const { return ifindex_; }
  int fd() const { return fd_; }

 private:
  Ring() = default;
  bool Setup(const RingOptions& options);
  bool MapRing(const RingOptions& options, uint32_t reserve);
  bool InstallFilter(const std::optional<cbpf::Program>& prog);
  bool InstallEbpfFilter(const ebpf::Program& prog);
  void Discard();
  bool Fill(uint8_t* frame, Packet* out);
  bool WaitForBlock(int timeout_ms, ReadStatus* status);
  void ReleaseBlock();
  bool Draining();
  void Fail(const std::string& message);

  int fd_ = -1;
  Wakeup wakeup_;                   // Interrupt()
  int64_t drain_deadline_ms_ = -1;  // after Interrupt(): see Draining()
  uint32_t drain_blocks_left_ = 0;
  static_assert(std::atomic<bool>::is_always_lock_free);

  std::string name_;
  int ifindex_ = 0;
  int loopback_ifindex_ = 0;
  bool cooked_ = false;             // SOCK_DGRAM + SLL2 or SLL header
  uint32_t cooked_len_ = 0;         // that header's length
  int link_type_ = kDltEn10mb;
  uint32_t snaplen_ = 262144;
  CaptureDirection direction_ = CaptureDirection::kInOut;
  std::optional<cbpf::Program> user_filter_;  // run in user space when set
  std::string user_filter_reason_;
  bool filter_attached_ = false;    // a real filter has been installed once

  uint8_t* map_ = nullptr;
  size_t map_size_ = 0;
  uint32_t block_size_ = 0;
  uint32_t block_count_ = 0;
  uint32_t block_timeout_ms_ = 0;
  uint32_t current_ = 0;            // index of the block being read
  tpacket_block_desc* block_ = nullptr;  // held block, or null
  uint32_t packets_left_ = 0;       // in the held block
  uint8_t* next_packet_ = nullptr;  // tpacket3_hdr of the next packet
  std::vector<uint8_t> scratch_;    // when headroom is short (never, so far)

  mutable CaptureStats stats_;
};

}  // namespace bpfcap::capture
