// ICMPv6 (RFC 4443), neighbour discovery (RFC 4861) and MLD (RFC 2710,
// RFC 3810).
//
//   ICMP6, echo request, id 1, seq 2, length 16
//   ICMP6, neighbor solicitation, who has fe80::2, length 32
//   ICMP6, destination unreachable, unreachable port, fe80::2 udp port 5678, length 56
//
// -v adds the checksum check; neighbour discovery options are not listed
// (tcpdump -v does list them).
#include <string_view>

#include "capture/print/layers.h"
#include "capture/print/text.h"

namespace bpfcap::capture::print {
namespace {

// Types printed as just their name (and ", length N").
constexpr NamedType kSimpleTypes[] = {
    {133, "router solicitation"},
    {134, "router advertisement"},
    {141, "inverse neighbor solicitation"},
    {142, "inverse neighbor advertisement"},
    {145, "ha discovery reply"},
    {147, "mobile router advertisement"},
};

// The quoted packet's destination (and ports) for error messages. False
// when not captured.
bool QuotedDst(Bytes quoted, const uint8_t** dst) {
  if (!quoted.Has(0, 40)) return false;
  *dst = quoted.At(24);
  return true;
}

bool AppendUnreach(std::string* out, uint8_t code, Bytes quoted) {
  const uint8_t* dst = nullptr;
  if (!QuotedDst(quoted, &dst)) return false;
  switch (code) {
    case 0:
      out->append("unreachable route ");
      AppendIp6(out, dst);
      return true;
    case 1:
      out->append(" unreachable prohibited ");
      AppendIp6(out, dst);
      return true;
    case 2:
      out->append("beyond scope ");
      AppendIp6(out, dst);
      out->append(", source address ");
      AppendIp6(out, quoted.At(8));
      return true;
    case 3:
      out->append("unreachable address ");
      AppendIp6(out, dst);
      return true;
    case 4: {
      uint8_t next = quoted.U8(6);
      if (!quoted.Has(40, 4) || (next != 6 && next != 17)) return false;
      out->append("unreachable port, ");
      AppendIp6(out, dst);
      out->append(next == 6 ? " tcp port " : " udp port ");
      AppendDec(out, quoted.U16(42));
      return true;
    }
    default:
      out->append("unknown unreach code (");
      AppendDec(out, code);
      out->push_back(')');
      return true;
  }
}

// Under -v tcpdump moves ", length N" of neighbour discovery messages
// before their target, and drops it for echo, errors and MLDv2 reports.
bool LengthLastUnderVerbose(uint8_t type) {
  switch (type) {
    case 1: case 2: case 3: case 4: case 128: case 129: case 135: case 136: case 143:
      return false;
    default:
      return true;
  }
}

void AppendVerboseLength(Ctx& c, const IpInfo& ip) {
  if (c.opt.verbose == 0) return;
  c.out->append(", length ");
  AppendDec(c.out, ip.length);
}

}  // namespace

void PrintIcmp6(Ctx& c, const IpInfo& ip, Bytes b) {
  std::string* out = c.out;
  if (!b.Has(0, 4)) {
    MarkTruncated(c, "icmp6");
    return;
  }
  if (c.opt.verbose > 0 && b.Has(0, ip.length)) {
    uint16_t stored = b.U16(2);
    uint16_t want = TransportChecksum(ip, b.data(), ip.length, 2);
    if (want != stored) {
      out->append("[bad icmp6 cksum ");
      AppendHex0x(out, stored, 4);
      out->append(" -> ");
      AppendHex0x(out, want, 4);
      out->append("!] ");
    } else {
      out->append("[icmp6 sum ok] ");
    }
  }
  uint8_t type = b.U8(0), code = b.U8(1);
  out->append("ICMP6, ");
  bool ok = true;
  Bytes quoted = b.From(8);
  switch (type) {
    case 1:
      out->append("destination unreachable, ");
      ok = b.Has(0, 8) && AppendUnreach(out, code, quoted);
      break;
    case 2:
      out->append("packet too big");
      ok = b.Has(0, 8);
      if (ok) {
        out->append(", mtu ");
        AppendDec(out, b.U32(4));
      }
      break;
    case 3: {
      const uint8_t* dst = nullptr;
      out->append("time exceeded in-transit");
      if (code == 0) {
        ok = QuotedDst(quoted, &dst);
        if (ok) {
          out->append(" for ");
          AppendIp6(out, dst);
        }
      } else {
        out->append(" (reassembly)");
      }
      break;
    }
    case 4: {
      constexpr std::string_view kWhat[] = {"erroneous", "next header", "option"};
      out->append("parameter problem, ");
      out->append(code < 3 ? kWhat[code] : "code");
      ok = b.Has(0, 8);
      if (ok) {
        out->append(" - octet ");
        AppendDec(out, b.U32(4));
      }
      break;
    }
    case 128:
    case 129:
      out->append(type == 128 ? "echo request" : "echo reply");
      ok = b.Has(0, 8);
      if (ok) {
        out->append(", id ");
        AppendDec(out, b.U16(4));
        out->append(", seq ");
        AppendDec(out, b.U16(6));
      }
      break;
    case 135:
      out->append("neighbor solicitation");
      ok = b.Has(0, 24);
      if (ok) {
        AppendVerboseLength(c, ip);
        out->append(", who has ");
        AppendIp6(out, b.At(8));
      }
      break;
    case 136:
      out->append("neighbor advertisement");
      ok = b.Has(0, 24);
      if (ok) {
        AppendVerboseLength(c, ip);
        out->append(", tgt is ");
        AppendIp6(out, b.At(8));
      }
      break;
    case 137:
      out->append("redirect");
      ok = b.Has(0, 40);
      if (ok) {
        out->append(", ");
        AppendIp6(out, b.At(24));
        out->append(" to ");
        AppendIp6(out, b.At(8));
      }
      break;
    case 131:
    case 132:
      // MLDv1 report / done: maximum response delay and multicast address.
      out->append(type == 131 ? "multicast listener report" : "multicast listener done");
      if (b.Has(0, 24)) {
        out->append("max resp delay: ");
        AppendDec(out, b.U16(4));
        out->append(" addr: ");
        AppendIp6(out, b.At(8));
      }
      break;
    case 143:
      out->append("multicast listener report v2");
      ok = b.Has(0, 8);
      if (ok) {
        out->append(", ");
        AppendDec(out, b.U16(6));
        out->append(" group record(s)");
      }
      break;
    default:
      AppendTypeName(out, kSimpleTypes, type, "icmp6 type ");
      break;
  }
  if (!ok) {
    MarkTruncated(c, "icmp6");
    return;
  }
  if (c.opt.verbose > 0 && !LengthLastUnderVerbose(type)) return;
  out->append(", length ");
  AppendDec(out, ip.length);
}

}  // namespace bpfcap::capture::print
