// The AF_XDP capture engine (--engine=afxdp): an XDP program on the
// interface redirects the packets that match the filter into AF_XDP
// sockets, one per receive queue (capture/xsk.h), and passes the rest to
// the kernel stack.
//
// Takes AfXdpOptions: an Ethernet interface, the snap length, the filter
// expression, the XDP attach mode and the UMEM size per queue. The filter
// is compiled with the on-match action ebpf::XdpOnMatch::kRedirectXsk:
// bpf_redirect_map(xsks, ctx->rx_queue_index, XDP_PASS), so that a queue
// without a socket passes the packet on; what does not match gets XDP_PASS.
// It is compiled as for the ring-buffer engine (capture/xdp_ringbuf.h):
// VLAN tags in the frame, "outbound" refused, "inbound" always true.
// Produces the
// redirected frames through the PacketSource interface, zero-copy from the
// sockets' UMEMs, as received: LinkType() EN10MB, direction inbound.
//
// Order of set-up: the XSKMAP is made and the program compiled and loaded
// first (a bad filter costs nothing more); then the sockets are created,
// their fill rings filled, bound, and put into the map; only then is the
// program attached, so no packet is taken before it can be read.
//
// THE MATCHING PACKETS LEAVE THE KERNEL STACK: a redirected frame is
// delivered to bpfcap only, not to the host's sockets, routing or
// forwarding. This is what a mirror or tap port wants (nothing else uses
// the traffic, and the stack never pays for it), and what a host's own
// traffic must never get: capturing "tcp port 22" this way on the interface
// you are logged in through cuts your session. The CLI warns on stderr.
//
// Guarantees:
//   - The program is attached through a bpf_link owned by this object: the
//     kernel detaches it when the link's last fd closes, so also when the
//     process dies, kill -9 included. Nothing is pinned.
//   - Another XDP program already on the interface is left alone: Open
//     fails, naming it (capture/xdp_attach.h).
//   - Promiscuous mode, when asked, is an AF_PACKET membership (as the
//     ring's), undone by the kernel when the process ends.
//   - Every receive queue the interface has (ETHTOOL_GCHANNELS: rx +
//     combined) gets a socket; Next() serves them round-robin.
//
// Timestamps are taken in user space when a packet is read (AF_XDP
// delivers none): they tell when bpfcap saw the packet, late by the time it
// waited in the ring.
//
// Doesn't: see outgoing packets (XDP runs on receive only), capture "any",
// non-Ethernet devices, or frames longer than a UMEM frame (4 KiB less 256
// bytes of headroom; the kernel counts them in rx_dropped).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "capture/packet_source.h"
#include "capture/wakeup.h"
#include "capture/xdp_attach.h"
#include "capture/xsk.h"
#include "compiler/compile.h"
#include "compiler/ebpf/insn.h"

namespace bpfcap::capture {

// Builds an XDP program that redirects packets into the XSKMAP
// `xsks_map_fd` (key: receive queue index). False with *error set.
using XskProgramBuilder =
    std::function<bool(int xsks_map_fd, ebpf::Program* out, std::string* error)>;

struct AfXdpOptions {
  std::string interface;
  uint32_t snaplen = 262144;
  std::string expression;      // the filter; empty: every frame
  CompileOptions compile;      // netmask, optimize; dlt and for_kernel are set here
  bool promiscuous = true;     // -p turns it off
  XdpMode mode = XdpMode::kAuto;
  uint32_t buffer_kib = 0;     // UMEM per queue; 0: kDefaultAfXdpBufferKib, or on
                               // devices with more than 4 queues 32 MiB shared out
                               // (1 MiB a queue at least)
  // Tests: a hand-made program instead of the compiled expression.
  XskProgramBuilder program;
};

inline constexpr uint32_t kDefaultAfXdpBufferKib = 8192;  // 2048 frames of 4 KiB

class AfXdpSource : public PacketSource {
 public:
  // Opens in the calling thread's network namespace. nullptr with *error
  // set to one line on failure:
  //   "eth9: No such device exists"
  //   "eth1: an XDP program (id 42) is already attached; bpfcap does not replace it"
  //   "eth1: native XDP is not available on this device (bpf_link_create:
  //    Operation not supported); try --xdp-mode=generic"
  //   "tun0: the AF_XDP engine needs an Ethernet device (hardware type 65534); use --engine=packet"
  //   "eth1: queue 0: bind: Device or resource busy (another AF_XDP socket has this queue)"
  //   the expression's diagnostic, or the verifier's refusal
  static std::unique_ptr<AfXdpSource> Open(const AfXdpOptions& options, std::string* error);
  ~AfXdpSource() override;

  int LinkType() const override { return 1; }  // DLT_EN10MB
  uint32_t Snaplen() const override { return snaplen_; }
  bool NanosecondTimestamps() const override { return false; }
  ReadStatus Next(Packet* out, int timeout_ms) override;
  void Interrupt() override;
  // received: packets read + dropped; dropped: the kernel's rx_dropped (no
  // free frame in the fill ring, or too large) + rx_ring_full, summed over
  // the queues.
  bool Stats(CaptureStats* stats) const override;

  size_t queues() const { return sockets_.size(); }
  // Set when the device does not report its receive queues and only queue
  // 0 is captured: one line for the user.
  const std::string& queue_warning() const { return queue_warning_; }
  XdpMode attached_mode() const { return link_.mode; }  // kNative or kGeneric
  // Why native mode was not used when kAuto fell back to generic.
  const std::string& native_error() const { return link_.native_error; }
  bool zero_copy() const;   // every socket is zero-copy
  int ifindex() const { return ifindex_; }
  // The receive queue of the packet the last Next() returned.
  uint32_t last_queue() const { return last_queue_; }
  // Kernel counters summed over the queues.
  xdp_statistics XskStats() const;

 private:
  AfXdpSource() = default;
  bool Setup(const AfXdpOptions& options, std::string* error);
  bool BuildProgram(const AfXdpOptions& options, ebpf::Program* out, std::string* error);
  bool Wait(int timeout_ms, ReadStatus* status);

  std::string name_;
  std::string queue_warning_;
  int ifindex_ = 0;
  uint32_t snaplen_ = 262144;
  std::vector<std::unique_ptr<XskSocket>> sockets_;
  int map_fd_ = -1;
  int prog_fd_ = -1;
  XdpLink link_;
  int promisc_fd_ = -1;
  Wakeup wakeup_;  // Interrupt()

  size_t current_ = 0;        // socket served next
  uint32_t burst_ = 0;        // packets taken from it in a row
  XskSocket* held_ = nullptr; // whose frame the last Packet points into
  uint64_t delivered_ = 0;
  uint32_t last_queue_ = 0;
};

}  // namespace bpfcap::capture
