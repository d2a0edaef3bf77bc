// The first line of an HTTP/1.x message, as tcpdump shows it after a TCP
// segment on port 80 or 8080:
//
//   ..., length 18: HTTP: GET / HTTP/1.0
//   ..., length 3: HTTP                     (not a request or status line)
//
// A request line starts with a method and a space, a status line with
// "HTTP/"; the line ends at CR LF within the captured bytes.
#include <string_view>

#include "capture/print/layers.h"

namespace bpfcap::capture::print {
namespace {

constexpr std::string_view kMethods[] = {
    "OPTIONS", "GET", "HEAD", "POST", "PUT", "DELETE", "TRACE", "CONNECT", "PATCH",
};

bool StartsLine(std::string_view text) {
  if (text.substr(0, 5) == "HTTP/") return true;
  for (std::string_view m : kMethods) {
    if (text.size() > m.size() && text.substr(0, m.size()) == m && text[m.size()] == ' ')
      return true;
  }
  return false;
}

}  // namespace

void PrintHttp(Ctx& c, Bytes b, uint32_t length) {
  c.out->append(": HTTP");
  Bytes payload = b.Prefix(length);
  std::string_view text(reinterpret_cast<const char*>(payload.data()), payload.size());
  if (!StartsLine(text)) return;
  size_t eol = text.find("\r\n");
  if (eol == std::string_view::npos) return;
  c.out->append(": ");
  c.out->append(text.substr(0, eol));
}

}  // namespace bpfcap::capture::print
