// eBPF code generation: optimized IR → symbolic eBPF → wire program, for two
// program types. Same verdicts as the cBPF back end on every packet
// (libpcap's bpf_filter semantics), checked in the kernel by
// tests/compiler/ebpf/equivalence_test.cc.
//
// Register convention (stated once; codegen.cc follows it):
//
//   SOCKET_FILTER                         XDP
//   r1   ctx (struct __sk_buff *) on entry ctx (struct xdp_md *) on entry
//   r6   the skb, kept for helper calls    data: the first byte of the frame
//   r7   value register                    data_end
//   r8, r9  value registers                value registers
//   r3-r5   helper arguments               value registers (no calls in
//                                          the filter; the on-match leaf
//                                          calls helpers with no value live)
//   r0-r2   helper result/args; temps      temporaries (bounds checks)
//   r10  frame pointer: fp-8 holds the bytes bpf_skb_load_bytes copies out;
//        fp-16-8*i: spill slot i, for when an expression nests deeper
//        than the value registers go (i < 46); fp-384-8*w: the IR's slots
//        (run-time offsets), 16 words, stored as 0 in the prologue where a
//        path reads one before its store; XDP: fp-8 the ctx, kept for the
//        ancillary fields read from it.
// Values are 32-bit, zero-extended in their 64-bit registers: ALU ops are
// the 32-bit ones (so arithmetic wraps as cBPF's A does) and comparisons are
// JMP32. Offsets into the packet are computed in 64 bits, so that x + k
// never wraps back into the packet (cBPF's interpreter does not wrap either).
// Every block recomputes its values: no register is live across a block
// boundary except r6/r7, which keeps the verifier's state pruning effective.
//
// Packet access:
//   SOCKET_FILTER  bpf_skb_load_bytes(skb, offset, fp-8, size), then a load
//       from the stack and a byte swap. Chosen over the legacy LD_ABS/LD_IND
//       instructions (which exit with 0 on failure, libpcap's verdict too):
//       the helper takes a u32 offset and fails for offsets > INT_MAX, so a
//       large x + k cannot turn into one of LD_IND's negative "special"
//       offsets (SKF_LL_OFF, SKF_NET_OFF), and the failure branch is visible
//       in the listing. Offset 0 is skb->data: the link-layer header for an
//       AF_PACKET SOCK_RAW socket (what bpfcap attaches to, as libpcap does);
//       a SOCK_DGRAM packet socket or an IP socket starts at the network
//       header and needs a program compiled for DLT_RAW. `len` is skb->len.
//   XDP  direct packet access: before every load, data + offset + size is
//       compared with data_end. A variable offset (the IPv4 header length,
//       `tcp[x]`) is first checked against kXdpMaxLoadEnd - size so that the
//       verifier knows its range, then added to data. A load ending past
//       kXdpMaxLoadEnd (the verifier's MAX_PACKET_OFF) rejects: no linear XDP
//       frame is that long. `len` is data_end - data (pointer subtraction:
//       the loader needs CAP_PERFMON, which root has); with multi-buffer XDP
//       only the first buffer is seen.
// Failures reject: a load past the end, a division or modulus by zero at run
// time (eBPF's x/0 == 0 is not cBPF's), and statically a load at or past
// ir::kNeverInPacket. Shifts by a register >= 32 give 0, by a constant k
// shift by k & 31, as the cBPF interpreter does.
//
// Verdicts: SOCKET_FILTER returns the snap length to accept and 0 to reject
// (as cBPF). XDP returns `xdp_accept` / `xdp_reject`, by default XDP_PASS (2)
// and XDP_DROP (1), so that a test run tells them apart; a firewall passes
// the inverse pair to drop what matches.
//
// The kernel's ancillary fields: a fixed load at SKF_AD_OFF + field (which
// libpcap's bpf_filter and cbpf::Run treat as past the end) is what a cBPF
// socket filter reads from the skb: "inbound"/"outbound" the packet type,
// "ifindex" the interface, CompileOptions::for_kernel's VLAN lowering the
// tag the kernel stripped. The socket filter reads each from struct
// __sk_buff (pkt_type, ifindex, vlan_tci, vlan_present, protocol and
// vlan_proto byte-swapped to host order, mark, queue_mapping, hash) or a
// helper (cpu, random), whatever the load's size, as the kernel's cBPF
// does; fields no eBPF program can read (hatype, the netlink searches,
// xor_x, poff) are refused with kSemantic. XDP sees received frames only,
// before the stack: the packet type is PACKET_HOST (0) for every frame, so
// "inbound" always holds and "outbound" never does (the XDP engines and
// --emit-object refuse "outbound" before they get here, see
// CheckXdpCapture); ifindex is the receiving interface
// (xdp_md.ingress_ifindex) and queue rx_queue_index, read through the
// context the prologue keeps at fp-8; the rest is refused. There is no
// stripped VLAN tag at XDP: compile without CompileOptions::for_kernel.
// The table is kAncillary in codegen.cc.
//
// On match (XDP, GenOptions::on_match): the accept leaf either returns
// xdp_accept (kReturn) or first runs an action and then returns xdp_accept:
//   kRingbufCopy  counts the match in a per-CPU array (XdpCounters, key 0),
//       reserves an XdpRecordHeader + caplen record in a
//       BPF_MAP_TYPE_RINGBUF, caplen = min(len, snaplen), fills the header
//       (bpf_ktime_get_ns, ingress ifindex, rx queue), copies the bytes with
//       bpf_xdp_load_bytes, and submits it; a full ring counts ring_full.
//       Wake-ups: with wakeup_bytes 0 the kernel's own policy (wake the
//       reader when it had caught up); otherwise no wake-up until more than
//       wakeup_bytes wait in the ring (bpf_ringbuf_query), so that a busy
//       capture wakes its reader once per batch, like a TPACKET_V3 block;
//       the reader then polls on a timer for the rest.
//       bpf_ringbuf_reserve needs a constant size: the leaf picks the
//       smallest of a few size classes (kXdpRecordClasses, then snaplen)
//       that holds caplen, so a small packet takes a small record. Needs
//       kernel 5.18 (bpf_xdp_load_bytes).
//   kRedirectXsk  returns bpf_redirect_map(XSKMAP, ctx->rx_queue_index,
//       XDP_PASS) instead of xdp_accept: XDP_REDIRECT into the AF_XDP
//       socket of the packet's receive queue, XDP_PASS when the queue has
//       none. Non-matching packets get xdp_reject (XDP_PASS for a capture).
// The maps are referenced by fd (lddw with BPF_PSEUDO_MAP_FD); the
// printer shows them as map[fd:N].
//
// Does not: loop or jump backward; call helpers other than
// bpf_skb_load_bytes (and get_smp_processor_id / get_prandom_u32 for those
// ancillary fields), and for XDP actions map lookups, the ring buffer,
// bpf_xdp_load_bytes and bpf_redirect_map; emit unreachable instructions
// (the verifier refuses them: blocks reachable only through a test that
// always fails are dropped).
#pragma once

