// Link types: one row per DLT describing where the network-layer protocol
// type lives and where the network-layer header starts. Lowering reads these
// rows; it holds no per-link-type constants of its own.
//
// Every DLT for which libpcap 1.10 generates code has a row, including those
// whose frames carry no protocol field libpcap can test (USB, Bluetooth, CAN,
// DOCSIS, ...): on those only the link-agnostic primitives (len, less,
// greater, link[...], inbound, outbound, ifindex) compile, and every protocol
// test is refused, as libpcap refuses it. DLT numbers 104–289 without a
// libpcap name are rows too, with an empty name.
//
// Offsets are uint32_t and wrap: a few link types place the network layer
// "before" the frame (libpcap's JUNIPER_ES and BACNET_MS_TP rows add an unset
// offset of -1 twice), which is kept so that the loads, and verdicts, are
// libpcap's: a load at 0xfffffffe is past the end of every packet.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace bpfcap::proto {

// How a link header names the network-layer protocol.
enum class TypeKind : uint8_t {
  kNone,           // no protocol field: every protocol test is refused
  kEtherType,      // Ethernet: EtherType II above 1500, 802.3 length + 802.2 LLC below
  kEtherTypePlain, // a 16-bit EtherType compared as is, SAPs included (SLL2, ...)
  kSll,            // Linux cooked v1: EtherType, or 802.2 / Novell raw 802.3 markers
  kCiscoHdlc,      // Cisco HDLC: EtherType, OSI as 0xfefe
  kLlc,            // 802.2 LLC at type_off: SAPs there, EtherTypes in the SNAP header
  kIpVersion,      // the version nibble of the byte at type_off (RAW, SLIP)
  kAfHostOrder,    // 32-bit AF_ value in the capturing host's order (NULL, ENC)
  kAfNetworkOrder, // 32-bit AF_ value, big-endian (LOOP)
  kPppProtocol,    // 16-bit PPP protocol number at type_off (PPP, PPP_SERIAL)
  kPppBsdos,       // the same; IPv4 is also VJ-compressed 0x2d / uncompressed 0x2f
  kFixedIpv4,      // no link header, IPv4 only (IPV4)
  kFixedIpv6,      // no link header, IPv6 only (IPV6)
  kValueMap,       // one byte or half-word at type_off, values from LinkValues()
  kMagic,          // any protocol: a constant at offset 0 (Juniper's cookie, BACnet's preamble)
  kLocalTalk,      // AppleTalk only (every other protocol is false)
  kSunAtmLlc,      // kLlc, after the ATM pseudo-header's traffic type says LLC (SUNATM)
};

// Where the network-layer header starts.
enum class NlKind : uint8_t {
  kFixed,       // at nl_off
  kPflogLength, // at the header's length byte (offset 0) rounded up to 4 (PFLOG)
};

// Keyword families that exist on some link types only.
enum class LinkKeywords : uint8_t {
  kNone,
  kPflog,   // ifname, rnr, reason, rset, srnr, action (pflog.h)
  kSunAtm,  // vpi, vci, lane, oam, metac, ... (atm.h)
  kSs7,     // fisu, lssu, msu, sio, opc, dpc, sls and the h forms (ss7.h)
};

// The MAC header's layout.
enum class MacHeader : uint8_t {
  kFixed,      // addresses at mac_dst_off / mac_src_off, payload at fixed offsets
  kIeee80211,  // 802.11: frame control decides which addresses are present and
               // where, whether LLC follows (data frames only) and the header
               // length (QoS, radiotap padding); offsets are from its end
};

// A radio header in front of an 802.11 MAC header: how long it is.
enum class RadioHeader : uint8_t {
  kNone,
  kRadiotap,  // it_len: little-endian 16 bits at 2; its flags may pad the MAC header
  kPpi,       // pph_len: little-endian 16 bits at 2; pph_dlt at 4 must be 802.11
  kAvs,       // big-endian 32-bit length at 4
  kPrism,     // 144 bytes, or an AVS header when the first word says so
};

