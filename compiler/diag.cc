// FormatDiag: the one place that turns a Diag into the text users see.
//
// Format (one line, no trailing newline, no program-name prefix):
//   "<message> (column <begin+1>, near '<expr[begin,end)>')"
//   "<message> (column <begin+1>)"       when the range is empty
//   "<message> (at end of expression)"   when begin >= expr.size()
// Control characters and non-ASCII bytes in the quoted token are escaped
// (\n, \t, \xNN) so the result is always a single printable line, even for
// expressions read from a file with -F.
#include "compiler/diag.h"

#include <algorithm>

namespace bpfcap {
namespace {

void AppendEscaped(std::string* out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (unsigned char c : text) {
    if (c == '\n') {
      *out += "\\n";
    } else if (c == '\t') {
      *out += "\\t";
    } else if (c < 0x20 || c >= 0x7f) {
      *out += "\\x";
      *out += kHex[c >> 4];
      *out += kHex[c & 0xf];
    } else {
      *out += static_cast<char>(c);
    }
  }
}

}  // namespace

std::string FormatDiag(const Diag& d, std::string_view expr) {
  std::string out;
  AppendEscaped(&out, d.message.empty() ? std::string_view("error") : d.message);
  const size_t begin = d.range.begin;
  if (begin >= expr.size()) {
    out += " (at end of expression)";
    return out;
  }
  out += " (column ";
  out += std::to_string(begin + 1);
  const size_t end = std::min<size_t>(d.range.end, expr.size());
  if (end > begin) {
    out += ", near '";
    AppendEscaped(&out, expr.substr(begin, end - begin));
    out += "'";
  }
  out += ")";
  return out;
}

}  // namespace bpfcap
