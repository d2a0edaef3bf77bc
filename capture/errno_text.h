// The one-line text of a failed system call, as the capture engines report
// it: "SO_ATTACH_FILTER: Invalid argument".
#pragma once

#include <cstring>
#include <string>

namespace bpfcap::capture {

inline std::string Errno(const char* call, int err) {
  return std::string(call) + ": " + std::strerror(err);
}

}  // namespace bpfcap::capture
