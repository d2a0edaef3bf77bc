// The XDP ring-buffer capture engine (--engine=xdp): the compiled filter as
// an XDP program that copies matching frames into a BPF ring buffer which
// user space reads through mmap, and passes every frame on to the stack.
//
// Takes XdpOptions (interface, snap length, the expression, attach mode,
// ring size); produces Packets through the PacketSource interface,
// zero-copy from the mapped ring buffer.
//
// What it sees: frames *received* on one Ethernet interface, at the
// driver's first touch (native mode) or at the start of the stack (generic
// mode), before any VLAN untagging, so the filter is compiled with savefile
// semantics for "vlan" (CompileOptions::for_kernel off). Nothing sent by the
// host: "outbound" is refused, "inbound" always holds. Every frame gets
// XDP_PASS, matching or not: the capture does not change what the host
// receives. With multi-buffer frames only the first buffer is seen.
//
// How (compiler/ebpf/codegen.h, XdpOnMatch::kRingbufCopy): on a match the
// program reserves a record (a 24-byte ebpf::XdpRecordHeader, then up to
// the snap length of the frame) in one BPF_MAP_TYPE_RINGBUF shared by all
// receive queues (a ring buffer takes many producers, so one ring serves a
// multi-queue NIC; records carry their queue), and counts matches and
// ring-full drops in a per-CPU array. Timestamps are bpf_ktime_get_ns
// (CLOCK_MONOTONIC) mapped to wall-clock time with the offset between the
// two clocks taken at Open.
//
// Guarantees:
//   - The program is attached through a bpf_link: it is detached when the
//     last reference goes, which is when this object is destroyed or the
//     process dies in any way (kill -9 included). Nothing stays behind.
//   - An XDP program already on the interface is never replaced: Open fails
//     and names it.
//   - Stats(): received = packets the filter matched, dropped = those the
//     ring had no room for.
//
//   - Promiscuous mode (unless -p) is a packet-socket membership on a
//     socket that receives nothing: the kernel undoes it when the process
//     ends, as for the AF_PACKET engine.
//
// Doesn't: capture on "any" or non-Ethernet devices, see outgoing packets,
// or report interface drops.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "capture/packet_source.h"
#include "capture/wakeup.h"
#include "capture/xdp_attach.h"
#include "compiler/compile.h"

namespace bpfcap::capture {

struct XdpOptions {
  std::string interface;
  uint32_t snaplen = 262144;         // bytes copied at most (capped at 65535)
  std::string expression;            // empty: every frame
  CompileOptions compile;            // netmask, optimize; dlt and for_kernel are set here
  XdpMode mode = XdpMode::kAuto;
  bool promiscuous = true;           // -p turns it off
  // Ring buffer size; 0 = 16 MiB. Rounded up to a power of two, and to
  // four records of the snap length at least.
  uint32_t ring_kib = 0;
  // 0: the reader is woken for each record (when it had caught up). Else
  // the program wakes it only once a quarter of the ring is filled, and it
  // looks every batch_ms: fewer wake-ups, packets wait up to batch_ms.
  uint32_t batch_ms = 0;
};

class XdpRingbufSource : public PacketSource {
 public:
  // Compiles, loads and attaches. nullptr with *error set to one line:
  //   "any: the XDP engine captures on one interface, not on 'any'"
  //   "lo: the XDP engine needs an Ethernet device (hardware type 772)"
  //   "veth0: an XDP program (id 42) is already attached; bpfcap does not replace it"
  //   "veth0: native XDP is not supported by this driver (...); try --xdp-mode=generic"
  //   the expression's diagnostic, or the verifier's refusal
  static std::unique_ptr<XdpRingbufSource> Open(const XdpOptions& options, std::string* error);
  ~XdpRingbufSource() override;

  int LinkType() const override { return 1; }  // DLT_EN10MB
  uint32_t Snaplen() const override { return snaplen_; }
  bool NanosecondTimestamps() const override { return true; }
  ReadStatus Next(Packet* out, int timeout_ms) override;
  void Interrupt() override;
  bool Stats(CaptureStats* stats) const override;

  // The mode the program was attached in.
  XdpMode mode() const { return mode_; }
  // Why native mode was not used when kAuto fell back to generic.
  const std::string& native_error() const { return native_error_; }
  int ifindex() const { return ifindex_; }
  int prog_fd() const { return prog_fd_; }

 private:
  XdpRingbufSource() = default;
  bool Setup(const XdpOptions& options);
  bool CreateMaps(uint32_t ring_kib);
  bool LoadProgram(const XdpOptions& options);
  bool MapRing();
  bool Attach(XdpMode mode);
  bool Wait(int timeout_ms, ReadStatus* status);
  void Fail(const std::string& message) { error_ = message; }

  std::string name_;
  int ifindex_ = 0;
  uint32_t snaplen_ = 262144;
  XdpMode mode_ = XdpMode::kAuto;
  uint32_t batch_ms_ = 0;
  std::string native_error_;

  int ring_fd_ = -1;        // BPF_MAP_TYPE_RINGBUF
  int counters_fd_ = -1;    // BPF_MAP_TYPE_PERCPU_ARRAY of ebpf::XdpCounters
  int prog_fd_ = -1;
  int link_fd_ = -1;
  Wakeup wakeup_;           // Interrupt()
  int promisc_fd_ = -1;     // AF_PACKET, protocol 0: holds the promiscuous membership

  // The mapped ring: consumer position page (read-write), producer position
  // page and the data area mapped twice in a row (read-only), so that a
  // record that wraps around is contiguous.
  uint8_t* cons_map_ = nullptr;
  uint8_t* prod_map_ = nullptr;
  size_t page_ = 0;
  uint64_t ring_size_ = 0;  // data area bytes, a power of two
  uint64_t cons_ = 0;       // our consumer position
  uint64_t pending_ = 0;    // bytes of the record handed out by Next()

  int64_t mono_to_real_ns_ = 0;  // add to CLOCK_MONOTONIC for wall time (re-read when empty)
  bool draining_ = false;
  uint64_t drain_until_ = 0;  // producer position when the drain began
};

}  // namespace bpfcap::capture
