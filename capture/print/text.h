// Appending numbers and addresses to the output string, without iostreams
// or printf: the CLI prints every packet through these, so they are the hot
// path of text output.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace bpfcap::capture::print {

void AppendDec(std::string* out, uint64_t v);
void AppendSignedDec(std::string* out, int64_t v);
// Zero-padded to at least `width` digits.
void AppendDecPad(std::string* out, uint64_t v, int width);
// Lower-case hex, zero-padded to at least `width` digits, no "0x".
void AppendHex(std::string* out, uint64_t v, int width = 1);
// "0x%04x"-style: "0x" then AppendHex.
void AppendHex0x(std::string* out, uint64_t v, int width = 1);
// a.b.c.d from 4 bytes.
void AppendIp4(std::string* out, const uint8_t* a);
// RFC 5952 text (longest run of two or more zero groups as "::", IPv4-mapped
// and -compatible forms with a dotted quad tail) from 16 bytes.
void AppendIp6(std::string* out, const uint8_t* a);
// aa:bb:cc:dd:ee:ff from `n` bytes.
void AppendMac(std::string* out, const uint8_t* a, size_t n = 6);

inline void Append(std::string* out, std::string_view s) { out->append(s); }

}  // namespace bpfcap::capture::print
