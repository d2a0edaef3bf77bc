// Hex dumps as tcpdump -x / -X print them:
//
//   \n\t0x0000:  4500 003c 0001 4000 4006 26b9 0a00 0001  E..<..@.@.&.....
//
// 16 bytes a line in 2-byte groups; with ASCII the hex column is padded to
// its full width and bytes outside '!'..'~' show as '.'.
#include "capture/print/layers.h"
#include "capture/print/text.h"

namespace bpfcap::capture::print {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";
constexpr size_t kBytesPerLine = 16;
constexpr size_t kHexColumnWidth = 39;  // 8 groups of 4 digits, 7 spaces

}  // namespace

void AppendHexDump(std::string* out, Bytes b, bool ascii) {
  for (size_t line = 0; line < b.size(); line += kBytesPerLine) {
    size_t n = b.size() - line < kBytesPerLine ? b.size() - line : kBytesPerLine;
    out->append("\n\t");
    AppendHex0x(out, line, 4);
    out->append(": ");
    size_t hex_start = out->size();
    for (size_t i = 0; i < n; ++i) {
      if (i % 2 == 0) out->push_back(' ');
      uint8_t v = b.U8(line + i);
      out->push_back(kHexDigits[v >> 4]);
      out->push_back(kHexDigits[v & 0xf]);
    }
    if (!ascii) continue;
    // The column starts with the space before the first group.
    out->append(kHexColumnWidth + 1 - (out->size() - hex_start), ' ');
    out->append("  ");
    for (size_t i = 0; i < n; ++i) {
      uint8_t v = b.U8(line + i);
      out->push_back(v > 0x20 && v < 0x7f ? static_cast<char>(v) : '.');
    }
  }
}

}  // namespace bpfcap::capture::print
