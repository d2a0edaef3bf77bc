// The link-type table: one row per DLT. Offsets are from the start of the
// captured frame; see linktypes.h for the meaning of each column.

#include "compiler/proto/linktypes.h"

#include <cctype>
#include <charconv>
#include <string>

namespace bpfcap::proto {
namespace {

constexpr LinkType kLinkTypes[] = {
    // dlt  name          description         type kind                 type nl  ether  osi pdu  pkttype  ifindex
    {0,   "NULL",       "BSD loopback",     TypeKind::kAfHostOrder,    0,  4, false, 0, 4,   0, 0,    0, 0},
    {1,   "EN10MB",     "Ethernet",         TypeKind::kEtherType,     12, 14, true,  3, 7,   0, 0,    0, 0},
    {9,   "PPP",        "PPP",              TypeKind::kPppProtocol,    2,  4, false, 0, 4,   0, 0,    0, 0},
    {12,  "RAW",        "Raw IP",           TypeKind::kIpVersion,      0,  0, false, 0, 4,   0, 0,    0, 0},
    {50,  "PPP_SERIAL", "PPP over serial",  TypeKind::kPppProtocol,    2,  4, false, 0, 4,   0, 0,    0, 0},
    {104, "C_HDLC",     "Cisco HDLC",       TypeKind::kEtherType,      2,  4, false, 1, 4,   0, 0,    0, 0},
    {108, "LOOP",       "OpenBSD loopback", TypeKind::kAfNetworkOrder, 0,  4, false, 0, 4,   0, 0,    0, 0},
    {113, "LINUX_SLL",  "Linux cooked v1",  TypeKind::kEtherType,     14, 16, false, 0, 4,   0, 2,    0, 0},
    {228, "IPV4",       "Raw IPv4",         TypeKind::kFixedIpv4,      0,  0, false, 0, 4,   0, 0,    0, 0},
    {229, "IPV6",       "Raw IPv6",         TypeKind::kFixedIpv6,      0,  0, false, 0, 4,   0, 0,    0, 0},
    {276, "LINUX_SLL2", "Linux cooked v2",  TypeKind::kEtherType,      0, 20, false, 0, 4,  10, 1,    4, 4},
};

constexpr bool SortedByDlt() {
  for (size_t i = 1; i < std::size(kLinkTypes); ++i)
    if (kLinkTypes[i - 1].dlt >= kLinkTypes[i].dlt) return false;
  return true;
}
static_assert(SortedByDlt(), "kLinkTypes must be sorted by DLT, without duplicates");

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::toupper(static_cast<unsigned char>(a[i])) != std::toupper(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

}  // namespace

std::span<const LinkType> AllLinkTypes() { return kLinkTypes; }

const LinkType* FindLinkType(int dlt) {
  for (const LinkType& l : kLinkTypes)
    if (l.dlt == dlt) return &l;
  return nullptr;
}

const LinkType* FindLinkType(std::string_view name) {
  if (name.size() > 4 && EqualsIgnoreCase(name.substr(0, 4), "DLT_")) name.remove_prefix(4);
  int n = 0;
  auto [p, ec] = std::from_chars(name.data(), name.data() + name.size(), n);
  if (ec == std::errc() && p == name.data() + name.size()) return FindLinkType(n);
  for (const LinkType& l : kLinkTypes)
    if (EqualsIgnoreCase(l.name, name)) return &l;
  return nullptr;
}

}  // namespace bpfcap::proto
