// Protocol tables: EtherTypes, IP protocol numbers and header layouts that
// lowering reads. One row per protocol; no logic.
#pragma once

#include <cstdint>
#include <array>
#include <optional>
#include <string_view>

#include "compiler/ast.h"

namespace bpfcap::proto {

inline constexpr uint32_t kEtherIp = 0x0800;
inline constexpr uint32_t kEtherArp = 0x0806;
inline constexpr uint32_t kEtherRarp = 0x8035;
inline constexpr uint32_t kEtherIp6 = 0x86dd;
inline constexpr uint32_t kEtherVlan = 0x8100;      // 802.1Q
inline constexpr uint32_t kEtherQinQ = 0x88a8;      // 802.1ad
inline constexpr uint32_t kEtherQinQOld = 0x9100;   // pre-standard QinQ
inline constexpr uint32_t kEtherMpls = 0x8847;
inline constexpr uint32_t kEtherPppoeDiscovery = 0x8863;
inline constexpr uint32_t kEtherPppoeSession = 0x8864;
inline constexpr uint32_t kEtherDecnet = 0x6003;
inline constexpr uint32_t kEtherMtu = 1500;  // type fields up to this are 802.3 lengths

inline constexpr uint8_t kIpProtoFragment6 = 44;  // IPv6 fragment header

// The headers "protochain" walks past (ir.h, ValueKind::kProtoChain), as
// libpcap 1.10 does. Each has its next header type in its first byte and a
// length L in its second; the next header starts at
//     base + (L + len_bias) * unit
// where base is the header's own offset, or the start of the IP header when
// from_ip_start (libpcap's arithmetic for AH: RFC 4302 measures from the AH
// header, but bpfcap keeps libpcap's verdicts). Rows that step alike are
// adjacent, so that back ends can share one step between them.
struct ChainHeader {
  uint8_t type;
  bool ipv4;           // walked in "ip protochain"
  bool ipv6;           // walked in "ip6 protochain"
  bool from_ip_start;
  uint8_t len_bias;
  uint8_t unit;
};
inline constexpr ChainHeader kChainHeaders[] = {
    {0, false, true, false, 1, 8},   // IPv6 hop-by-hop options (RFC 8200)
    {60, false, true, false, 1, 8},  // IPv6 destination options
    {43, false, true, false, 1, 8},  // IPv6 routing
    {44, false, true, false, 1, 8},  // IPv6 fragment (L is reserved: 8 bytes)
    {51, true, true, true, 2, 4},    // AH (RFC 4302)
};
inline constexpr bool SameStep(const ChainHeader& a, const ChainHeader& b) {
  return a.from_ip_start == b.from_ip_start && a.len_bias == b.len_bias && a.unit == b.unit;
}
inline constexpr bool Walks(const ChainHeader& h, uint8_t ip_version) {
  return ip_version == 4 ? h.ipv4 : h.ipv6;
}

// What a protocol keyword means above the link layer.
struct ProtoInfo {
  ast::Proto proto;
  uint32_t ethertype;    // for ip/ip6/arp/rarp: the EtherType it is
  int ipproto;           // for transports: IP protocol number, else -1
  bool over_ip;          // carried over IPv4 ("tcp" tests IPv4 ...)
  bool over_ip6;         // ... and/or IPv6
  bool indexable;        // "proto[...]" allowed
  bool port_carrier;     // has 16-bit ports at offsets 0 and 2
};

const ProtoInfo& Info(ast::Proto p);

// OSI protocols over 802.2 LLC (SAP 0xfe): the network-layer protocol id
// and IS-IS's PDU type (where: LinkType::osi_off and osi_pdu_off).
inline constexpr uint32_t kNlpidClnp = 0x81;
inline constexpr uint32_t kNlpidEsis = 0x82;
inline constexpr uint32_t kNlpidIsis = 0x83;

struct OsiInfo {
  ast::Proto proto;
  uint32_t nlpid;                  // 0 for plain "iso"
  std::array<uint8_t, 5> pdus;     // IS-IS PDU types; 0 ends the list
};
// The OSI row of `p`, or null.
const OsiInfo* Osi(ast::Proto p);

// IPv4/IPv6/ARP header fields used by lowering (offsets from the start of
// the network-layer header).
inline constexpr uint32_t kIpOffFrag = 6;      // flags + fragment offset (16 bits)
inline constexpr uint32_t kIpFragMask = 0x1fff;
inline constexpr uint32_t kIpOffProto = 9;
inline constexpr uint32_t kIpOffSrc = 12;
inline constexpr uint32_t kIpOffDst = 16;
inline constexpr uint32_t kIp6OffNext = 6;
inline constexpr uint32_t kIp6OffSrc = 8;
inline constexpr uint32_t kIp6OffDst = 24;
inline constexpr uint32_t kIp6HdrLen = 40;
inline constexpr uint32_t kArpOffSpa = 14;   // sender protocol address
inline constexpr uint32_t kArpOffTpa = 24;   // target protocol address

// Geneve (RFC 8926): UDP to port 6081, then an 8-byte header (version and
// options length, flags, protocol type, VNI) and the options, whose length
// is counted in 4-byte words. Offsets from the start of the Geneve header.
inline constexpr uint32_t kGenevePort = 6081;
inline constexpr uint32_t kUdpHdrLen = 8;
inline constexpr uint32_t kUdpOffDstPort = 2;
inline constexpr uint32_t kGeneveHdrLen = 8;
inline constexpr uint32_t kGeneveVersionMask = 0xc0;  // byte 0: version 0 only
inline constexpr uint32_t kGeneveOptLenMask = 0x3f;   // byte 0: options length / 4
inline constexpr uint32_t kGeneveOffProto = 2;        // EtherType of the payload
inline constexpr uint32_t kGeneveOffVni = 4;          // VNI: 24 bits, then a reserved byte
inline constexpr uint32_t kGeneveVniMax = 0xffffff;
inline constexpr uint32_t kEtherTeb = 0x6558;         // Transparent Ethernet Bridging
inline constexpr uint32_t kEtherHdrLen = 14;
inline constexpr uint32_t kEtherOffType = 12;

// "ether proto \NAME" names.
std::optional<uint32_t> EtherTypeByName(std::string_view name);

// LLC SAPs that libpcap compares as a DSAP/SSAP pair.
inline constexpr uint32_t kSapIp = 0x06;
inline constexpr uint32_t kSapNetbeui = 0xf0;
inline constexpr uint32_t kSapIsoNs = 0xfe;
inline constexpr uint32_t kSapIpx = 0xe0;
inline constexpr uint32_t kEtherIpx = 0x8137;
inline constexpr uint32_t kEtherAtalk = 0x809b;
inline constexpr uint32_t kEtherAarp = 0x80f3;

// EtherTypes (and LLC SAPs) as PPP protocol numbers, for tests after
// "pppoes"; a type not listed is compared unchanged, as libpcap does.
struct EtherToPpp {
  uint32_t ether;
  uint32_t ppp;
};
inline constexpr EtherToPpp kEtherToPpp[] = {
    {0x0800, 0x0021},  // IPv4
    {0x86dd, 0x0057},  // IPv6
    {0x6003, 0x0027},  // DECnet
    {0x809b, 0x0029},  // AppleTalk
    {0x0600, 0x0025},  // Xerox NS
    {kSapIpx, 0x002b}, // IPX
    {kSapIsoNs, 0x0023},  // OSI
    {0x0042, 0x0031},  // bridging PDU (STP SAP)
};
// "mpls" over PPP (the keyword only: "ether proto 0x8847" stays 0x8847).
inline constexpr uint32_t kPppMplsUnicast = 0x0281;
// PPP protocol numbers for IPv4: plain, and Van Jacobson compressed and
// uncompressed TCP/IP (BSD/OS PPP names all three "ip").
inline constexpr uint32_t kPppIp = 0x0021;
inline constexpr uint32_t kPppVjCompressed = 0x002d;
inline constexpr uint32_t kPppVjUncompressed = 0x002f;

// LINUX_SLL protocol values below 1536 that are not EtherTypes.
inline constexpr uint32_t kSllP8023 = 0x0001;  // Novell "raw 802.3" (IPX without LLC)
inline constexpr uint32_t kSllP8022 = 0x0004;  // 802.2 LLC follows the cooked header

}  // namespace bpfcap::proto
