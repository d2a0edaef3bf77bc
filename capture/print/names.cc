#include "capture/print/names.h"

#include <algorithm>
#include <array>
#include <fstream>
#include <sstream>
#include <string>
#include <unordered_map>

namespace bpfcap::capture::print {
namespace {

struct Named {
  uint16_t number;
  std::string_view name;
};

// Sorted by number (checked at compile time below).
constexpr Named kEtherTypes[] = {
    {0x0600, "NS"},
    {0x0800, "IPv4"},
    {0x0806, "ARP"},
    {0x6558, "TEB"},
    {0x8035, "Reverse ARP"},
    {0x809b, "Appletalk"},
    {0x80f3, "Appletalk ARP"},
    {0x8100, "802.1Q"},
    {0x8137, "IPX"},
    {0x86dd, "IPv6"},
    {0x8808, "MPCP"},
    {0x8809, "Slow Protocols"},
    {0x880b, "PPP"},
    {0x8847, "MPLS unicast"},
    {0x8848, "MPLS multicast"},
    {0x8863, "PPPoE D"},
    {0x8864, "PPPoE S"},
    {0x888e, "EAPOL"},
    {0x88a8, "802.1Q-QinQ"},
    {0x88cc, "LLDP"},
    {0x88e5, "802.1AE MACsec"},
    {0x88f7, "PTP"},
    {0x893a, "IEEE1905.1"},
    {0x9000, "Loopback"},
    {0x9100, "802.1Q-9100"},
    {0x9200, "802.1Q-9200"},
};

constexpr Named kIpProtos[] = {
    {0, "Options"},  {1, "ICMP"},     {2, "IGMP"},       {4, "IPIP"},
    {6, "TCP"},      {8, "EGP"},      {9, "IGRP"},       {17, "UDP"},
    {33, "DCCP"},    {41, "IPv6"},    {43, "Routing"},   {44, "Fragment"},
    {46, "RSVP"},    {47, "GRE"},     {50, "ESP"},       {51, "AH"},
    {55, "Mobile IP"}, {58, "ICMPv6"}, {88, "EIGRP"},    {89, "OSPF"},
    {103, "PIM"},    {108, "Compressed IP"}, {112, "VRRP"}, {113, "PGM"},
    {132, "SCTP"},   {135, "Mobility"}, {143, "Ethernet"},
};

template <size_t N>
constexpr bool SortedUnique(const Named (&t)[N]) {
  for (size_t i = 1; i < N; ++i)
    if (t[i - 1].number >= t[i].number) return false;
  return true;
}
static_assert(SortedUnique(kEtherTypes));
static_assert(SortedUnique(kIpProtos));

template <size_t N>
std::string_view Find(const Named (&t)[N], uint16_t number, std::string_view fallback) {
  auto it = std::lower_bound(std::begin(t), std::end(t), number,
                             [](const Named& n, uint16_t v) { return n.number < v; });
  return it != std::end(t) && it->number == number ? it->name : fallback;
}

// /etc/services: "name port/proto aliases...". First entry for a port wins,
// as with getservbyport().
struct Services {
  std::unordered_map<uint32_t, std::string> by_port_proto;  // port << 1 | udp
  Services() {
    std::ifstream in("/etc/services");
    std::string line;
    while (std::getline(in, line)) {
      line = line.substr(0, line.find('#'));
      std::istringstream words(line);
      std::string name, port_proto;
      if (!(words >> name >> port_proto)) continue;
      size_t slash = port_proto.find('/');
      if (slash == std::string::npos) continue;
      std::string proto = port_proto.substr(slash + 1);
      if (proto != "tcp" && proto != "udp") continue;
      unsigned long port = std::strtoul(port_proto.c_str(), nullptr, 10);
      if (port > 65535) continue;
      by_port_proto.emplace(static_cast<uint32_t>(port << 1 | (proto == "udp")), name);
    }
  }
};

// /etc/protocols: "name number aliases...".
struct Protocols {
  std::array<std::string, 256> by_number;
  Protocols() {
    std::ifstream in("/etc/protocols");
    std::string line;
    while (std::getline(in, line)) {
      line = line.substr(0, line.find('#'));
      std::istringstream words(line);
      std::string name;
      unsigned number = 0;
      if (!(words >> name >> number) || number > 255) continue;
      if (by_number[number].empty()) by_number[number] = name;
    }
  }
};

}  // namespace

std::string_view EtherTypeName(uint16_t type) { return Find(kEtherTypes, type, "Unknown"); }

std::string_view IpProtoName(uint8_t proto) { return Find(kIpProtos, proto, "unknown"); }

std::string_view ServiceName(uint16_t port, bool udp) {
  static const Services services;
  auto it = services.by_port_proto.find(uint32_t{port} << 1 | udp);
  return it == services.by_port_proto.end() ? std::string_view() : it->second;
}

std::string_view ProtocolFileName(uint8_t proto) {
  static const Protocols protocols;
  return protocols.by_number[proto];
}

}  // namespace bpfcap::capture::print
