// Live captures for the CLI; see live.h.
#include "capture/live.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "capture/fanout.h"
#include "capture/interfaces.h"
#include "capture/ring.h"
#include "capture/afxdp.h"
#include "capture/xdp_ringbuf.h"
#include "compiler/compile.h"
#include "compiler/diag.h"
#include "compiler/proto/linktypes.h"

namespace bpfcap::capture {
namespace {

// The interface's IPv4 netmask, as "ip broadcast" needs it; 0 when it has
// none (tcpdump's choice too, so the expression still compiles).
uint32_t Netmask(const std::string& interface) {
  if (interface == "any" || interface.size() >= IFNAMSIZ) return 0;
  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  ifreq req{};
  std::memcpy(req.ifr_name, interface.data(), interface.size());
  uint32_t mask = 0;
  if (ioctl(fd, SIOCGIFNETMASK, &req) == 0) {
    mask = ntohl(reinterpret_cast<const sockaddr_in*>(&req.ifr_netmask)->sin_addr.s_addr);
  }
  close(fd);
  return mask;
}

CaptureDirection ToRing(DirectionFilter d) {
  switch (d) {
    case DirectionFilter::kIn: return CaptureDirection::kIn;
    case DirectionFilter::kOut: return CaptureDirection::kOut;
    case DirectionFilter::kInOut: break;
  }
  return CaptureDirection::kInOut;
}

// How long the kernel may hold a partly filled block. Packets printed on a
// terminal, or with -l or -U, should appear as they arrive (tcpdump uses
// immediate mode there too); otherwise batching saves a wake-up per block.
// tcpdump's default buffer timeout is 1000 ms; a shorter one keeps Ctrl-C
// prompt, since the ring delivers the held block before stopping.
constexpr uint32_t kImmediateBlockMs = 20;
constexpr uint32_t kBatchBlockMs = 200;

bool WantsImmediate(const CliOptions& o) {
  if (o.immediate || o.line_buffered || o.packet_buffered) return true;
  return o.write_file.empty() && isatty(STDOUT_FILENO);
}

XdpMode ToXdp(CliOptions::XdpMode m) {
  switch (m) {
    case CliOptions::XdpMode::kNative: return XdpMode::kNative;
    case CliOptions::XdpMode::kGeneric: return XdpMode::kGeneric;
    case CliOptions::XdpMode::kAuto: break;
  }
  return XdpMode::kAuto;
}

// What the two XDP engines' options have in common, from the command line.
template <class Options>
Options XdpEngineOptions(const CliOptions& o, const std::string& expression,
                         const std::string& interface) {
  Options x;
  x.interface = interface;
  x.snaplen = o.snaplen;
  x.expression = expression;
  x.compile.netmask = Netmask(interface);
  x.compile.optimize = o.optimize;
  x.mode = ToXdp(o.xdp_mode);
  x.promiscuous = o.promiscuous;
  return x;
}

LiveSource OpenXdp(const CliOptions& o, const std::string& expression, LiveSource live,
                   std::string* error) {
  XdpOptions xo = XdpEngineOptions<XdpOptions>(o, expression, live.interface);
  xo.ring_kib = o.buffer_kib;
  xo.batch_ms = WantsImmediate(o) ? 0 : kBatchBlockMs;
  std::unique_ptr<XdpRingbufSource> src = XdpRingbufSource::Open(xo, error);
  if (!src) return live;
  if (o.xdp_mode == CliOptions::XdpMode::kAuto && src->mode() == XdpMode::kGeneric) {
    live.note = "XDP in generic mode: " + src->native_error();
  }
  live.source = std::move(src);
  return live;
}

// --engine=afxdp: capture/afxdp.h. The warning says what it costs the host.
LiveSource OpenAfXdp(const CliOptions& o, const std::string& expression, LiveSource live,
                     std::string* error) {
  AfXdpOptions ao = XdpEngineOptions<AfXdpOptions>(o, expression, live.interface);
  ao.buffer_kib = o.buffer_kib;
  std::unique_ptr<AfXdpSource> src = AfXdpSource::Open(ao, error);
  if (!src) return live;
  if (o.xdp_mode == CliOptions::XdpMode::kAuto && src->attached_mode() == XdpMode::kGeneric) {
    live.note = "XDP in generic mode: " + src->native_error();
  }
  const std::string what = expression.empty() ? "every packet" : "the packets matching '" + expression + "'";
  live.warning =
      "WARNING: --engine=afxdp takes " + what + " away from the kernel stack of " +
      live.interface + ": until bpfcap exits, this host's sockets, routing and forwarding "
      "do not receive them.\n"
      "WARNING: use it on mirror/tap ports (see AF_XDP CAPTURE in bpfcap(1)); --engine=xdp "
      "or --engine=packet capture without taking anything away.";
  if (!src->queue_warning().empty()) live.warning += "\nWARNING: " + src->queue_warning();
  live.note += (live.note.empty() ? "" : "; ") + std::string("AF_XDP on ") +
               std::to_string(src->queues()) + (src->queues() == 1 ? " queue, " : " queues, ") +
               XdpModeName(src->attached_mode()) + " XDP, " +
               (src->zero_copy() ? "zero-copy" : "copy mode");
  live.source = std::move(src);
  return live;
}

}  // namespace

std::string DefaultInterface() {
  std::vector<InterfaceInfo> list;
  std::string error;
  if (ListInterfaces(&list, &error)) {
    for (const InterfaceInfo& i : list) {
      if (i.up && i.running && !i.loopback && i.name != "any") return i.name;
    }
  }
  return "any";
}

LiveSource OpenLiveSource(const CliOptions& o, const std::string& expression,
                          std::string* error) {
  LiveSource live;
  live.interface = o.interface.empty() ? DefaultInterface() : o.interface;
  if (o.engine == CliOptions::Engine::kXdp) return OpenXdp(o, expression, std::move(live), error);
  if (o.engine == CliOptions::Engine::kAfXdp) {
    return OpenAfXdp(o, expression, std::move(live), error);
  }
  const std::vector<int> dlts = LinkTypesFor(live.interface, error);
  if (dlts.empty()) return live;  // *error set
  int dlt = dlts.front();
  if (o.dlt_given) {
    if (std::find(dlts.begin(), dlts.end(), o.dlt) == dlts.end()) {
      const proto::LinkType* lt = proto::FindLinkType(o.dlt);
      *error = (lt ? std::string(lt->name) : std::to_string(o.dlt)) +
               " is not one of the DLTs supported by this device";
      return live;
    }
    dlt = o.dlt;
  }

  RingOptions ro;
  ro.interface = live.interface;
  ro.link_type = dlt;
  ro.snaplen = o.snaplen;
  ro.promiscuous = o.promiscuous;
  ro.direction = ToRing(o.direction);
  if (o.buffer_kib > 0) ro.buffer_kib = o.buffer_kib;
  ro.block_timeout_ms = WantsImmediate(o) ? kImmediateBlockMs : kBatchBlockMs;
  if (!expression.empty()) {
    CompileOptions c;
    c.dlt = dlt;
    c.snaplen = o.snaplen;
    c.netmask = Netmask(live.interface);
    c.optimize = o.optimize;
    c.for_kernel = true;
    if (o.target == CliOptions::Target::kEbpf) {
      ebpf::GenOptions gen;
      gen.target = ebpf::Target::kSocketFilter;
      gen.snaplen = o.snaplen;
      EbpfCompileResult e = CompileEbpf(expression, c, gen);
      if (!e.diag.ok()) {
        *error = FormatDiag(e.diag, expression);
        return live;
      }
      ro.ebpf_filter = std::move(e.program);
    } else {
      CompileResult r = Compile(expression, c);
      if (!r.diag.ok()) {
        *error = FormatDiag(r.diag, expression);
        return live;
      }
      ro.filter = std::move(r.program);
    }
  }
  if (o.threads > 1) {
    live.source = FanoutSource::Open(ro, o.threads, error);
    return live;
  }
  std::unique_ptr<Ring> ring = Ring::Open(ro, error);
  if (!ring) return live;
  if (!ring->FilterInKernel()) {
    live.note = "filtering in user space: " + ring->UserFilterReason();
  }
  live.source = std::move(ring);
  return live;
}

bool ListInterfacesText(std::string* out, std::string* error) {
  std::vector<InterfaceInfo> list;
  if (!ListInterfaces(&list, error)) return false;
  *out = FormatInterfaceList(list);
  return true;
}

bool ListLinkTypesText(const std::string& interface, std::string* out, std::string* error) {
  const std::string name = interface.empty() ? DefaultInterface() : interface;
  std::vector<int> dlts = LinkTypesFor(name, error);
  if (dlts.empty()) return false;
  std::sort(dlts.begin(), dlts.end());  // tcpdump lists LINUX_SLL first
  *out = "Data link types for " + name + " (use option -y to set):\n";
  for (int dlt : dlts) {
    const proto::LinkType* lt = proto::FindLinkType(dlt);
    *out += "  " + std::string(lt ? lt->name : "?") + " (" +
            std::string(lt ? lt->description : "?") + ")\n";
  }
  return true;
}

}  // namespace bpfcap::capture
