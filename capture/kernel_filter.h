// Classic BPF programs as the kernel's socket filter runs them.
//
// Takes a cbpf::Program compiled by bpfcap::Compile for the link type the
// capture engine reports, and produces what goes to SO_ATTACH_FILTER on an
// AF_PACKET socket:
//
//   - AdaptForCooked(): a program compiled for LINUX_SLL2 or LINUX_SLL (the
//     "any" device and other cooked captures) rewritten for a SOCK_DGRAM
//     packet socket, where the kernel runs the filter on the packet *without*
//     the 20- or 16-byte cooked header: data offset 0 is the network header. Loads of header
//     fields the kernel knows become ancillary loads, loads past the header
//     move down by its length. Programs that cannot be rewritten exactly are
//     reported as such (with the reason); the caller then filters in user
//     space with the original program.
//   - WithDirectionGuard(): a short prefix that drops packets by direction
//     in the kernel (tcpdump's -Q, and loopback's second copy).
//   - AttachFilter() / RejectAll(): the setsockopt itself.
//
// Guarantees: an adapted program gives, on every packet the kernel delivers
// to a cooked socket, the verdict the original program gives on the SLL2
// packet the capture engine builds from it (capture/ring.cc), given the
// same header values. It never needs more than BPF_MAXINSNS unless the input
// already does (the caller checks).
//
// Doesn't: compile, validate (the kernel does, on attach), or handle VLAN
// tags (the kernel runs the filter on the untagged frame; issue 4).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "compiler/cbpf/insn.h"

namespace bpfcap::capture {

// Length of the LINUX_SLL2 header the engine puts in front of cooked packets.
inline constexpr uint32_t kSll2HeaderLen = 20;

// Field offsets inside the SLL2 header (all big-endian on the wire).
inline constexpr uint32_t kSll2Protocol = 0;   // 2 bytes, EtherType
inline constexpr uint32_t kSll2Reserved = 2;   // 2 bytes, zero
inline constexpr uint32_t kSll2Ifindex = 4;    // 4 bytes
inline constexpr uint32_t kSll2Hatype = 8;     // 2 bytes, ARPHRD_*
inline constexpr uint32_t kSll2PktType = 10;   // 1 byte, PACKET_*
inline constexpr uint32_t kSll2AddrLen = 11;   // 1 byte
inline constexpr uint32_t kSll2Addr = 12;      // 8 bytes, zero padded

// LINUX_SLL (v1), the header tcpdump -y LINUX_SLL asks for. Big-endian.
inline constexpr uint32_t kSllHeaderLen = 16;
inline constexpr uint32_t kSllPktType = 0;     // 2 bytes, PACKET_*
inline constexpr uint32_t kSllHatype = 2;      // 2 bytes, ARPHRD_*
inline constexpr uint32_t kSllAddrLen = 4;     // 2 bytes
inline constexpr uint32_t kSllAddr = 6;        // 8 bytes, zero padded
inline constexpr uint32_t kSllProtocol = 14;   // 2 bytes, EtherType

inline constexpr int kDltLinuxSll = 113;
inline constexpr int kDltLinuxSll2 = 276;

struct CookedAdaptation {
  std::optional<cbpf::Program> program;  // nullopt: not adaptable
  std::string reason;  // why not, naming the instruction ("(003) ldb [11]: ...")
};

// Rewrites `prog` (written for `dlt`: LINUX_SLL2 or LINUX_SLL) for a
// SOCK_DGRAM packet socket. For LINUX_SLL2:
//   ldh [0]            → ld protocol       (SKF_AD_OFF + SKF_AD_PROTOCOL)
//   ldh [2], ldb [2|3] → ld #0             (the reserved field)
//   ld  [4]            → ld ifindex        (SKF_AD_IFINDEX)
//   ldh [8]            → ld hatype         (SKF_AD_HATYPE)
//   ldb [10]           → ld pkttype        (SKF_AD_PKTTYPE)
//   ld? [k], k >= 20   → ld? [k - 20]      (also [x + k] and ldxb 4*([k]&0xf))
//   ld #len            → ld #len; add #20  (jumps are re-resolved)
//   ld? [k], k >= SKF_LL_OFF → unchanged    (ancillary and negative offsets)
// and for LINUX_SLL the same with its layout: ldh [0] and ldb [1] are the
// packet type (ldb [0] is 0), ldh [2] the hardware type, ldh [14] the
// protocol, and the header is 16 bytes.
// Anything else touching the header (the address length and bytes, partial
// or straddling loads, [x + k] with k < 20 which may reach into it, ldx len)
// is not adaptable. Offsets past the header are plain data offsets because
// the kernel's data pointer is at the network header for SOCK_DGRAM sockets
// (packet(7)); that keeps loads on the JIT's direct path instead of the
// SKF_NET_OFF helper and makes [x + k] exact for every X.
CookedAdaptation AdaptForCooked(const cbpf::Program& prog, int dlt = kDltLinuxSll2);

// Which packets WithDirectionGuard lets through.
enum class DirectionGuard : uint8_t {
  kInOut,  // everything except outgoing copies on loopback
  kIn,     // not PACKET_OUTGOING
  kOut,    // only PACKET_OUTGOING, and not on loopback
};

// `prog` behind a prefix that rejects (ret #0) what `guard` excludes, read
// from the kernel's pkttype and ifindex (ancillary loads). Loopback shows
// every packet twice, as outgoing and as incoming; like tcpdump we keep the
// incoming copy, so outgoing packets on `loopback_ifindex` are dropped in
// every mode (pass 0 when the socket cannot see loopback traffic). An empty
// `prog` means "accept everything".
cbpf::Program WithDirectionGuard(const cbpf::Program& prog,
                                 DirectionGuard guard, int loopback_ifindex,
                                 uint32_t snaplen);

// A program that rejects every packet.
cbpf::Program RejectAll();

// SO_ATTACH_FILTER. On failure returns the errno and sets *error to
// "SO_ATTACH_FILTER: <strerror>".
int AttachFilter(int fd, const cbpf::Program& prog, std::string* error);

}  // namespace bpfcap::capture
