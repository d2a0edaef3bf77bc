// The link-type table: one row per DLT. Offsets are from the start of the
// captured frame; see linktypes.h for the meaning of each column. Rows name
// only what differs from the defaults in LinkType; a row with just a DLT is
// a link type whose frames libpcap can filter by length, link[...] and
// direction only.

#include "compiler/proto/linktypes.h"

#include <cctype>
#include <charconv>
#include <string>

namespace bpfcap::proto {
namespace {

// Juniper's capture header: "MGC" cookie and a flags byte whose low bit is
// set on inbound packets. libpcap tests only the cookie for every protocol.
constexpr LinkType Juniper(int dlt, std::string_view name, std::string_view description, uint32_t nl,
                           uint32_t osi, uint32_t pdu) {
  return {.dlt = dlt, .name = name, .description = description, .type_kind = TypeKind::kMagic,
          .nl_off = nl, .osi_off = osi, .osi_pdu_off = pdu, .pkttype_off = 3, .pkttype_size = 1,
          .direction = {.mask = 0x01, .in_value = 1, .in_negated = false, .out_value = 0},
          .magic_mask = 0xffffff00, .magic_value = 0x4d474300};
}

constexpr LinkType kLinkTypes[] = {
    {.dlt = 0, .name = "NULL", .description = "BSD loopback", .type_kind = TypeKind::kAfHostOrder,
     .nl_off = 4},
    {.dlt = 1, .name = "EN10MB", .description = "Ethernet", .type_kind = TypeKind::kEtherType,
     .type_off = 12, .nl_off = 14, .has_ether_addrs = true, .osi_off = 3, .osi_pdu_off = 7, .vlan = true,
     .mpls = true, .llc = LinkType::Llc::kEthernet},
    // Token ring: access and frame control, then the addresses and 802.2
    // LLC (libpcap reads no source-routing field); nl past an 8-byte SNAP
    // header, the OSI fields from the LLC header.
    {.dlt = 6, .name = "IEEE802", .description = "Token ring", .type_kind = TypeKind::kLlc, .type_off = 14,
     .nl_off = 22, .has_ether_addrs = true, .osi_off = uint32_t(-5), .osi_pdu_off = uint32_t(-1),
     .mac_dst_off = 2, .mac_src_off = 8, .llc = LinkType::Llc::kAlways},
    {.dlt = 7, .name = "ARCNET", .description = "BSD ARCNET", .type_kind = TypeKind::kValueMap,
     .type_off = 2, .nl_off = 6, .arcnet_dst_off = 1, .type_size = 1},
    {.dlt = 8, .name = "SLIP", .description = "SLIP", .type_kind = TypeKind::kIpVersion, .nl_off = 16,
     .pkttype_size = 1,
     .direction = {.mask = 0xff, .in_value = 0, .in_negated = false, .out_value = 0, .out_negated = true}},
    {.dlt = 9, .name = "PPP", .description = "PPP", .type_kind = TypeKind::kPppProtocol, .type_off = 2,
     .nl_off = 4, .mpls = true},
    // FDDI: frame control, then as token ring.
    {.dlt = 10, .name = "FDDI", .description = "FDDI", .type_kind = TypeKind::kLlc, .type_off = 13,
     .nl_off = 21, .has_ether_addrs = true, .osi_off = uint32_t(-5), .osi_pdu_off = uint32_t(-1),
     .mac_dst_off = 1, .mac_src_off = 7, .llc = LinkType::Llc::kAlways},
    {.dlt = 11, .name = "ATM_RFC1483", .description = "RFC 1483 LLC-encapsulated ATM",
     .type_kind = TypeKind::kLlc, .nl_off = 8, .osi_off = uint32_t(-5), .osi_pdu_off = uint32_t(-1),
     .llc = LinkType::Llc::kAlways},
    {.dlt = 12, .name = "RAW", .description = "Raw IP", .type_kind = TypeKind::kIpVersion},
    {.dlt = 15, .name = "SLIP_BSDOS", .description = "BSD/OS SLIP", .type_kind = TypeKind::kIpVersion,
     .nl_off = 24},
    {.dlt = 16, .name = "PPP_BSDOS", .description = "BSD/OS PPP", .type_kind = TypeKind::kPppBsdos,
     .type_off = 5, .nl_off = 24},
    {.dlt = 19, .name = "ATM_CLIP", .description = "Linux Classical IP over ATM",
     .type_kind = TypeKind::kLlc, .nl_off = 8, .osi_off = uint32_t(-5), .osi_pdu_off = uint32_t(-1)},
    {.dlt = 50, .name = "PPP_SERIAL", .description = "PPP over serial", .type_kind = TypeKind::kPppProtocol,
     .type_off = 2, .nl_off = 4},
    {.dlt = 51, .name = "PPP_ETHER", .description = "PPPoE", .type_kind = TypeKind::kPppProtocol,
     .type_off = 6, .nl_off = 8},
    {.dlt = 99, .name = "SYMANTEC_FIREWALL", .description = "Symantec Firewall",
     .type_kind = TypeKind::kEtherTypePlain, .type_off = 6, .nl_off = 44},
    {.dlt = 104, .name = "C_HDLC", .description = "Cisco HDLC", .type_kind = TypeKind::kCiscoHdlc,
     .type_off = 2, .nl_off = 4, .osi_off = 1, .mpls = true},
    // 802.11: the LLC header (type_off) and nl count from the end of the MAC
    // header, whose length (and a radio header's before it) is known only at
    // run time; the MAC header's fields from its start (see MacHeader).
    {.dlt = 105, .name = "IEEE802_11", .description = "802.11", .type_kind = TypeKind::kLlc, .nl_off = 8,
     .has_ether_addrs = true, .osi_off = uint32_t(-5), .osi_pdu_off = uint32_t(-1), .vlan = true,
     .llc = LinkType::Llc::kAlways, .mac = MacHeader::kIeee80211, .radio = RadioHeader::kNone},
    {.dlt = 106},
    {.dlt = 107, .name = "FRELAY", .description = "Frame Relay", .type_kind = TypeKind::kValueMap,
     .type_off = 2, .iso_frelay = true},
    {.dlt = 108, .name = "LOOP", .description = "OpenBSD loopback", .type_kind = TypeKind::kAfNetworkOrder,
     .nl_off = 4},
    {.dlt = 109, .name = "ENC", .description = "OpenBSD encapsulated IP",
     .type_kind = TypeKind::kAfHostOrder, .nl_off = 12},
    {.dlt = 110}, {.dlt = 111},
    // 112: NetBSD's number for Cisco HDLC; libpcap has no name for it.
    {.dlt = 112, .type_kind = TypeKind::kCiscoHdlc, .type_off = 2,
     .nl_off = 4, .osi_off = 1, .mpls = true},
    {.dlt = 113, .name = "LINUX_SLL", .description = "Linux cooked v1", .type_kind = TypeKind::kSll,
     .type_off = 14, .nl_off = 16, .pkttype_size = 2},
    {.dlt = 114, .name = "LTALK", .description = "Localtalk", .type_kind = TypeKind::kLocalTalk},
    {.dlt = 115}, {.dlt = 116},
    // pfloghdr (pflog.h): AF byte at 1 (this host's numbers, see LinkValues),
    // the network layer after the header's own length rounded up to 4; pf's
    // direction at 60 (1 in, 2 out).
    {.dlt = 117, .name = "PFLOG", .description = "OpenBSD pflog", .type_kind = TypeKind::kValueMap,
     .type_off = 1, .pkttype_off = 60, .pkttype_size = 1,
     .direction = {.mask = 0xff, .in_value = 1, .in_negated = false, .out_value = 2},
     .type_size = 1, .nl_kind = NlKind::kPflogLength, .keywords = LinkKeywords::kPflog},
    {.dlt = 118},
    {.dlt = 119, .name = "PRISM_HEADER", .description = "802.11 plus Prism header", .type_kind = TypeKind::kLlc, .nl_off = 8,
     .has_ether_addrs = true, .osi_off = uint32_t(-5), .osi_pdu_off = uint32_t(-1), .vlan = true,
     .llc = LinkType::Llc::kAlways, .mac = MacHeader::kIeee80211, .radio = RadioHeader::kPrism},
    {.dlt = 120}, {.dlt = 121},
    {.dlt = 122, .name = "IP_OVER_FC", .description = "RFC 2625 IP-over-Fibre Channel",
     .type_kind = TypeKind::kLlc, .type_off = 16, .nl_off = 24, .has_ether_addrs = true,
     .osi_off = uint32_t(-5), .osi_pdu_off = uint32_t(-1), .mac_dst_off = 2, .mac_src_off = 10},
    // ATM pseudo-header (atm.h), then LLC at 4, the SNAP payload at 12; the
    // OSI NLPID follows the 3-byte LLC header: 7 = 12 - 5 (offsets wrap).
    // After "lane" lowering reads the frame as Ethernet (lower.cc).
    {.dlt = 123, .name = "SUNATM", .description = "SunATM", .type_kind = TypeKind::kSunAtmLlc,
     .type_off = 4, .nl_off = 12, .osi_off = uint32_t(-5), .osi_pdu_off = uint32_t(-1),
     .keywords = LinkKeywords::kSunAtm},
    {.dlt = 124}, {.dlt = 125}, {.dlt = 126},
    {.dlt = 127, .name = "IEEE802_11_RADIO", .description = "802.11 plus radiotap header", .type_kind = TypeKind::kLlc, .nl_off = 8,
     .has_ether_addrs = true, .osi_off = uint32_t(-5), .osi_pdu_off = uint32_t(-1), .vlan = true,
     .llc = LinkType::Llc::kAlways, .mac = MacHeader::kIeee80211, .radio = RadioHeader::kRadiotap},
    {.dlt = 128},
    {.dlt = 129, .name = "ARCNET_LINUX", .description = "Linux ARCNET", .type_kind = TypeKind::kValueMap,
     .type_off = 4, .nl_off = 8, .arcnet_dst_off = 1, .type_size = 1},
    Juniper(130, "JUNIPER_MLPPP", "Juniper Multi-Link PPP", 4, uint32_t(-1), 3),
    Juniper(131, "JUNIPER_MLFR", "Juniper Multi-Link Frame Relay", 4, uint32_t(-1), 3),
    Juniper(132, "JUNIPER_ES", "Juniper Encryption Services PIC", uint32_t(-2), 0, 4),
    Juniper(133, "JUNIPER_GGSN", "Juniper GGSN PIC", 12, uint32_t(-1), 3),
    Juniper(134, "JUNIPER_MFR", "Juniper FRF.16 Frame Relay", 4, uint32_t(-1), 3),
    Juniper(135, "JUNIPER_ATM2", "Juniper ATM2 PIC", 8, 10, 14),
    Juniper(136, "JUNIPER_SERVICES", "Juniper Advanced Services PIC", uint32_t(-2), 0, 4),
    Juniper(137, "JUNIPER_ATM1", "Juniper ATM1 PIC", 4, 10, 14),
    {.dlt = 138, .name = "APPLE_IP_OVER_IEEE1394", .description = "Apple IP-over-IEEE 1394",
     .type_kind = TypeKind::kEtherTypePlain, .type_off = 16, .nl_off = 18},
    // SS7 (ss7.h): MTP2 after a 4-byte pseudo-header, bare MTP2, bare MTP3
    // (libpcap 1.10.3 has no SS7 field offsets for MTP3: sio & co are
    // refused there, as here).
    {.dlt = 139, .name = "MTP2_WITH_PHDR", .description = "SS7 MTP2 with pseudo-header",
     .keywords = LinkKeywords::kSs7, .ss7_off = 4},
    {.dlt = 140, .name = "MTP2", .description = "SS7 MTP2", .keywords = LinkKeywords::kSs7},
    {.dlt = 141, .name = "MTP3", .description = "SS7 MTP3"},
    {.dlt = 142, .name = "SCCP", .description = "SS7 SCCP"},
    {.dlt = 143, .name = "DOCSIS", .description = "DOCSIS"},
    {.dlt = 144, .name = "LINUX_IRDA", .description = "Linux IrDA"},
    {.dlt = 145}, {.dlt = 146}, {.dlt = 147}, {.dlt = 148}, {.dlt = 149}, {.dlt = 150},
    {.dlt = 151}, {.dlt = 152}, {.dlt = 153}, {.dlt = 154}, {.dlt = 155}, {.dlt = 156},
    {.dlt = 157}, {.dlt = 158}, {.dlt = 159}, {.dlt = 160}, {.dlt = 161}, {.dlt = 162},
    {.dlt = 163, .name = "IEEE802_11_RADIO_AVS", .description = "802.11 plus AVS radio information header", .type_kind = TypeKind::kLlc, .nl_off = 8,
     .has_ether_addrs = true, .osi_off = uint32_t(-5), .osi_pdu_off = uint32_t(-1), .vlan = true,
     .llc = LinkType::Llc::kAlways, .mac = MacHeader::kIeee80211, .radio = RadioHeader::kAvs},
    Juniper(164, "JUNIPER_MONITOR", "Juniper Passive Monitor PIC", 12, uint32_t(-1), 3),
    {.dlt = 165, .name = "BACNET_MS_TP", .description = "BACnet MS/TP", .type_kind = TypeKind::kMagic,
     .nl_off = uint32_t(-2), .magic_mask = 0xffff0000, .magic_value = 0x55ff0000},
    {.dlt = 166, .name = "PPP_PPPD", .description = "PPP for pppd, with direction flag",
     .type_kind = TypeKind::kPppProtocol, .type_off = 2, .nl_off = 4, .pkttype_size = 1,
     .direction = {.mask = 0xff, .in_value = 0, .in_negated = false, .out_value = 1}},
    Juniper(167, "JUNIPER_PPPOE", "Juniper PPPoE", 32, 3, 7),
    Juniper(168, "JUNIPER_PPPOE_ATM", "Juniper PPPoE/ATM", 6, uint32_t(-1), 3),
    {.dlt = 169, .name = "GPRS_LLC", .description = "GPRS LLC"},
    {.dlt = 170, .name = "GPF_T", .description = "GPF-T"},
    {.dlt = 171, .name = "GPF_F", .description = "GPF-F"},
    {.dlt = 172}, {.dlt = 173},
    {.dlt = 174, .name = "JUNIPER_PIC_PEER", .description = "Juniper PIC Peer"},
    {.dlt = 175, .name = "ERF_ETH", .description = "Ethernet with Endace ERF header"},
    {.dlt = 176, .name = "ERF_POS", .description = "Packet-over-SONET with Endace ERF header"},
    {.dlt = 177, .name = "LINUX_LAPD", .description = "Linux vISDN LAPD"},
    Juniper(178, "JUNIPER_ETHER", "Juniper Ethernet", 32, 3, 7),
    Juniper(179, "JUNIPER_PPP", "Juniper PPP", 4, uint32_t(-1), 3),
    Juniper(180, "JUNIPER_FRELAY", "Juniper Frame Relay", 4, uint32_t(-1), 3),
    Juniper(181, "JUNIPER_CHDLC", "Juniper C-HDLC", 4, uint32_t(-1), 3),
    {.dlt = 182, .name = "MFR", .description = "FRF.16 Frame Relay"},
    Juniper(183, "JUNIPER_VP", "Juniper Voice PIC", uint32_t(-2), 0, 4),
    {.dlt = 184, .name = "A429", .description = "Arinc 429"},
    {.dlt = 185, .name = "A653_ICM", .description = "Arinc 653 Interpartition Communication"},
    {.dlt = 186, .name = "USB_FREEBSD", .description = "USB with FreeBSD header"},
    {.dlt = 187, .name = "BLUETOOTH_HCI_H4", .description = "Bluetooth HCI UART transport layer"},
    {.dlt = 188, .name = "IEEE802_16_MAC_CPS", .description = "IEEE 802.16 MAC Common Part Sublayer"},
    {.dlt = 189, .name = "USB_LINUX", .description = "USB with Linux header"},
    {.dlt = 190, .name = "CAN20B", .description = "Controller Area Network (CAN) v. 2.0B"},
    {.dlt = 191, .name = "IEEE802_15_4_LINUX", .description = "IEEE 802.15.4 with Linux padding"},
    // PPI: libpcap refuses "vlan" (and type/subtype/dir, RadioLayout) there.
    {.dlt = 192, .name = "PPI", .description = "Per-Packet Information", .type_kind = TypeKind::kLlc, .nl_off = 8,
     .has_ether_addrs = true, .osi_off = uint32_t(-5), .osi_pdu_off = uint32_t(-1),
     .llc = LinkType::Llc::kAlways, .mac = MacHeader::kIeee80211, .radio = RadioHeader::kPpi},
    {.dlt = 193, .name = "IEEE802_16_MAC_CPS_RADIO",
     .description = "IEEE 802.16 MAC Common Part Sublayer plus radiotap header"},
    Juniper(194, "JUNIPER_ISM", "Juniper Integrated Service Module", uint32_t(-2), 0, 4),
    {.dlt = 195, .name = "IEEE802_15_4", .description = "IEEE 802.15.4 with FCS"},
    {.dlt = 196, .name = "SITA", .description = "SITA pseudo-header"},
    // Endace ERF records: a 16-byte record header and a 4-byte extension, then
    // (for the MTP2 record types libpcap assumes) MTP2.
    {.dlt = 197, .name = "ERF", .description = "Endace ERF header", .keywords = LinkKeywords::kSs7,
     .ss7_off = 20},
    {.dlt = 198, .name = "RAIF1", .description = "Ethernet with u10 Networks pseudo-header"},
    {.dlt = 199, .name = "IPMB_KONTRON", .description = "IPMB with Kontron pseudo-header"},
    Juniper(200, "JUNIPER_ST", "Juniper Secure Tunnel", uint32_t(-2), 0, 4),
    {.dlt = 201, .name = "BLUETOOTH_HCI_H4_WITH_PHDR",
     .description = "Bluetooth HCI UART transport layer plus pseudo-header"},
    {.dlt = 202, .name = "AX25_KISS", .description = "AX.25 with KISS header"},
    {.dlt = 203}, {.dlt = 204}, {.dlt = 205}, {.dlt = 206}, {.dlt = 207}, {.dlt = 208},
    {.dlt = 209, .name = "IPMB_LINUX", .description = "IPMB with Linux/Pigeon Point pseudo-header"},
    {.dlt = 210}, {.dlt = 211}, {.dlt = 212}, {.dlt = 213}, {.dlt = 214},
    {.dlt = 215, .name = "IEEE802_15_4_NONASK_PHY", .description = "IEEE 802.15.4 with non-ASK PHY data"},
    {.dlt = 216, .name = "LINUX_EVDEV", .description = "Linux evdev events"},
    {.dlt = 217}, {.dlt = 218},
    {.dlt = 219, .name = "MPLS", .description = "MPLS with label as link-layer header"},
    {.dlt = 220, .name = "USB_LINUX_MMAPPED", .description = "USB with padded Linux header"},
    {.dlt = 221, .name = "DECT", .description = "DECT"},
    {.dlt = 222, .name = "AOS", .description = "AOS Space Data Link protocol"},
    {.dlt = 223, .name = "WIHART", .description = "Wireless HART"},
    {.dlt = 224, .name = "FC_2", .description = "Fibre Channel FC-2"},
    {.dlt = 225, .name = "FC_2_WITH_FRAME_DELIMS",
     .description = "Fibre Channel FC-2 with frame delimiters"},
    {.dlt = 226, .name = "IPNET", .description = "Solaris ipnet", .type_kind = TypeKind::kValueMap,
     .type_off = 1, .nl_off = 24, .pkttype_off = 2, .pkttype_size = 2,
     .direction = {.in_value = 2, .in_negated = false, .out_value = 1}, .type_size = 1},
    {.dlt = 227, .name = "CAN_SOCKETCAN", .description = "CAN-bus with SocketCAN headers"},
    {.dlt = 228, .name = "IPV4", .description = "Raw IPv4", .type_kind = TypeKind::kFixedIpv4},
    {.dlt = 229, .name = "IPV6", .description = "Raw IPv6", .type_kind = TypeKind::kFixedIpv6},
    {.dlt = 230, .name = "IEEE802_15_4_NOFCS", .description = "IEEE 802.15.4 without FCS"},
    {.dlt = 231, .name = "DBUS", .description = "D-Bus"},
    Juniper(232, "JUNIPER_VS", "Juniper Virtual Server", uint32_t(-2), 0, 4),
    Juniper(233, "JUNIPER_SRX_E2E", "Juniper SRX E2E", uint32_t(-2), 0, 4),
    Juniper(234, "JUNIPER_FIBRECHANNEL", "Juniper Fibre Channel", uint32_t(-2), 0, 4),
    {.dlt = 235, .name = "DVB_CI", .description = "DVB-CI"},
    {.dlt = 236, .name = "MUX27010", .description = "MUX27010"},
    {.dlt = 237, .name = "STANAG_5066_D_PDU", .description = "STANAG 5066 D_PDUs"},
    Juniper(238, "JUNIPER_ATM_CEMIC", "Juniper ATM CEMIC", uint32_t(-2), 0, 4),
    {.dlt = 239, .name = "NFLOG", .description = "Linux netfilter log messages"},
    {.dlt = 240, .name = "NETANALYZER", .description = "Ethernet with Hilscher netANALYZER pseudo-header",
     .type_kind = TypeKind::kEtherType, .type_off = 16, .nl_off = 18, .has_ether_addrs = true, .osi_off = 3,
     .osi_pdu_off = 7, .link_off = 4, .mac_dst_off = 4, .mac_src_off = 10, .vlan = true, .mpls = true},
    {.dlt = 241, .name = "NETANALYZER_TRANSPARENT",
     .description = "Ethernet with Hilscher netANALYZER pseudo-header and with preamble and SFD",
     .type_kind = TypeKind::kEtherType, .type_off = 24, .nl_off = 26, .has_ether_addrs = true, .osi_off = 3,
     .osi_pdu_off = 7, .link_off = 12, .mac_dst_off = 12, .mac_src_off = 18, .vlan = true, .mpls = true},
    {.dlt = 242, .name = "IPOIB", .description = "RFC 4391 IP-over-Infiniband"},
    {.dlt = 243, .name = "MPEG_2_TS", .description = "MPEG-2 transport stream"},
    {.dlt = 244, .name = "NG40", .description = "ng40 protocol tester Iub/Iur"},
    {.dlt = 245, .name = "NFC_LLCP", .description = "NFC LLCP PDUs with pseudo-header"},
    {.dlt = 246, .name = "PFSYNC", .description = "Packet filter state syncing"},
    {.dlt = 247, .name = "INFINIBAND", .description = "InfiniBand"},
    {.dlt = 248, .name = "SCTP", .description = "SCTP"},
    {.dlt = 249, .name = "USBPCAP", .description = "USB with USBPcap header"},
    {.dlt = 250, .name = "RTAC_SERIAL", .description = "Schweitzer Engineering Laboratories RTAC packets"},
    {.dlt = 251, .name = "BLUETOOTH_LE_LL", .description = "Bluetooth Low Energy air interface"},
    {.dlt = 252},
    {.dlt = 253, .name = "NETLINK", .description = "Linux netlink"},
    {.dlt = 254, .name = "BLUETOOTH_LINUX_MONITOR", .description = "Bluetooth Linux Monitor"},
    {.dlt = 255, .name = "BLUETOOTH_BREDR_BB",
     .description = "Bluetooth Basic Rate/Enhanced Data Rate baseband packets"},
    {.dlt = 256, .name = "BLUETOOTH_LE_LL_WITH_PHDR",
     .description = "Bluetooth Low Energy air interface with pseudo-header"},
    {.dlt = 257, .name = "PROFIBUS_DL", .description = "PROFIBUS data link layer"},
    {.dlt = 258, .name = "PKTAP", .description = "Apple DLT_PKTAP"},
    {.dlt = 259, .name = "EPON", .description = "Ethernet with 802.3 Clause 65 EPON preamble"},
    {.dlt = 260, .name = "IPMI_HPM_2", .description = "IPMI trace packets"},
    {.dlt = 261, .name = "ZWAVE_R1_R2", .description = "Z-Wave RF profile R1 and R2 packets"},
    {.dlt = 262, .name = "ZWAVE_R3", .description = "Z-Wave RF profile R3 packets"},
    {.dlt = 263, .name = "WATTSTOPPER_DLM",
     .description = "WattStopper Digital Lighting Management (DLM) and Legrand Nitoo Open protocol"},
    {.dlt = 264, .name = "ISO_14443", .description = "ISO 14443 messages"},
    {.dlt = 265, .name = "RDS", .description = "IEC 62106 Radio Data System groups"},
    {.dlt = 266, .name = "USB_DARWIN", .description = "USB with Darwin header"},
    {.dlt = 267, .name = "OPENFLOW", .description = "OpenBSD DLT_OPENFLOW"},
    {.dlt = 268, .name = "SDLC", .description = "IBM SDLC frames"},
    {.dlt = 269, .name = "TI_LLN_SNIFFER", .description = "TI LLN sniffer frames"},
    {.dlt = 270},
    {.dlt = 271, .name = "VSOCK", .description = "Linux vsock"},
    {.dlt = 272, .name = "NORDIC_BLE", .description = "Nordic Semiconductor Bluetooth LE sniffer frames"},
    {.dlt = 273, .name = "DOCSIS31_XRA31", .description = "Excentis XRA-31 DOCSIS 3.1 RF sniffer frames"},
    {.dlt = 274, .name = "ETHERNET_MPACKET", .description = "802.3br mPackets"},
    {.dlt = 275, .name = "DISPLAYPORT_AUX", .description = "DisplayPort AUX channel monitoring data"},
    {.dlt = 276, .name = "LINUX_SLL2", .description = "Linux cooked v2",
     .type_kind = TypeKind::kEtherTypePlain, .nl_off = 20, .pkttype_off = 10, .pkttype_size = 1,
     .ifindex_off = 4, .ifindex_size = 4},
    {.dlt = 277},
    {.dlt = 278, .name = "OPENVIZSLA", .description = "OpenVizsla USB"},
    {.dlt = 279, .name = "EBHSCR", .description = "Elektrobit High Speed Capture and Replay (EBHSCR)"},
    {.dlt = 280, .name = "VPP_DISPATCH", .description = "VPP graph dispatch tracer"},
    {.dlt = 281, .name = "DSA_TAG_BRCM", .description = "Broadcom tag"},
    {.dlt = 282, .name = "DSA_TAG_BRCM_PREPEND", .description = "Broadcom tag (prepended)"},
    {.dlt = 283, .name = "IEEE802_15_4_TAP", .description = "IEEE 802.15.4 with pseudo-header"},
    {.dlt = 284, .name = "DSA_TAG_DSA", .description = "Marvell DSA"},
    {.dlt = 285, .name = "DSA_TAG_EDSA", .description = "Marvell EDSA"},
    {.dlt = 286, .name = "ELEE", .description = "ELEE lawful intercept packets"},
    {.dlt = 287, .name = "Z_WAVE_SERIAL", .description = "Z-Wave serial frames between host and chip"},
    {.dlt = 288, .name = "USB_2_0", .description = "USB 2.0/1.1/1.0 as transmitted over the cable"},
    {.dlt = 289, .name = "ATSC_ALP", .description = "ATSC Link-Layer Protocol packets"},
};

// kValueMap rows: several values for one EtherType are tried in this order.
constexpr LinkValue kLinkValues[] = {
    // ARCNET (RFC 1201 and the older RFC 1051 ids)
    {7, 0x0800, 0xd4}, {7, 0x0800, 0xf0}, {7, 0x0806, 0xd5}, {7, 0x0806, 0xf1},
    {7, 0x8035, 0xd6}, {7, 0x86dd, 0xc4}, {7, 0x809b, 0xdd},
    // Frame Relay: control byte 0x03 and the NLPID (OSI: CLNP, ES-IS, IS-IS)
    {107, 0x0800, 0x03cc}, {107, 0x86dd, 0x038e},
    {107, 0xfe, 0x0381}, {107, 0xfe, 0x0382}, {107, 0xfe, 0x0383},
    {129, 0x0800, 0xd4}, {129, 0x0800, 0xf0}, {129, 0x0806, 0xd5}, {129, 0x0806, 0xf1},
    {129, 0x8035, 0xd6}, {129, 0x86dd, 0xc4}, {129, 0x809b, 0xdd},
    // pflog: this host's AF_INET and AF_INET6 (Linux numbers, as libpcap)
    {117, 0x0800, 2}, {117, 0x86dd, 10},
    // Solaris ipnet: address family
    {226, 0x0800, 2}, {226, 0x86dd, 26},
};

// Radio header lengths. PPI's guard: pph_dlt (little-endian) is 105, 802.11;
// an AVS header inside PRISM_HEADER starts 0x80211001 (libpcap masks the
// version's low 12 bits).
constexpr RadioLayout kRadioLayouts[] = {
    // kind                   len off/size/le   avs mask/magic/fixed      guard off/value  pad    type/dir optimizer
    {RadioHeader::kNone,      0, 0, false,      0, 0, 0,                  0, 0,            false, true,  true},
    {RadioHeader::kRadiotap,  2, 2, true,       0, 0, 0,                  0, 0,            true,  true,  true},
    {RadioHeader::kPpi,       2, 2, true,       0, 0, 0,                  4, 0x69000000u,  false, false, true},
    {RadioHeader::kAvs,       4, 4, false,      0, 0, 0,                  0, 0,            false, true,  true},
    {RadioHeader::kPrism,     4, 4, false,      0xfffff000u, 0x80211000u, 144, 0, 0,       false, true,  false},
};

constexpr bool RadioLayoutsIndexedByKind() {
  for (size_t i = 0; i < std::size(kRadioLayouts); ++i)
    if (size_t(kRadioLayouts[i].kind) != i) return false;
  return true;
}
static_assert(RadioLayoutsIndexedByKind(), "kRadioLayouts must be in RadioHeader order");

constexpr bool SortedByDlt() {
  for (size_t i = 1; i < std::size(kLinkTypes); ++i)
    if (kLinkTypes[i - 1].dlt >= kLinkTypes[i].dlt) return false;
  return true;
}
static_assert(SortedByDlt(), "kLinkTypes must be sorted by DLT, without duplicates");

constexpr bool ValuesHaveMapRows() {
  for (const LinkValue& v : kLinkValues) {
    bool found = false;
    for (const LinkType& l : kLinkTypes) found |= l.dlt == v.dlt && l.type_kind == TypeKind::kValueMap;
    if (!found) return false;
  }
  return true;
}
static_assert(ValuesHaveMapRows(), "every kLinkValues row belongs to a kValueMap link type");

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::toupper(static_cast<unsigned char>(a[i])) != std::toupper(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

}  // namespace

std::span<const LinkType> AllLinkTypes() { return kLinkTypes; }
std::span<const LinkValue> LinkValues() { return kLinkValues; }
const RadioLayout& RadioInfo(RadioHeader kind) { return kRadioLayouts[size_t(kind)]; }

const LinkType* FindLinkType(int dlt) {
  for (const LinkType& l : kLinkTypes)
    if (l.dlt == dlt) return &l;
  return nullptr;
}

const LinkType* FindLinkType(std::string_view name) {
  if (name.size() > 4 && EqualsIgnoreCase(name.substr(0, 4), "DLT_")) name.remove_prefix(4);
  if (name.empty()) return nullptr;
  int n = 0;
  auto [p, ec] = std::from_chars(name.data(), name.data() + name.size(), n);
  if (ec == std::errc() && p == name.data() + name.size()) return FindLinkType(n);
  for (const LinkType& l : kLinkTypes)
    if (EqualsIgnoreCase(l.name, name)) return &l;
  return nullptr;
}

std::string DisplayName(const LinkType& link) {
  return link.name.empty() ? "DLT " + std::to_string(link.dlt) : std::string(link.name);
}

}  // namespace bpfcap::proto