#include <cstdint>
#include <string>

#include "compiler/diag.h"
#include "compiler/ebpf/insn.h"
#include "compiler/ir.h"

namespace bpfcap::ebpf {

enum class Target : uint8_t {
  kSocketFilter,  // --target=ebpf: BPF_PROG_TYPE_SOCKET_FILTER
  kXdp,           // --target=xdp:  BPF_PROG_TYPE_XDP
};

inline constexpr int32_t kXdpDrop = 1;  // XDP_DROP
inline constexpr int32_t kXdpPass = 2;  // XDP_PASS
inline constexpr uint32_t kXdpMaxLoadEnd = 0xffff;  // the verifier's MAX_PACKET_OFF

// What an XDP program does with a packet the filter accepts, before it
// returns GenOptions::xdp_accept. New kinds add an emitter in codegen.cc's
// EmitOnMatch and keep the others unchanged.
struct XdpOnMatch {
  enum class Kind : uint8_t {
    kReturn,       // nothing: the program is a verdict (firewall, tests)
    kRingbufCopy,  // copy into a ring buffer (the `xdp` capture engine)
    kRedirectXsk,  // redirect into an AF_XDP socket (the `afxdp` capture engine)
  } kind = Kind::kReturn;
  int map_fd = -1;        // kRingbufCopy: the BPF_MAP_TYPE_RINGBUF; kRedirectXsk: the XSKMAP
  int counters_fd = -1;   // kRingbufCopy: BPF_MAP_TYPE_PERCPU_ARRAY of XdpCounters
  uint32_t snaplen = 0;   // kRingbufCopy: bytes copied at most (1..kXdpMaxLoadEnd)
  uint32_t wakeup_bytes = 0;  // kRingbufCopy: 0, or wake the reader past this many
};

// kRingbufCopy's record: this header, then caplen bytes of the frame.
// Records start 8-byte aligned in the ring.
struct XdpRecordHeader {
  uint32_t caplen;    // bytes that follow
  uint32_t len;       // frame length (data_end - data)
  uint64_t ts_ns;     // bpf_ktime_get_ns(): CLOCK_MONOTONIC
  uint32_t ifindex;   // xdp_md.ingress_ifindex
  uint32_t rx_queue;  // xdp_md.rx_queue_index
};
static_assert(sizeof(XdpRecordHeader) == 24);

// kRingbufCopy's counters, one per CPU (add them up).
struct XdpCounters {
  uint64_t matched;    // packets the filter accepted
  uint64_t ring_full;  // of those, not copied: no room in the ring
};
static_assert(sizeof(XdpCounters) == 16);

// Record payload sizes tried before the snap length (see the header comment).
inline constexpr uint32_t kXdpRecordClasses[] = {128, 256, 512, 1024, 1536, 2048, 4096};

struct GenOptions {
  Target target = Target::kSocketFilter;
  uint32_t snaplen = 262144;       // SOCKET_FILTER accept value
  int32_t xdp_accept = kXdpPass;   // XDP verdicts
  int32_t xdp_reject = kXdpDrop;
  XdpOnMatch on_match;             // XDP only
};

// IR → symbolic program. Fails (kLimit) only when an expression nests too
// deep for the stack.
bool Generate(const ir::Program& p, const GenOptions& opts, SymProgram* out, Diag* diag);

// Resolves labels to 16-bit forward offsets. False and *error on an unbound
// or backward label, or an offset that does not fit.
bool Assemble(const SymProgram& sym, Program* out, std::string* error);

}  // namespace bpfcap::ebpf
