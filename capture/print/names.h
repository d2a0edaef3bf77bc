// Names tcpdump prints for numbers: EtherTypes, IP protocols, and the
// port and protocol names of /etc/services and /etc/protocols.
//
// The first two are fixed tables (the strings tcpdump 4.99 prints, learned
// by running it); the last two read the system files once, on first use,
// and never block on the network.
#pragma once

#include <cstdint>
#include <string_view>

namespace bpfcap::capture::print {

// "IPv4", "802.1Q", ...; "Unknown" when not in the table.
std::string_view EtherTypeName(uint16_t type);

// The name in tcpdump's -v IP header ("TCP", "ICMPv6"); "unknown" otherwise.
std::string_view IpProtoName(uint8_t proto);

// From /etc/services ("http" for TCP port 80); empty when none.
std::string_view ServiceName(uint16_t port, bool udp);

// From /etc/protocols ("udp" for 17); empty when none.
std::string_view ProtocolFileName(uint8_t proto);

}  // namespace bpfcap::capture::print
