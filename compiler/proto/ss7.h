// SS7 signalling units (MTP2, and MTP3 inside them) for "fisu", "sio",
// "opc" and the rest. MTP2 carries: BSN/BIB (1 byte), FSN/FIB (1), length
// indicator (low 6 bits), then for an MSU the service information octet and
// the routing label, a little-endian 32-bit word holding DPC (14 bits), OPC
// (14 bits) and SLS (4 bits). High-speed links (Q.703 Annex A, the "h"
// keywords) have 12-bit sequence numbers: two bytes each, a 9-bit length
// indicator in the next two, so everything after sits 3 bytes further on.
// Offsets here are from the start of the MTP2 header, which each link type
// gives (LinkType::ss7_off).
#pragma once

#include <cstdint>
#include <string_view>

namespace bpfcap::proto {

// "fisu", "lssu", "msu" and the h forms: a range of the length indicator
// LI = field & mask. upto 0 means LI == 0 (tested as "no bit of mask set");
// otherwise LI > above and, unless upto is UINT32_MAX, LI <= upto.
struct Ss7Unit {
  std::string_view keyword;
  uint32_t off;   // length indicator
  uint8_t size;
  uint32_t mask;
  uint32_t above;
  uint32_t upto;
};
inline constexpr Ss7Unit kSs7Units[] = {
    {"fisu", 2, 1, 0x3f, 0, 0},              // LI 0: fill-in signal unit
    {"lssu", 2, 1, 0x3f, 0, 2},              // LI 1-2: link status
    {"lsu", 2, 1, 0x3f, 0, 2},               // libpcap's alias of lssu
    {"msu", 2, 1, 0x3f, 2, UINT32_MAX},      // LI 3-63: message signal unit
    {"hfisu", 4, 2, 0xff80, 0, 0},
    {"hlssu", 4, 2, 0xff80, 0, 0x100},
    {"hmsu", 4, 2, 0xff80, 0x100, UINT32_MAX},
};

// How a value is placed in the loaded field before the comparison.
enum class Ss7Layout : uint8_t {
  kPlain,  // as is (SIO)
  kSls,    // in the high nibble of its byte
  kOpc,    // bits 14-27 of the little-endian label, loaded big-endian
  kDpc,    // bits 0-13 of the little-endian label, loaded big-endian
};

// "sio N", "opc N", "dpc N", "sls N" and the h forms.
struct Ss7Field {
  std::string_view keyword;
  std::string_view name;  // for messages: the h forms are reported by their base name
  uint32_t off;
  uint8_t size;
  uint32_t mask;   // of the loaded field (0xffffffff: none)
  uint32_t max;    // largest value the field holds
  Ss7Layout layout;
};
inline constexpr Ss7Field kSs7Fields[] = {
    {"sio", "sio", 3, 1, 0xffffffff, 255, Ss7Layout::kPlain},
    {"opc", "opc", 4, 4, 0x00c0ff0f, 16383, Ss7Layout::kOpc},
    {"dpc", "dpc", 4, 4, 0xff3f0000, 16383, Ss7Layout::kDpc},
    {"sls", "sls", 7, 1, 0xf0, 15, Ss7Layout::kSls},
    {"hsio", "sio", 6, 1, 0xffffffff, 255, Ss7Layout::kPlain},
    {"hopc", "opc", 7, 4, 0x00c0ff0f, 16383, Ss7Layout::kOpc},
    {"hdpc", "dpc", 7, 4, 0xff3f0000, 16383, Ss7Layout::kDpc},
    {"hsls", "sls", 10, 1, 0xf0, 15, Ss7Layout::kSls},
};

// The value as it appears in the loaded, masked field.
constexpr uint32_t Ss7Placed(Ss7Layout layout, uint32_t v) {
  switch (layout) {
    case Ss7Layout::kPlain: return v;
    case Ss7Layout::kSls: return v << 4;
    case Ss7Layout::kOpc: return (v & 0x3) << 22 | (v & 0x3fc) << 6 | (v & 0x3c00) >> 10;
    case Ss7Layout::kDpc: return (v & 0xff) << 24 | (v & 0x3f00) << 8;
  }
  return v;
}
static_assert(Ss7Placed(Ss7Layout::kOpc, 5) == 0x400100);
static_assert(Ss7Placed(Ss7Layout::kOpc, 16383) == 0xc0ff0f);
static_assert(Ss7Placed(Ss7Layout::kDpc, 5) == 0x05000000);
static_assert(Ss7Placed(Ss7Layout::kDpc, 16383) == 0xff3f0000);

}  // namespace bpfcap::proto
