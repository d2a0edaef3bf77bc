// UDP (RFC 768) datagrams, and DNS behind ports 53 and 5353.
//
//   10.0.0.1.1234 > 10.0.0.2.5678: UDP, length 12
//   10.0.0.1.40000 > 10.0.0.2.53: 12345+ A? example.com. (29)
//
// With -v the checksum is verified when the whole datagram was captured
// (IPv6 only: tcpdump leaves IPv4's to -vv).
#include "capture/print/layers.h"
#include "capture/print/text.h"

namespace bpfcap::capture::print {
namespace {

constexpr size_t kUdpHeader = 8;
constexpr uint16_t kDnsPort = 53;
constexpr uint16_t kMdnsPort = 5353;

// IPv6 only: tcpdump -v checks UDP checksums over IPv6 (where they are
// mandatory) and leaves IPv4's to -vv.
void AppendChecksum(Ctx& c, const IpInfo& ip, Bytes b, uint16_t ulen) {
  uint16_t stored = b.U16(6);
  if (!b.Has(0, ulen)) return;
  uint16_t want = TransportChecksum(ip, b.data(), ulen, 6);
  if (want == 0) want = 0xffff;  // RFC 768: a computed zero is sent as all ones
  if (want == stored) {
    c.out->append("[udp sum ok] ");
    return;
  }
  c.out->append("[bad udp cksum ");
  AppendHex0x(c.out, stored, 4);
  c.out->append(" -> ");
  AppendHex0x(c.out, want, 4);
  c.out->append("!] ");
}

}  // namespace

void PrintUdp(Ctx& c, const IpInfo& ip, Bytes b) {
  std::string* out = c.out;
  if (!b.Has(0, 4)) {
    AppendAddrsNoPorts(c, ip);
    MarkTruncated(c, "udp");
    return;
  }
  uint16_t sport = b.U16(0), dport = b.U16(2);
  AppendAddrPort(c, ip, true, sport, true);
  out->append(" > ");
  AppendAddrPort(c, ip, false, dport, true);
  out->append(": ");
  if (ip.length < kUdpHeader) {
    out->append("truncated-udp ");
    AppendDec(out, ip.length);
    return;
  }
  if (!b.Has(0, kUdpHeader)) {
    MarkTruncated(c, "udp");
    return;
  }
  uint16_t ulen = b.U16(4);
  if (ulen < kUdpHeader) {
    // tcpdump 4.99 prints these two words without a space between them.
    out->append("truncated-udplength ");
    AppendDec(out, ulen);
    return;
  }
  if (ulen > ip.length && !ip.more_fragments) {
    out->append("UDP, bad length ");
    AppendDec(out, ulen - kUdpHeader);
    out->append(" > ");
    AppendDec(out, ip.length - kUdpHeader);
    return;
  }
  // In a first fragment ulen counts the whole datagram; print it, but read
  // only this packet's bytes.
  uint32_t length = ulen - kUdpHeader;
  Bytes payload = b.Prefix(ulen < ip.length ? ulen : ip.length).From(kUdpHeader);
  if (c.opt.verbose > 0 && ip.addr_len == 16 && !ip.ports_only) AppendChecksum(c, ip, b, ulen);
  if (!c.opt.quiet && (sport == kDnsPort || dport == kDnsPort)) {
    PrintDns(c, payload, length, false);
    return;
  }
  if (!c.opt.quiet && (sport == kMdnsPort || dport == kMdnsPort)) {
    PrintDns(c, payload, length, true);
    return;
  }
  out->append("UDP, length ");
  AppendDec(out, length);
}

}  // namespace bpfcap::capture::print
