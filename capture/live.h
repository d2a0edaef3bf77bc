// Opening a live capture for the CLI: choosing the interface, compiling the
// expression for its link type, netmask and snap length, and opening the
// AF_PACKET ring (capture/ring.h) with the program attached in the kernel.
//
// The ring itself falls back to filtering in user space when the kernel
// cannot take the program (see ring.h); callers see filtered packets
// either way.
#pragma once

#include <memory>
#include <string>

#include "capture/cli_options.h"
#include "capture/packet_source.h"

namespace bpfcap::capture {

struct LiveSource {
  std::unique_ptr<PacketSource> source;  // null on failure
  std::string interface;                 // as printed: "eth0", "any"
  std::string note;                      // a warning to print, or empty
  // Printed on its own lines before the capture starts, however stderr is
  // used: what the capture does to the host (--engine=afxdp).
  std::string warning;
};

// On failure: source is null and *error is one line ("eth9: No such device
// exists", or the expression's diagnostic).
LiveSource OpenLiveSource(const CliOptions& options, const std::string& expression,
                          std::string* error);

// The interface tcpdump would pick without -i: the first one that is up,
// running and not a loopback; else "any".
std::string DefaultInterface();

// -D: the interface list as tcpdump prints it. -L: the link types of one.
bool ListInterfacesText(std::string* out, std::string* error);
bool ListLinkTypesText(const std::string& interface, std::string* out, std::string* error);

}  // namespace bpfcap::capture
