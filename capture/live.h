// Opening a live capture for the CLI: interface choice, compiling the
// expression for the interface's link type, netmask and snap length, and
// attaching it to the engine (capture/ring.h) in the kernel.
//
// When the kernel cannot take the program (the "any" device with a program
// that reads the cooked header in ways the kernel cannot, or more than 4096
// instructions), the source captures unfiltered and the caller runs
// `user_space_filter` on each packet instead; the result is the same.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "capture/cli_options.h"
#include "capture/packet_source.h"
#include "compiler/cbpf/insn.h"

namespace bpfcap::capture {

struct LiveRequest {
  const CliOptions* options = nullptr;
  std::string expression;
};

struct LiveSource {
  std::unique_ptr<PacketSource> source;             // null on failure
  std::string interface;                            // as printed: "eth0", "any"
  std::optional<cbpf::Program> user_space_filter;   // see above
};

// On failure: source is null and *error is one line ("eth9: No such device
// exists", or the expression's diagnostic).
LiveSource OpenLiveSource(const LiveRequest& request, std::string* error);

}  // namespace bpfcap::capture
