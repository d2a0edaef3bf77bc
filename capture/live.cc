// Live captures for the CLI; see live.h.
#include "capture/live.h"

namespace bpfcap::capture {

LiveSource OpenLiveSource(const LiveRequest&, std::string* error) {
  // Temporary, until the AF_PACKET engine (capture/ring.h) lands on main.
  *error = "live capture is not available in this build yet; read a file with -r";
  return {};
}

}  // namespace bpfcap::capture
