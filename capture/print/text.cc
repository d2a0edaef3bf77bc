#include "capture/print/text.h"

#include <cstring>

namespace bpfcap::capture::print {

namespace {
constexpr char kHexDigits[] = "0123456789abcdef";
}  // namespace

void AppendDec(std::string* out, uint64_t v) {
  char buf[24];
  char* p = buf + sizeof buf;
  do {
    *--p = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  out->append(p, static_cast<size_t>(buf + sizeof buf - p));
}

void AppendSignedDec(std::string* out, int64_t v) {
  if (v < 0) {
    out->push_back('-');
    AppendDec(out, static_cast<uint64_t>(0) - static_cast<uint64_t>(v));
  } else {
    AppendDec(out, static_cast<uint64_t>(v));
  }
}

void AppendDecPad(std::string* out, uint64_t v, int width) {
  char buf[24];
  char* p = buf + sizeof buf;
  int n = 0;
  do {
    *--p = static_cast<char>('0' + v % 10);
    v /= 10;
    ++n;
  } while (v != 0 || n < width);
  out->append(p, static_cast<size_t>(buf + sizeof buf - p));
}

void AppendHex(std::string* out, uint64_t v, int width) {
  char buf[20];
  char* p = buf + sizeof buf;
  int n = 0;
  do {
    *--p = kHexDigits[v & 0xf];
    v >>= 4;
    ++n;
  } while (v != 0 || n < width);
  out->append(p, static_cast<size_t>(buf + sizeof buf - p));
}

void AppendHex0x(std::string* out, uint64_t v, int width) {
  out->append("0x");
  AppendHex(out, v, width);
}

void AppendIp4(std::string* out, const uint8_t* a) {
  for (int i = 0; i < 4; ++i) {
    if (i) out->push_back('.');
    AppendDec(out, a[i]);
  }
}

void AppendIp6(std::string* out, const uint8_t* a) {
  uint16_t g[8];
  for (int i = 0; i < 8; ++i) g[i] = static_cast<uint16_t>(a[2 * i] << 8 | a[2 * i + 1]);
  // Longest run of zero groups, first one on ties; runs of one stay.
  int best = -1, best_len = 0;
  for (int i = 0; i < 8;) {
    if (g[i] != 0) { ++i; continue; }
    int j = i;
    while (j < 8 && g[j] == 0) ++j;
    if (j - i > best_len) { best = i; best_len = j - i; }
    i = j;
  }
  if (best_len < 2) best = -1;
  // ::a.b.c.d (compatible, not ::1 / ::) and ::ffff:a.b.c.d (mapped).
  bool dotted = best == 0 && (best_len == 6 || (best_len == 5 && g[5] == 0xffff)) &&
                !(best_len == 6 && g[6] == 0 && g[7] <= 1);
  int end = dotted ? 6 : 8;
  for (int i = 0; i < end;) {
    if (i == best) {
      out->append("::");
      i += best_len;
      if (i >= end) break;
      continue;
    }
    if (i != 0 && i != best + best_len) out->push_back(':');
    AppendHex(out, g[i]);
    ++i;
  }
  if (dotted) {
    if (best_len == 5) out->push_back(':');
    AppendIp4(out, a + 12);
  }
}

void AppendMac(std::string* out, const uint8_t* a, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (i) out->push_back(':');
    out->push_back(kHexDigits[a[i] >> 4]);
    out->push_back(kHexDigits[a[i] & 0xf]);
  }
}

}  // namespace bpfcap::capture::print