// How lowering computes a radio header's length (see RadioInfo()).
struct RadioLayout {
  RadioHeader kind;
  uint32_t len_off;        // the length field
  uint8_t len_size;        // 2 or 4 bytes; 0: no length field
  bool len_little_endian;
  // kPrism: the header is an AVS one (length at len_off) when the 32-bit
  // word at 0, masked, equals avs_magic; else it is fixed_len long.
  uint32_t avs_mask, avs_magic, fixed_len;
  // kPpi: the whole program first requires this 32-bit word at guard_off.
  uint32_t guard_off, guard_value;
  bool data_pad;           // radiotap's "data pad" flag rounds the MAC header
  bool frame_control;      // "type", "subtype" and "dir" are allowed (libpcap
                           // refuses them on PPI)
  bool libpcap_optimizes;  // libpcap runs its optimizer (not on prism), so
                           // refuses what that proves constant
};

// How "inbound" and "outbound" are tested: (field & mask) == value, each
// possibly negated. The field is at pkttype_off/pkttype_size, or (size 0)
// the kernel's ancillary packet type.
struct Direction {
  uint32_t mask = 0xffffffff;
  uint32_t in_value = 4;  // PACKET_OUTGOING ...
  bool in_negated = true;  // ... inbound is "not outgoing"
  uint32_t out_value = 4;
  bool out_negated = false;
};

struct LinkType {
  int dlt;                // libpcap DLT_ value
  std::string_view name = {};  // pcap_datalink_val_to_name spelling ("" when libpcap has none)
  std::string_view description = {};
  TypeKind type_kind = TypeKind::kNone;
  uint32_t type_off = 0;  // offset of the protocol type field
  uint32_t nl_off = 0;    // offset of the network-layer header
  bool has_ether_addrs = false;  // "ether host" etc. are valid (MACs at mac_dst_off / mac_src_off)
  uint32_t osi_off = 0;   // OSI NLPID after the network-layer offset: past the
                          // 3-byte LLC header on Ethernet; libpcap reads it
                          // right at the payload on cooked captures
  uint32_t osi_pdu_off = 4;  // IS-IS PDU type after the network-layer offset
  // Where "inbound"/"outbound" and "ifindex" look: a field of the cooked
  // header, or (size 0) the kernel's ancillary packet type / ifindex.
  uint32_t pkttype_off = 0;
  uint8_t pkttype_size = 0;
  uint32_t ifindex_off = 0;
  uint8_t ifindex_size = 0;
  // --- added for the rest of libpcap's link types ---
  Direction direction = {};
  uint32_t link_off = 0;     // where "link[...]" (ether[...]) starts: NETANALYZER's own header is before it
  uint32_t mac_dst_off = 0;  // destination and source MAC addresses, if has_ether_addrs
  uint32_t mac_src_off = 6;
  uint32_t arcnet_dst_off = 0;  // ARCNET: "broadcast"/"multicast" test this byte for 0 (0: not ARCNET)
  uint8_t type_size = 2;     // kValueMap: size of the protocol field
  uint32_t magic_mask = 0;   // kMagic: (P[0:4] & magic_mask) == magic_value
  uint32_t magic_value = 0;
  bool vlan = false;         // "vlan" (and the kernel's stripped tag on EN10MB)
  bool mpls = false;         // "mpls" over the link's own protocol field
  enum class Llc : uint8_t { kNone, kEthernet, kAlways } llc = Llc::kNone;  // "llc": an 802.3 frame / every frame
  bool iso_frelay = false;   // Frame Relay: OSI is told by the NLPID after the control byte
  // --- 802.11 ---
  MacHeader mac = MacHeader::kFixed;
  RadioHeader radio = RadioHeader::kNone;
  // --- link types with headers of their own: pflog, SunATM, SS7 ---
  NlKind nl_kind = NlKind::kFixed;
  LinkKeywords keywords = LinkKeywords::kNone;
  uint32_t ss7_off = 0;      // kSs7: where the MTP2 header starts
};

// The length rules of a radio header kind (kNone: no header, length 0).
const RadioLayout& RadioInfo(RadioHeader kind);

std::span<const LinkType> AllLinkTypes();
const LinkType* FindLinkType(int dlt);
// Case-insensitive, with or without a "DLT_" prefix; also accepts a number.
const LinkType* FindLinkType(std::string_view name);

// libpcap's name, or "DLT n" when it has none (for messages and lists).
std::string DisplayName(const LinkType& link);

// kValueMap: the values of the link's protocol field that mean EtherType
// `ethertype` (ARCNET's protocol ids, IPNET's address families, Frame
// Relay's NLPIDs); empty when the link cannot carry it.
struct LinkValue {
  int dlt;
  uint32_t ethertype;  // EtherType (or LLC SAP, for OSI)
  uint32_t value;
};
std::span<const LinkValue> LinkValues();

}  // namespace bpfcap::proto
