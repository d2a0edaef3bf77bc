// Protocol tables.

#include "compiler/proto/protocols.h"

#include <iterator>

namespace bpfcap::proto {
namespace {

using ast::Proto;

constexpr ProtoInfo kProtos[] = {
    // proto          ethertype   ipproto  v4     v6     index  ports
    {Proto::kDefault, 0,          -1,      false, false, false, false},
    {Proto::kLink,    0,          -1,      false, false, true,  false},
    {Proto::kIp,      kEtherIp,   -1,      false, false, true,  false},
    {Proto::kIp6,     kEtherIp6,  -1,      false, false, true,  false},
    {Proto::kArp,     kEtherArp,  -1,      false, false, true,  false},
    {Proto::kRarp,    kEtherRarp, -1,      false, false, true,  false},
    {Proto::kTcp,     0,          6,       true,  true,  true,  true},
    {Proto::kUdp,     0,          17,      true,  true,  true,  true},
    {Proto::kSctp,    0,          132,     true,  true,  true,  true},
    {Proto::kIcmp,    0,          1,       true,  false, true,  false},
    {Proto::kIcmp6,   0,          58,      false, true,  true,  false},
    {Proto::kIgmp,    0,          2,       true,  false, true,  false},
    {Proto::kIgrp,    0,          9,       true,  false, true,  false},
    {Proto::kPim,     0,          103,     true,  true,  true,  false},
    {Proto::kVrrp,    0,          112,     true,  false, true,  false},
    {Proto::kCarp,    0,          112,     true,  false, true,  false},
    {Proto::kAh,      0,          51,      true,  true,  false, false},
    {Proto::kEsp,     0,          50,      true,  true,  false, false},
    {Proto::kAtalk,   kEtherAtalk, -1,     false, false, true,  false},
    {Proto::kAarp,    kEtherAarp, -1,      false, false, false, false},
    {Proto::kDecnet,  0x6003,     -1,      false, false, true,  false},
    {Proto::kLat,     0x6004,     -1,      false, false, true,  false},
    {Proto::kSca,     0x6007,     -1,      false, false, true,  false},
    {Proto::kMopdl,   0x6001,     -1,      false, false, true,  false},
    {Proto::kMoprc,   0x6002,     -1,      false, false, true,  false},
    {Proto::kIso,     kSapIsoNs,  -1,      false, false, false, false},
    {Proto::kEsis,    kSapIsoNs,  -1,      false, false, false, false},
    {Proto::kIsis,    kSapIsoNs,  -1,      false, false, false, false},
    {Proto::kClnp,    kSapIsoNs,  -1,      false, false, false, false},
    {Proto::kL1,      kSapIsoNs,  -1,      false, false, false, false},
    {Proto::kL2,      kSapIsoNs,  -1,      false, false, false, false},
    {Proto::kIih,     kSapIsoNs,  -1,      false, false, false, false},
    {Proto::kLsp,     kSapIsoNs,  -1,      false, false, false, false},
    {Proto::kSnp,     kSapIsoNs,  -1,      false, false, false, false},
    {Proto::kCsnp,    kSapIsoNs,  -1,      false, false, false, false},
    {Proto::kPsnp,    kSapIsoNs,  -1,      false, false, false, false},
    {Proto::kStp,     0x42,       -1,      false, false, false, false},
    {Proto::kIpx,     kSapIpx,    -1,      false, false, false, false},
    {Proto::kNetbeui, kSapNetbeui, -1,     false, false, false, false},
};

// The OSI family over 802.2: the NLPID after the 3-byte LLC header, and for
// IS-IS the PDU types a keyword stands for (0 ends the list).
constexpr OsiInfo kOsi[] = {
    {Proto::kIso, 0, {}},
    {Proto::kEsis, kNlpidEsis, {}},
    {Proto::kClnp, kNlpidClnp, {}},
    {Proto::kIsis, kNlpidIsis, {}},
    {Proto::kL1, kNlpidIsis, {15, 17, 18, 24, 26}},  // L1 hellos (LAN, p2p), LSP, CSNP, PSNP
    {Proto::kL2, kNlpidIsis, {16, 17, 20, 25, 27}},  // L2 hellos (LAN, p2p), LSP, CSNP, PSNP
    {Proto::kIih, kNlpidIsis, {15, 16, 17}},      // LAN L1, LAN L2, point-to-point
    {Proto::kLsp, kNlpidIsis, {18, 20}},
    {Proto::kSnp, kNlpidIsis, {24, 25, 26, 27}},
    {Proto::kCsnp, kNlpidIsis, {24, 25}},
    {Proto::kPsnp, kNlpidIsis, {26, 27}},
};

constexpr bool InEnumOrder() {
  for (size_t i = 0; i < std::size(kProtos); ++i)
    if (size_t(kProtos[i].proto) != i) return false;
  return true;
}
static_assert(InEnumOrder(), "kProtos rows must follow ast::Proto order");

struct EtherName {
  std::string_view name;
  uint32_t type;
};

constexpr EtherName kEtherNames[] = {
    {"ip", kEtherIp},       {"ip6", kEtherIp6},      {"arp", kEtherArp},
    {"rarp", kEtherRarp},   {"atalk", kEtherAtalk},  {"aarp", kEtherAarp},
    {"decnet", 0x6003},     {"sca", 0x6007},         {"lat", 0x6004},
    {"mopdl", 0x6001},      {"moprc", 0x6002},       {"iso", kSapIsoNs},
    {"stp", 0x42},          {"ipx", kSapIpx},        {"netbeui", kSapNetbeui},
    {"loopback", 0x9000},
};

}  // namespace

const ProtoInfo& Info(ast::Proto p) { return kProtos[size_t(p)]; }

const OsiInfo* Osi(ast::Proto p) {
  for (const OsiInfo& o : kOsi)
    if (o.proto == p) return &o;
  return nullptr;
}

std::optional<uint32_t> EtherTypeByName(std::string_view name) {
  for (const EtherName& e : kEtherNames)
    if (e.name == name) return e.type;
  return std::nullopt;
}

}  // namespace bpfcap::proto
