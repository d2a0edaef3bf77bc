// Link types: one row per DLT describing where the network-layer protocol
// type lives and where the network-layer header starts. Lowering reads these
// rows; it holds no per-link-type constants of its own.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace bpfcap::proto {

// How a link header names the network-layer protocol.
enum class TypeKind : uint8_t {
  kEtherType,      // 16-bit EtherType at type_off (Ethernet, SLL, SLL2)
  kIpVersion,      // no link header: high nibble of the first byte (RAW)
  kAfHostOrder,    // 32-bit AF_ value in the capturing host's order (NULL)
  kAfNetworkOrder, // 32-bit AF_ value, big-endian (LOOP)
  kPppProtocol,    // 16-bit PPP protocol number at type_off (PPP, PPP_SERIAL)
  kFixedIpv4,      // no link header, IPv4 only (IPV4)
  kFixedIpv6,      // no link header, IPv6 only (IPV6)
};

struct LinkType {
  int dlt;                // libpcap DLT_ value
  std::string_view name;  // pcap_datalink_val_to_name spelling
  std::string_view description;
  TypeKind type_kind;
  uint32_t type_off;      // offset of the protocol type field
  uint32_t nl_off;        // offset of the network-layer header
  bool has_ether_addrs;   // "ether host" etc. are valid (MACs at 0 / 6)
  uint32_t osi_off;       // OSI NLPID after the network-layer offset: past the
                          // 3-byte LLC header on Ethernet; libpcap reads it
                          // right at the payload on cooked captures
  uint32_t osi_pdu_off;   // IS-IS PDU type after the network-layer offset
  // Where "inbound"/"outbound" and "ifindex" look: a field of the cooked
  // header, or (size 0) the kernel's ancillary packet type / ifindex.
  uint32_t pkttype_off;
  uint8_t pkttype_size;
  uint32_t ifindex_off;
  uint8_t ifindex_size;
};

std::span<const LinkType> AllLinkTypes();
const LinkType* FindLinkType(int dlt);
// Case-insensitive, with or without a "DLT_" prefix; also accepts a number.
const LinkType* FindLinkType(std::string_view name);

}  // namespace bpfcap::proto
