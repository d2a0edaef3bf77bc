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

std::optional<uint32_t> EtherTypeByName(std::string_view name) {
  for (const EtherName& e : kEtherNames)
    if (e.name == name) return e.type;
  return std::nullopt;
}

}  // namespace bpfcap::proto
