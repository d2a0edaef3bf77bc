// ICMP for IPv4 (RFC 792 and friends).
//
//   ICMP echo request, id 1, seq 1, length 64
//   ICMP 10.0.0.2 udp port 5678 unreachable, length 36
//   ICMP time exceeded in-transit, length 36
//
// Errors name the quoted packet's destination (and port for "port
// unreachable"), so they need the quoted IP header (and its first 4 bytes
// of transport) captured; otherwise " [|icmp]". With -v a wrong checksum is
// flagged and the quoted packet is printed on its own lines.
#include <string_view>

#include "capture/print/layers.h"
#include "capture/print/text.h"

namespace bpfcap::capture::print {
namespace {

constexpr size_t kIcmpHeader = 8;
constexpr uint8_t kTypeEchoReply = 0, kTypeUnreach = 3, kTypeRedirect = 5,
                  kTypeEcho = 8, kTypeTimeExceeded = 11, kTypeParamProblem = 12,
                  kTypeTimestamp = 13, kTypeTimestampReply = 14;

// Types whose whole text is a fixed name.
constexpr NamedType kSimpleTypes[] = {
    {4, "source quench"},         {10, "router solicitation"},
    {15, "information request"},  {16, "information reply"},
    {17, "address mask request"},
};

// Destination unreachable codes: where the quoted destination goes in
// the text ("net X unreachable" / "X unreachable - source route failed").
struct UnreachCode {
  std::string_view before;  // text before the address
  std::string_view after;   // text after it
};
constexpr UnreachCode kUnreachCodes[] = {
    {"net ", " unreachable"},
    {"host ", " unreachable"},
    {"", ""},  // 2: protocol, printed specially
    {"", ""},  // 3: port, printed specially
    {"", ""},  // 4: need to frag, printed specially
    {"", " unreachable - source route failed"},
    {"net ", " unreachable - unknown"},
    {"host ", " unreachable - unknown"},
    {"", " unreachable - source host isolated"},
    {"net ", " unreachable - admin prohibited"},
    {"host ", " unreachable - admin prohibited"},
    {"net ", " unreachable - tos prohibited"},
    {"host ", " unreachable - tos prohibited"},
    {"host ", " unreachable - admin prohibited filter"},
    {"host ", " unreachable - host precedence violation"},
    {"host ", " unreachable - precedence cutoff"},
};

// Returns false (marker printed) when the quoted header is not captured.
bool AppendUnreach(Ctx& c, uint8_t code, Bytes b) {
  std::string* out = c.out;
  Bytes quoted = b.From(kIcmpHeader);
  if (!quoted.Has(0, 20)) return false;
  size_t qhlen = static_cast<size_t>(quoted.U8(0) & 0x0f) * 4;
  const uint8_t* qdst = quoted.At(16);
  uint8_t qproto = quoted.U8(9);
  switch (code) {
    case 2:
      AppendIp4(out, qdst);
      out->append(" protocol ");
      AppendDec(out, qproto);
      out->append(" unreachable");
      return true;
    case 3:
      if (!quoted.Has(qhlen, 4)) return false;
      AppendIp4(out, qdst);
      out->append(qproto == 6 ? " tcp port " : qproto == 17 ? " udp port " : " protocol ");
      if (qproto == 6 || qproto == 17) {
        AppendDec(out, quoted.U16(qhlen + 2));
      } else {
        AppendDec(out, qproto);
      }
      out->append(" unreachable");
      return true;
    case 4:
      AppendIp4(out, qdst);
      out->append(" unreachable - need to frag (mtu ");
      AppendDec(out, b.U16(6));
      out->push_back(')');
      return true;
    default:
      break;
  }
  if (code < std::size(kUnreachCodes)) {
    out->append(kUnreachCodes[code].before);
    AppendIp4(out, qdst);
    out->append(kUnreachCodes[code].after);
  } else {
    AppendIp4(out, qdst);
    out->append(" unreachable - #");
    AppendDec(out, code);
  }
  return true;
}

bool IsError(uint8_t type) {
  return type == kTypeUnreach || type == kTypeRedirect || type == kTypeTimeExceeded ||
         type == kTypeParamProblem || type == 4;
}

}  // namespace

void PrintIcmp(Ctx& c, const IpInfo& ip, Bytes b) {
  std::string* out = c.out;
  if (!b.Has(0, kIcmpHeader)) {
    MarkTruncated(c, "icmp");
    return;
  }
  uint8_t type = b.U8(0), code = b.U8(1);
  size_t mark = out->size();
  out->append("ICMP ");
  bool ok = true;
  switch (type) {
    case kTypeEchoReply:
    case kTypeEcho:
      out->append(type == kTypeEcho ? "echo request, id " : "echo reply, id ");
      AppendDec(out, b.U16(4));
      out->append(", seq ");
      AppendDec(out, b.U16(6));
      break;
    case kTypeUnreach:
      ok = AppendUnreach(c, code, b);
      break;
    case kTypeRedirect: {
      Bytes quoted = b.From(kIcmpHeader);
      if (!quoted.Has(0, 20)) { ok = false; break; }
      constexpr std::string_view kRedirect[] = {"redirect ", "redirect ", "redirect-tos ",
                                                "redirect-tos "};
      constexpr std::string_view kTo[] = {" to net ", " to host ", " to net ", " to host "};
      if (code < 4) {
        out->append(kRedirect[code]);
      } else {
        out->append("redirect-#");
        AppendDec(out, code);
        out->push_back(' ');
      }
      AppendIp4(out, quoted.At(16));
      out->append(code < 4 ? kTo[code] : " to ");
      AppendIp4(out, b.At(4));
      break;
    }
    case kTypeTimeExceeded:
      if (code == 0) {
        out->append("time exceeded in-transit");
      } else if (code == 1) {
        out->append("ip reassembly time exceeded");
      } else {
        out->append("time exceeded-#");
        AppendDec(out, code);
      }
      break;
    case kTypeParamProblem:
      out->append("parameter problem - octet ");
      AppendDec(out, b.U8(4));
      break;
    case kTypeTimestamp:
    case kTypeTimestampReply:
      out->append(type == kTypeTimestamp ? "time stamp query id " : "time stamp reply id ");
      AppendDec(out, b.U16(4));
      out->append(" seq ");
      AppendDec(out, b.U16(6));
      break;
    default:
      AppendTypeName(out, kSimpleTypes, type, "type-#");
      break;
  }
  if (!ok) {
    out->resize(mark);
    MarkTruncated(c, "icmp");
    return;
  }
  out->append(", length ");
  AppendDec(out, ip.length);
  if (c.opt.verbose > 0 && b.Has(0, ip.length)) {
    uint16_t stored = b.U16(2);
    uint16_t want = InternetChecksum(b.data(), ip.length, 2);
    if (want != stored) {
      out->append(" (wrong icmp cksum ");
      AppendHex(out, stored);
      out->append(" (->");
      AppendHex(out, want);
      out->append(")!)");
    }
  }
  if (c.opt.verbose > 0 && IsError(type) && b.Has(kIcmpHeader, 20)) {
    Ctx inner(c.opt, out, c.state);
    out->append("\n\t");
    Bytes quoted = b.From(kIcmpHeader);
    PrintIp4(inner, quoted, static_cast<uint32_t>(quoted.size()));
  }
}

}  // namespace bpfcap::capture::print
