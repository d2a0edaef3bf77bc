// What both XDP capture engines (capture/xdp_ringbuf.h, capture/afxdp.h) do
// to an interface: check that it can take their program, hold it in
// promiscuous mode, and attach the program through a bpf_link.
//
// Takes an interface name (in the calling thread's network namespace) and
// a loaded XDP program fd; produces a link fd that owns the attachment: the
// kernel detaches the program when the link's last fd closes, which is
// also when the process dies in any way (kill -9 included). Nothing is
// pinned, nothing stays behind.
//
// Doesn't: replace or remove another program (an interface that has one is
// refused, naming its id), load programs, or pick the interface.
#pragma once

#include <cstdint>
#include <string>

namespace bpfcap::capture {

// Where the XDP program runs (--xdp-mode).
enum class XdpMode : uint8_t {
  kAuto,     // native when the driver has it, else generic
  kNative,   // --xdp-mode=native: XDP_FLAGS_DRV_MODE, fail if unsupported
  kGeneric,  // --xdp-mode=generic: XDP_FLAGS_SKB_MODE
};

const char* XdpModeName(XdpMode m);  // "native", "generic", "auto"

// The interface exists, is an Ethernet device, is up, and has no XDP
// program. `engine` names the caller in messages ("the XDP engine"). False
// with *error set to one line:
//   "any: the XDP engine captures on one interface, not on 'any'"
//   "eth9: No such device exists"
//   "lo: the XDP engine needs an Ethernet device (hardware type 772); use --engine=packet"
//   "eth1: That device is not up"
//   "eth1: an XDP program (id 42) is already attached; bpfcap does not replace it"
bool CheckXdpInterface(const std::string& name, const char* engine, int* ifindex,
                       std::string* error);

// An AF_PACKET socket that receives nothing (protocol 0) and holds the
// interface in promiscuous mode while it is open; the kernel drops the
// membership when it closes, however the process ends. -1 with *error set.
int HoldPromiscuous(int ifindex, const std::string& name, std::string* error);

struct XdpLink {
  int fd = -1;                 // the bpf_link; close it to detach
  XdpMode mode = XdpMode::kAuto;  // kNative or kGeneric: where it runs
  std::string native_error;    // kAuto fell back to generic: why native failed
};

// Attaches `prog_fd` to the interface in `mode` (kAuto: native, else
// generic). False with *error set:
//   "eth1: another XDP program is already attached; bpfcap does not replace it"
//   "eth1: native XDP is not available on this device (bpf_link_create: ...); try --xdp-mode=generic"
bool AttachXdp(int prog_fd, int ifindex, const std::string& name, XdpMode mode, XdpLink* out,
               std::string* error);

}  // namespace bpfcap::capture
