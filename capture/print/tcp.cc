// TCP (RFC 9293) segments, and the HTTP first line behind ports 80/8080.
//
//   10.0.0.1.41234 > 10.0.0.2.80: Flags [S], seq 123, win 64240,
//       options [mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7], length 0
//   10.0.0.1.41234 > 10.0.0.2.80: Flags [P.], seq 1:19, ack 1, win 502, length 18: HTTP: GET / HTTP/1.1
//   10.0.0.1.41234 > 10.0.0.2.80: tcp 18                               (-q)
//
// Sequence and acknowledgement numbers are relative to the connection's
// first ACK-carrying packet (TcpSeqTable) unless -S. "seq" is shown when the
// segment has data or SYN/FIN/RST, "ack" when ACK is set.
#include <string_view>

#include "capture/print/layers.h"
#include "capture/print/text.h"

namespace bpfcap::capture::print {
namespace {

constexpr size_t kTcpMinHeader = 20;
constexpr uint8_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kAck = 0x10, kUrg = 0x20;

// Flag letters in tcpdump's order, low bit first.
constexpr char kFlagChars[] = {'F', 'S', 'R', 'P', '.', 'U', 'E', 'W'};

struct OptionContext {
  uint32_t sack_base;  // SACK blocks print relative to the ack base
};

// One TCP option kind: its name and how its body prints. `len` -1 means any
// length, otherwise the exact option length (kind and length bytes included).
struct OptionKind {
  uint8_t kind;
  int len;
  void (*print)(std::string* out, Bytes body, const OptionContext& oc);
};

void AppendHexBytes(std::string* out, Bytes body) {
  for (size_t i = 0; i < body.size(); ++i) AppendHex(out, body.U8(i), 2);
}

constexpr OptionKind kOptionKinds[] = {
    {2, 4, [](std::string* out, Bytes b, const OptionContext&) {
       out->append("mss ");
       AppendDec(out, b.U16(0));
     }},
    {3, 3, [](std::string* out, Bytes b, const OptionContext&) {
       out->append("wscale ");
       AppendDec(out, b.U8(0));
     }},
    {4, 2, [](std::string* out, Bytes, const OptionContext&) { out->append("sackOK"); }},
    {5, -1, [](std::string* out, Bytes b, const OptionContext& oc) {
       out->append("sack ");
       AppendDec(out, b.size() / 8);
       out->push_back(' ');
       for (size_t i = 0; i + 8 <= b.size(); i += 8) {
         out->push_back('{');
         AppendDec(out, b.U32(i) - oc.sack_base);
         out->push_back(':');
         AppendDec(out, b.U32(i + 4) - oc.sack_base);
         out->push_back('}');
       }
     }},
    {6, 6, [](std::string* out, Bytes b, const OptionContext&) {
       out->append("echo ");
       AppendDec(out, b.U32(0));
     }},
    {7, 6, [](std::string* out, Bytes b, const OptionContext&) {
       out->append("echoreply ");
       AppendDec(out, b.U32(0));
     }},
    {8, 10, [](std::string* out, Bytes b, const OptionContext&) {
       out->append("TS val ");
       AppendDec(out, b.U32(0));
       out->append(" ecr ");
       AppendDec(out, b.U32(4));
     }},
    {19, 18, [](std::string* out, Bytes b, const OptionContext&) {
       out->append("md5 shared secret not supplied with -M, can't check - ");
       AppendHexBytes(out, b);
     }},
    {34, -1, [](std::string* out, Bytes b, const OptionContext&) {
       out->append("tfo  cookie");
       if (b.empty()) {
         out->append("req");
       } else {
         out->push_back(' ');
         AppendHexBytes(out, b);
       }
     }},
};

const OptionKind* FindOption(uint8_t kind) {
  for (const OptionKind& k : kOptionKinds)
    if (k.kind == kind) return &k;
  return nullptr;
}

// ", options [...]". False when the options were cut short or malformed;
// the marker has been printed then and the line ends.
bool AppendOptions(Ctx& c, Bytes opts, size_t opts_len, const OptionContext& oc) {
  std::string* out = c.out;
  out->append(", options [");
  for (size_t i = 0; i < opts_len;) {
    if (i) out->push_back(',');
    if (!opts.Has(i, 1)) {
      MarkTruncated(c, "tcp");
      return false;
    }
    uint8_t kind = opts.U8(i);
    if (kind == 0) {
      out->append("eol");
      break;
    }
    if (kind == 1) {
      out->append("nop");
      ++i;
      continue;
    }
    if (!opts.Has(i + 1, 1)) {
      MarkTruncated(c, "tcp");
      return false;
    }
    size_t len = opts.U8(i + 1);
    const OptionKind* k = FindOption(kind);
    if (len < 2 || i + len > opts_len || (k && k->len >= 0 && len != static_cast<size_t>(k->len)) ||
        (kind == 5 && (len - 2) % 8 != 0)) {
      out->append("[bad opt]");
      return false;
    }
    if (!opts.Has(i, len)) {
      MarkTruncated(c, "tcp");
      return false;
    }
    Bytes body = opts.From(i + 2).Prefix(len - 2);
    if (k) {
      k->print(out, body, oc);
    } else {
      out->append("unknown-");
      AppendDec(out, kind);
      if (!body.empty()) {
        out->append(" 0x");
        AppendHexBytes(out, body);
      }
    }
    i += len;
  }
  out->push_back(']');
  return true;
}

bool HttpPort(uint16_t port) { return port == 80 || port == 8080; }

}  // namespace

void PrintTcp(Ctx& c, const IpInfo& ip, Bytes b) {
  std::string* out = c.out;
  if (!b.Has(0, 4)) {
    AppendAddrsNoPorts(c, ip);
    out->append("[|tcp]");
    c.truncated = true;
    return;
  }
  uint16_t sport = b.U16(0), dport = b.U16(2);
  AppendAddrPort(c, ip, true, sport, false);
  out->append(" > ");
  AppendAddrPort(c, ip, false, dport, false);
  out->append(": ");
  if (!b.Has(0, kTcpMinHeader)) {
    MarkTruncated(c, "tcp");
    return;
  }
  size_t hlen = static_cast<size_t>(b.U8(12) >> 4) * 4;
  if (hlen < kTcpMinHeader) {
    out->append(" tcp ");
    AppendDec(out, ip.length > hlen ? ip.length - hlen : 0);
    out->append(" [bad hdr length ");
    AppendDec(out, hlen);
    out->append(" - too short, < 20]");
    return;
  }
  if (hlen > ip.length) {
    out->append("tcp ");
    AppendDec(out, 0);
    out->append(" [bad hdr length ");
    AppendDec(out, hlen);
    out->append(" - too long, > ");
    AppendDec(out, ip.length);
    out->push_back(']');
    return;
  }
  uint32_t payload_len = static_cast<uint32_t>(ip.length - hlen);
  if (c.opt.quiet) {
    out->append("tcp ");
    AppendDec(out, payload_len);
    return;
  }
  uint8_t flags = b.U8(13);
  uint32_t seq = b.U32(4), ack = b.U32(8);
  OptionContext oc{0};
  if (!c.opt.absolute_seq && (flags & kAck)) {
    TcpSeqTable::Bases bases{};
    bool relative = c.state.tcp.Lookup(ip.src, ip.dst, ip.addr_len, sport, dport, seq, ack,
                                       flags & kSyn, &bases);
    oc.sack_base = bases.ack;
    if (relative) {
      seq -= bases.seq;
      ack -= bases.ack;
    }
  }
  out->append("Flags [");
  if (flags == 0) out->append("none");
  for (int i = 0; i < 8; ++i)
    if (flags & (1 << i)) out->push_back(kFlagChars[i]);
  out->push_back(']');
  if (c.opt.verbose > 0) {
    uint16_t stored = b.U16(16);
    out->append(", cksum ");
    AppendHex0x(out, stored, 4);
    if (b.Has(0, ip.length)) {
      uint16_t want = TransportChecksum(ip, b.data(), ip.length, 16);
      if (want == stored) {
        out->append(" (correct)");
      } else {
        out->append(" (incorrect -> ");
        AppendHex0x(out, want, 4);
        out->push_back(')');
      }
    }
  }
  if (payload_len > 0 || (flags & (kSyn | kFin | kRst))) {
    out->append(", seq ");
    AppendDec(out, seq);
    if (payload_len > 0) {
      out->push_back(':');
      AppendDec(out, static_cast<uint32_t>(seq + payload_len));
    }
  }
  if (flags & kAck) {
    out->append(", ack ");
    AppendDec(out, ack);
  }
  out->append(", win ");
  AppendDec(out, b.U16(14));
  if (flags & kUrg) {
    out->append(", urg ");
    AppendDec(out, b.U16(18));
  }
  if (hlen > kTcpMinHeader &&
      !AppendOptions(c, b.From(kTcpMinHeader), hlen - kTcpMinHeader, oc)) {
    return;
  }
  out->append(", length ");
  AppendDec(out, payload_len);
  if (payload_len > 0 && (HttpPort(sport) || HttpPort(dport))) {
    PrintHttp(c, b.From(hlen), payload_len);
  }
}

}  // namespace bpfcap::capture::print
