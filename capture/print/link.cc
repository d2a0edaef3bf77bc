// Link layers: Ethernet (and the VLAN tags inside it), Linux cooked v1 and
// v2, raw IP, BSD NULL and OpenBSD LOOP.
//
// Without -e a link layer prints nothing of its own and hands its payload
// on; with -e it first prints its header the way tcpdump does:
//
//   EN10MB      66:77:88:99:aa:bb > 00:11:22:33:44:55, ethertype IPv4 (0x0800), length 74:
//   LINUX_SLL    In 66:77:88:99:aa:bb ethertype IPv4 (0x0800), length 44:
//   LINUX_SLL2  ifb0  In  ifindex 2 66:77:88:99:aa:bb ethertype IPv4 (0x0800), length 48:
//   RAW         ip:
//   NULL/LOOP   AF IPv4 (2), length 32:
//
// A payload we cannot decode gets the header anyway, and a hex dump.
#include "capture/print/layers.h"
#include "capture/print/names.h"
#include "capture/print/text.h"

namespace bpfcap::capture::print {
namespace {

constexpr int kDltNull = 0;
constexpr int kDltEn10mb = 1;
constexpr int kDltRaw = 12;
constexpr int kDltLoop = 108;
constexpr int kDltLinuxSll = 113;
constexpr int kDltLinuxSll2 = 276;

constexpr size_t kEtherHeaderLen = 14;
constexpr size_t kSllHeaderLen = 16;
constexpr size_t kSll2HeaderLen = 20;
constexpr size_t kNullHeaderLen = 4;
constexpr uint16_t kMaxEtherLength = 1500;  // type fields up to this are 802.3 lengths

// "ethertype IPv4 (0x0800)"; with -q "IPv4", or "Unknown Ethertype (0x88b5)".
void AppendEtherType(const Ctx& c, uint16_t type) {
  std::string* out = c.out;
  std::string_view name = EtherTypeName(type);
  if (c.opt.quiet) {
    if (name != "Unknown") {
      out->append(name);
      return;
    }
    out->append("Unknown Ethertype (");
  } else {
    out->append("ethertype ");
    out->append(name);
    out->append(" (");
  }
  AppendHex0x(out, type, 4);
  out->push_back(')');
}

// `type` is the outer type, or for an undecoded payload inside VLAN tags
// the innermost one (as tcpdump shows it).
void AppendEtherHeader(Ctx& c, Bytes b, uint16_t type, uint32_t length) {
  std::string* out = c.out;
  AppendMac(out, b.At(6));
  out->append(" > ");
  AppendMac(out, b.At(0));
  if (type <= kMaxEtherLength) {
    out->append(", 802.3");
  } else {
    out->append(", ");
    AppendEtherType(c, type);
  }
  out->append(", length ");
  AppendDec(out, length);
  out->append(": ");
}

// Marks the payload for the hex dump that follows an undecoded line (not
// with -q).
void DumpPayload(Ctx& c, Bytes payload) {
  c.dump_payload = !c.opt.quiet;
  c.payload = payload;
}

uint32_t Sub(uint32_t length, size_t n) { return length > n ? static_cast<uint32_t>(length - n) : 0; }

size_t PrintEthernet(Ctx& c, Bytes b, uint32_t length) {
  if (!b.Has(0, kEtherHeaderLen)) {
    MarkTruncated(c, "ether");
    return b.size();
  }
  uint16_t type = b.U16(12);
  if (c.opt.link_header) AppendEtherHeader(c, b, type, length);
  Bytes payload = b.From(kEtherHeaderLen);
  c.unknown_type = type;
  c.unknown_payload = payload;
  if (type > kMaxEtherLength &&
      PrintEtherType(c, type, payload, Sub(length, kEtherHeaderLen))) {
    return kEtherHeaderLen + c.vlan_header_len;
  }
  if (!c.opt.link_header) AppendEtherHeader(c, b, c.unknown_type, length);
  DumpPayload(c, c.unknown_payload);
  return kEtherHeaderLen + c.vlan_header_len;
}

// 802.1Q and 802.1ad tags: TCI (priority, DEI, VLAN id) then the next type.
bool PrintVlan(Ctx& c, Bytes b, uint32_t length) {
  if (!b.Has(0, 4)) {
    MarkTruncated(c, "vlan");
    return true;
  }
  uint16_t tci = b.U16(0);
  uint16_t type = b.U16(2);
  c.vlan_header_len += 4;
  if (c.opt.link_header) {
    c.out->append("vlan ");
    AppendDec(c.out, tci & 0x0fff);
    c.out->append(", p ");
    AppendDec(c.out, tci >> 13);
    if (tci & 0x1000) c.out->append(", DEI");
    c.out->append(", ");
    AppendEtherType(c, type);
    c.out->append(", ");
  }
  return PrintEtherType(c, type, b.From(4), Sub(length, 4));
}

// Packet types of the cooked headers: tcpdump's "In", "B", "M", "P", "Out".
std::string_view SllPacketType(uint16_t type) {
  constexpr std::string_view kNames[] = {"In", "B", "M", "P", "Out"};
  return type < std::size(kNames) ? kNames[type] : std::string_view("?");
}

void AppendPadded(std::string* out, std::string_view s, size_t width, bool right) {
  if (right && s.size() < width) out->append(width - s.size(), ' ');
  out->append(s);
  if (!right && s.size() < width) out->append(width - s.size(), ' ');
}

// Cooked v1: pkttype(2) hatype(2) halen(2) address(8) protocol(2).
size_t PrintSll(Ctx& c, Bytes b, uint32_t length) {
  if (!b.Has(0, kSllHeaderLen)) {
    MarkTruncated(c, "sll");
    return b.size();
  }
  auto header = [&] {
    AppendPadded(c.out, SllPacketType(b.U16(0)), 3, true);
    c.out->push_back(' ');
    size_t halen = b.U16(4);
    AppendMac(c.out, b.At(6), halen < 8 ? halen : 8);
    c.out->push_back(' ');
    if (c.opt.quiet) return;
    AppendEtherType(c, b.U16(14));
    c.out->append(", length ");
    AppendDec(c.out, length);
    c.out->append(": ");
  };
  if (c.opt.link_header) header();
  Bytes payload = b.From(kSllHeaderLen);
  if (!PrintEtherType(c, b.U16(14), payload, Sub(length, kSllHeaderLen))) {
    if (!c.opt.link_header) header();
    DumpPayload(c, c.unknown_payload);
  }
  return kSllHeaderLen;
}

// Cooked v2: protocol(2) reserved(2) ifindex(4) hatype(2) pkttype(1)
// halen(1) address(8). The interface and direction are always printed.
size_t PrintSll2(Ctx& c, Bytes b, uint32_t length) {
  if (!b.Has(0, kSll2HeaderLen)) {
    MarkTruncated(c, "sll2");
    return b.size();
  }
  uint32_t ifindex = b.U32(4);
  AppendPadded(c.out, c.state.ifnames.Name(ifindex), 5, false);
  c.out->push_back(' ');
  AppendPadded(c.out, SllPacketType(b.U8(10)), 3, false);
  c.out->push_back(' ');
  auto header = [&] {
    c.out->append("ifindex ");
    AppendDec(c.out, ifindex);
    c.out->push_back(' ');
    size_t halen = b.U8(11);
    AppendMac(c.out, b.At(12), halen < 8 ? halen : 8);
    c.out->push_back(' ');
    if (c.opt.quiet) return;
    AppendEtherType(c, b.U16(0));
    c.out->append(", length ");
    AppendDec(c.out, length);
    c.out->append(": ");
  };
  if (c.opt.link_header) header();
  Bytes payload = b.From(kSll2HeaderLen);
  if (!PrintEtherType(c, b.U16(0), payload, Sub(length, kSll2HeaderLen))) {
    if (!c.opt.link_header) header();
    DumpPayload(c, c.unknown_payload);
  }
  return kSll2HeaderLen;
}

size_t PrintRaw(Ctx& c, Bytes b, uint32_t length) {
  if (c.opt.link_header) c.out->append("ip: ");
  PrintIpAny(c, b, length);
  return 0;
}

// Address families in NULL/LOOP headers: BSDs disagree on AF_INET6.
std::string_view AddressFamilyName(uint32_t family) {
  switch (family) {
    case 2: return "IPv4";
    case 7: return "ISO";
    case 24: case 28: case 30: return "IPv6";
    default: return "Unknown";
  }
}

// NULL: a 4-byte address family in the capturing host's byte order (so
// either); LOOP: the same in network order.
size_t PrintNullLoop(Ctx& c, Bytes b, uint32_t length, bool network_order) {
  if (!b.Has(0, kNullHeaderLen)) {
    c.out->append(network_order ? " [|loop]" : " [|null]");
    return b.size();
  }
  uint32_t family = network_order ? b.U32(0) : b.U32Le(0);
  if (!network_order && (family & 0xffff0000u) != 0) family = b.U32(0);
  auto header = [&] {
    if (c.opt.quiet) {
      c.out->append(AddressFamilyName(family));
    } else {
      c.out->append("AF ");
      c.out->append(AddressFamilyName(family));
      c.out->append(" (");
      AppendDec(c.out, family);
      c.out->push_back(')');
    }
    c.out->append(", length ");
    AppendDec(c.out, length);
    c.out->append(": ");
  };
  if (c.opt.link_header) header();
  Bytes payload = b.From(kNullHeaderLen);
  uint32_t plen = Sub(length, kNullHeaderLen);
  std::string_view name = AddressFamilyName(family);
  if (name == "IPv4") {
    PrintIp4(c, payload, plen);
  } else if (name == "IPv6") {
    PrintIp6(c, payload, plen);
  } else {
    if (!c.opt.link_header) header();
    DumpPayload(c, payload);
  }
  return kNullHeaderLen;
}

}  // namespace

bool PrintEtherType(Ctx& c, uint16_t type, Bytes b, uint32_t length) {
  switch (type) {
    case 0x0800:
      PrintIp4(c, b, length);
      return true;
    case 0x86dd:
      PrintIp6(c, b, length);
      return true;
    case 0x0806:
    case 0x8035:
      PrintArp(c, b, length, type == 0x8035);
      return true;
    case 0x8100:
    case 0x88a8:
    case 0x9100:
      return PrintVlan(c, b, length);
    default:
      c.unknown_type = type;
      c.unknown_payload = b;
      return false;
  }
}

size_t PrintLink(Ctx& c, int dlt, Bytes b, uint32_t length) {
  switch (dlt) {
    case kDltEn10mb: return PrintEthernet(c, b, length);
    case kDltLinuxSll: return PrintSll(c, b, length);
    case kDltLinuxSll2: return PrintSll2(c, b, length);
    case kDltRaw: return PrintRaw(c, b, length);
    case kDltNull: return PrintNullLoop(c, b, length, false);
    case kDltLoop: return PrintNullLoop(c, b, length, true);
    default:
      c.out->append("[unsupported link type ");
      AppendDec(c.out, static_cast<uint64_t>(dlt));
      c.out->append("], length ");
      AppendDec(c.out, length);
      DumpPayload(c, b);
      return 0;
  }
}

}  // namespace bpfcap::capture::print
