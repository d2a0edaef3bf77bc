// IPv4 (RFC 791) and IPv6 (RFC 8200) headers, and the hand-off to the
// transport printers.
//
//   IP 10.0.0.1.41234 > 10.0.0.2.80: ...              (TCP/UDP print the ports)
//   IP 10.0.0.1 > 10.0.0.2: ICMP echo request, ...
//   IP (tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto TCP (6), length 60)
//       10.0.0.1.41234 > 10.0.0.2.80: ...             (-v)
//   IP6 (hlim 64, next-header UDP (17) payload length: 37) fe80::1.53000 > ...
//
// Non-first IPv4 fragments print "ip-proto-17" (or the /etc/protocols
// name), IPv6 fragment headers "frag (offset|length)"; the "IP " / "IP6 "
// prefix is left out with -e, where the EtherType already said it.
#include "capture/print/layers.h"
#include "capture/print/names.h"
#include "capture/print/text.h"

namespace bpfcap::capture::print {
namespace {

constexpr size_t kIp4MinHeader = 20;
constexpr size_t kIp6Header = 40;
constexpr uint8_t kProtoIcmp = 1;
constexpr uint8_t kProtoIpip = 4;
constexpr uint8_t kProtoTcp = 6;
constexpr uint8_t kProtoUdp = 17;
constexpr uint8_t kProtoIpv6 = 41;
constexpr uint8_t kProtoIcmp6 = 58;
constexpr uint8_t kProtoNoNext = 59;
// IPv6 extension headers we step over.
constexpr uint8_t kProtoHopByHop = 0;
constexpr uint8_t kProtoFragment = 44;
constexpr uint8_t kProtoDstOpts = 60;

bool Verbose(const Ctx& c) { return c.opt.verbose > 0; }

// " ip-proto-253 20": tcpdump's line for a protocol it has no printer for.
void AppendUnknownProto(Ctx& c, uint8_t proto, uint32_t length) {
  c.out->append(" ip-proto-");
  AppendDec(c.out, proto);
  c.out->push_back(' ');
  AppendDec(c.out, length);
}

void AppendAddrs(Ctx& c, const IpInfo& ip) {
  AppendAddr(c, ip, true);
  c.out->append(" > ");
  AppendAddr(c, ip, false);
  c.out->append(": ");
}

// The upper layer of an IPv4 packet or of IPv6 after its extension headers.
void PrintTransport(Ctx& c, const IpInfo& ip, Bytes b) {
  switch (ip.proto) {
    case kProtoTcp:
      PrintTcp(c, ip, b);
      return;
    case kProtoUdp:
      PrintUdp(c, ip, b);
      return;
    default:
      break;
  }
  if (!ip.ports_only) AppendAddrs(c, ip);
  switch (ip.proto) {
    case kProtoIcmp:
      if (ip.addr_len == 4) {
        PrintIcmp(c, ip, b);
        return;
      }
      break;
    case kProtoIcmp6:
      if (ip.addr_len == 16) {
        PrintIcmp6(c, ip, b);
        return;
      }
      break;
    case kProtoIpip:
      PrintIp4(c, b, ip.length);
      return;
    case kProtoIpv6:
      PrintIp6(c, b, ip.length);
      return;
    case kProtoNoNext:
      if (ip.addr_len == 16) {
        c.out->append("no next header");
        return;
      }
      break;
    default:
      break;
  }
  AppendUnknownProto(c, ip.proto, ip.length);
}

void AppendTos(std::string* out, uint8_t tos) {
  constexpr std::string_view kEcn[] = {"", ",ECT(1)", ",ECT(0)", ",CE"};
  out->append("tos ");
  AppendHex0x(out, tos);
  out->append(kEcn[tos & 3]);
}

void AppendFragFlags(std::string* out, uint16_t frag) {
  out->append("flags [");
  bool any = false;
  auto flag = [&](bool on, std::string_view name) {
    if (!on) return;
    if (any) out->append(", ");
    out->append(name);
    any = true;
  };
  flag(frag & 0x2000, "+");
  flag(frag & 0x4000, "DF");
  flag(frag & 0x8000, "rsvd");
  if (!any) out->append("none");
  out->push_back(']');
}

// ", options (NOP,EOL)": the option kinds, by name where we know one.
void AppendIp4Options(std::string* out, Bytes opts) {
  out->append(", options (");
  for (size_t i = 0; i < opts.size();) {
    if (i) out->push_back(',');
    uint8_t kind = opts.U8(i);
    if (kind == 0) { out->append("EOL"); ++i; continue; }
    if (kind == 1) { out->append("NOP"); ++i; continue; }
    size_t len = opts.Has(i + 1, 1) ? opts.U8(i + 1) : 0;
    out->append("unknown ");
    AppendDec(out, kind);
    if (len < 2 || !opts.Has(i, len)) {
      out->append(" [bad length ");
      AppendDec(out, len);
      out->push_back(']');
      break;
    }
    i += len;
  }
  out->push_back(')');
}

void AppendIp4Verbose(Ctx& c, Bytes b, size_t hlen, uint16_t total) {
  std::string* out = c.out;
  uint16_t frag = b.U16(6);
  uint8_t proto = b.U8(9);
  out->push_back('(');
  AppendTos(out, b.U8(1));
  out->append(", ttl ");
  AppendDec(out, b.U8(8));
  out->append(", id ");
  AppendDec(out, b.U16(4));
  out->append(", offset ");
  AppendDec(out, static_cast<uint64_t>(frag & 0x1fff) * 8);
  out->append(", ");
  AppendFragFlags(out, frag);
  out->append(", proto ");
  out->append(IpProtoName(proto));
  out->append(" (");
  AppendDec(out, proto);
  out->append("), length ");
  AppendDec(out, total);
  if (hlen > kIp4MinHeader) AppendIp4Options(out, b.From(kIp4MinHeader).Prefix(hlen - kIp4MinHeader));
  if (b.Has(0, hlen) && InternetChecksum(b.data(), hlen) != 0) {
    out->append(", bad cksum ");
    AppendHex(out, b.U16(10));
    out->append(" (->");
    AppendHex(out, InternetChecksum(b.data(), hlen, 10));
    out->append(")!");
  }
  out->push_back(')');
  out->append("\n    ");
}

}  // namespace

void AppendAddr(Ctx& c, const IpInfo& ip, bool src) {
  // Always numeric: see print.h on name resolution.
  if (ip.addr_len == 4) {
    AppendIp4(c.out, src ? ip.src : ip.dst);
  } else {
    AppendIp6(c.out, src ? ip.src : ip.dst);
  }
}

void AppendAddrsNoPorts(Ctx& c, const IpInfo& ip) {
  if (ip.ports_only) return;
  AppendAddr(c, ip, true);
  c.out->append(" > ");
  AppendAddr(c, ip, false);
  c.out->append(": ");
}

void AppendAddrPort(Ctx& c, const IpInfo& ip, bool src, uint16_t port, bool udp) {
  if (!ip.ports_only) {
    AppendAddr(c, ip, src);
    c.out->push_back('.');
  }
  std::string_view name = c.opt.numeric > 0 ? std::string_view() : ServiceName(port, udp);
  if (name.empty()) {
    AppendDec(c.out, port);
  } else {
    c.out->append(name);
  }
}

void PrintIp4(Ctx& c, Bytes b, uint32_t length) {
  if (!b.Has(0, 1)) {
    MarkTruncated(c, "ip");
    return;
  }
  uint8_t version = b.U8(0) >> 4;
  if (version != 4) {
    c.out->append("IP");
    AppendDec(c.out, version);
    c.out->append(" (invalid)");
    return;
  }
  if (!c.opt.link_header) c.out->append("IP ");
  if (!b.Has(0, kIp4MinHeader)) {
    MarkTruncated(c, "ip");
    return;
  }
  size_t hlen = static_cast<size_t>(b.U8(0) & 0x0f) * 4;
  if (hlen < kIp4MinHeader) {
    c.out->append("bad-hlen ");
    AppendDec(c.out, hlen);
    return;
  }
  uint16_t total = b.U16(2);
  if (total < hlen) {
    c.out->append("bad-len ");
    AppendDec(c.out, total);
    return;
  }
  uint32_t ip_len = total;
  if (total > length) {
    c.out->append("truncated-ip - ");
    AppendDec(c.out, total - length);
    c.out->append(" bytes missing! ");
    ip_len = length;
  }
  if (Verbose(c)) AppendIp4Verbose(c, b, hlen, total);
  IpInfo ip{b.At(12), b.At(16), 4, b.U8(9), static_cast<uint32_t>(ip_len - hlen)};
  if (ip_len < hlen) ip.length = 0;
  uint16_t frag = b.U16(6);
  ip.more_fragments = (frag & 0x2000) != 0;
  if ((frag & 0x1fff) != 0) {
    AppendAddrs(c, ip);
    std::string_view name = c.opt.numeric > 0 ? std::string_view() : ProtocolFileName(ip.proto);
    if (name.empty()) {
      c.out->append("ip-proto-");
      AppendDec(c.out, ip.proto);
    } else {
      c.out->append(name);
    }
    return;
  }
  PrintTransport(c, ip, b.Prefix(ip_len).From(hlen));
}

void PrintIp6(Ctx& c, Bytes b, uint32_t length) {
  if (!b.Has(0, kIp6Header)) {
    MarkTruncated(c, "ip6");
    return;
  }
  uint32_t vtf = b.U32(0);
  if (vtf >> 28 != 6) {
    if (!c.opt.link_header) c.out->append("IP6 ");
    c.out->append("version error: ");
    AppendDec(c.out, vtf >> 28);
    c.out->append(" != 6");
    return;
  }
  if (!c.opt.link_header) c.out->append("IP6 ");
  uint32_t plen = b.U16(4);
  uint32_t avail = length > kIp6Header ? length - static_cast<uint32_t>(kIp6Header) : 0;
  if (plen > avail) {
    c.out->append("truncated-ip6 - ");
    AppendDec(c.out, plen - avail);
    c.out->append(" bytes missing!");
    plen = avail;
  }
  uint8_t next = b.U8(6);
  if (Verbose(c)) {
    c.out->push_back('(');
    uint8_t tclass = static_cast<uint8_t>(vtf >> 20);
    uint32_t flow = vtf & 0xfffff;
    if (tclass != 0) {
      c.out->append("class ");
      AppendHex0x(c.out, tclass, 2);
      c.out->append(", ");
    }
    if (flow != 0) {
      c.out->append("flowlabel ");
      AppendHex0x(c.out, flow, 5);
      c.out->append(", ");
    }
    c.out->append("hlim ");
    AppendDec(c.out, b.U8(7));
    c.out->append(", next-header ");
    c.out->append(IpProtoName(next));
    c.out->append(" (");
    AppendDec(c.out, next);
    c.out->append(") payload length: ");
    AppendDec(c.out, b.U16(4));
    c.out->append(") ");
  }
  IpInfo ip{b.At(8), b.At(24), 16, next, plen};
  Bytes rest = b.Prefix(kIp6Header + plen).From(kIp6Header);
  // Extension headers: hop-by-hop and destination options are skipped with
  // tcpdump's "HBH " / "DSTOPT " tag; a fragment header ends the line.
  while (ip.proto == kProtoHopByHop || ip.proto == kProtoDstOpts || ip.proto == kProtoFragment) {
    if (!ip.ports_only) AppendAddrs(c, ip);
    ip.ports_only = true;
    if (ip.proto == kProtoFragment) {
      if (!rest.Has(0, 8)) {
        c.out->append("frag [|frag]");
        c.truncated = true;
        break;
      }
      uint16_t off = rest.U16(2);
      c.out->append("frag (");
      if (Verbose(c)) {
        AppendHex0x(c.out, rest.U32(4), 8);
        c.out->push_back(':');
      }
      AppendDec(c.out, off & 0xfff8);
      c.out->push_back('|');
      AppendDec(c.out, ip.length >= 8 ? ip.length - 8 : 0);
      c.out->push_back(')');
      if ((off & 0xfff8) != 0) break;
      c.out->push_back(' ');
      ip.proto = rest.U8(0);
      ip.length = ip.length >= 8 ? ip.length - 8 : 0;
      rest = rest.From(8);
      continue;
    }
    if (!rest.Has(0, 2)) {
      c.out->append(ip.proto == kProtoHopByHop ? "HBH [|hbhopt]" : "DSTOPT [|dstopt]");
      c.truncated = true;
      break;
    }
    size_t hlen = (static_cast<size_t>(rest.U8(1)) + 1) * 8;
    c.out->append(ip.proto == kProtoHopByHop ? "HBH " : "DSTOPT ");
    ip.proto = rest.U8(0);
    ip.length = ip.length >= hlen ? static_cast<uint32_t>(ip.length - hlen) : 0;
    rest = rest.From(hlen);
  }
  if (ip.proto != kProtoHopByHop && ip.proto != kProtoDstOpts &&
      !(ip.proto == kProtoFragment)) {
    PrintTransport(c, ip, rest);
  }
}

void PrintIpAny(Ctx& c, Bytes b, uint32_t length) {
  if (!b.Has(0, 1)) {
    MarkTruncated(c, "ip");
    return;
  }
  switch (b.U8(0) >> 4) {
    case 4:
      PrintIp4(c, b, length);
      return;
    case 6:
      PrintIp6(c, b, length);
      return;
    default:
      c.out->append("unknown ip ");
      AppendDec(c.out, b.U8(0) >> 4);
      return;
  }
}

}  // namespace bpfcap::capture::print
