#include "tests/capture/print_packets.h"

#include <arpa/inet.h>

#include <cstdio>
#include <cstring>

namespace bpfcap::capture::test {
namespace {

uint16_t Checksum(const Buf& pseudo, const Buf& data) {
  uint32_t sum = 0;
  auto add = [&](const Buf& b) {
    for (size_t i = 0; i < b.size(); i += 2)
      sum += static_cast<uint32_t>(b[i] << 8 | (i + 1 < b.size() ? b[i + 1] : 0));
  };
  add(pseudo);
  add(data);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

void Put16(Buf& b, size_t off, uint16_t v) {
  b[off] = static_cast<uint8_t>(v >> 8);
  b[off + 1] = static_cast<uint8_t>(v);
}

// Fills the transport checksum of `payload` (TCP 16, UDP 6, ICMP 2, ICMPv6 2).
void FixTransport(uint8_t proto, const Buf& pseudo, Buf& payload) {
  size_t at = proto == 6 ? 16 : proto == 17 ? 6 : (proto == 1 || proto == 58) ? 2 : 0;
  if (at == 0 || payload.size() < at + 2) return;
  Put16(payload, at, 0);
  uint16_t sum = Checksum(proto == 1 ? Buf{} : pseudo, payload);
  if (proto == 17 && sum == 0) sum = 0xffff;
  Put16(payload, at, sum);
}

}  // namespace

Buf operator+(Buf a, const Buf& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}
Buf U8(uint8_t v) { return {v}; }
Buf U16(uint16_t v) { return {static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)}; }
Buf U32(uint32_t v) { return U16(static_cast<uint16_t>(v >> 16)) + U16(static_cast<uint16_t>(v)); }
Buf Le32(uint32_t v) {
  return {static_cast<uint8_t>(v), static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v >> 16),
          static_cast<uint8_t>(v >> 24)};
}
Buf Text(const std::string& s) { return Buf(s.begin(), s.end()); }
Buf Zeros(size_t n) { return Buf(n, 0); }

Buf Mac(const char* text) {
  unsigned v[6] = {};
  std::sscanf(text, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]);
  Buf b;
  for (unsigned x : v) b.push_back(static_cast<uint8_t>(x));
  return b;
}
Buf Ip4(const char* text) {
  Buf b(4);
  inet_pton(AF_INET, text, b.data());
  return b;
}
Buf Ip6(const char* text) {
  Buf b(16);
  inet_pton(AF_INET6, text, b.data());
  return b;
}

Buf Ipv4(uint8_t proto, const Buf& payload_in, const Ip4Args& a) {
  Buf payload = payload_in;
  Buf src = Ip4(a.src), dst = Ip4(a.dst);
  if (a.fix_transport && (a.frag & 0x1fff) == 0) {
    Buf pseudo = src + dst + U8(0) + U8(proto) + U16(static_cast<uint16_t>(payload.size()));
    FixTransport(proto, pseudo, payload);
  }
  size_t hlen = 20 + a.options.size();
  uint16_t total = a.total >= 0 ? static_cast<uint16_t>(a.total)
                                : static_cast<uint16_t>(hlen + payload.size());
  Buf h = U8(static_cast<uint8_t>(0x40 | hlen / 4)) + U8(a.tos) + U16(total) + U16(a.id) +
          U16(a.frag) + U8(a.ttl) + U8(proto) + U16(0) + src + dst + a.options;
  uint16_t sum = Checksum({}, h);
  Put16(h, 10, a.bad_checksum ? static_cast<uint16_t>(sum ^ 0x1111) : sum);
  return h + payload;
}

Buf Ipv6(uint8_t next, const Buf& payload_in, const Ip6Args& a) {
  Buf payload = payload_in;
  Buf src = Ip6(a.src), dst = Ip6(a.dst);
  if (a.fix_transport) {
    Buf pseudo = src + dst + U32(static_cast<uint32_t>(payload.size())) + Zeros(3) + U8(next);
    FixTransport(next, pseudo, payload);
  }
  uint16_t plen = a.plen >= 0 ? static_cast<uint16_t>(a.plen) : static_cast<uint16_t>(payload.size());
  return U32(6u << 28 | uint32_t{a.tclass} << 20 | a.flow) + U16(plen) + U8(next) + U8(a.hlim) +
         src + dst + payload;
}

Buf Tcp(const TcpArgs& a) {
  Buf opts = a.options;
  while (opts.size() % 4) opts.push_back(0);
  uint8_t off = static_cast<uint8_t>((20 + opts.size()) / 4);
  return U16(a.sport) + U16(a.dport) + U32(a.seq) + U32(a.ack) + U8(static_cast<uint8_t>(off << 4)) +
         U8(a.flags) + U16(a.win) + U16(0) + U16(a.urg) + opts + a.data;
}

Buf Udp(uint16_t sport, uint16_t dport, const Buf& data) {
  return U16(sport) + U16(dport) + U16(static_cast<uint16_t>(8 + data.size())) + U16(0) + data;
}

Buf Icmp(uint8_t type, uint8_t code, const Buf& rest4, const Buf& data) {
  return U8(type) + U8(code) + U16(0) + rest4 + data;
}

Buf Icmp6(uint8_t type, uint8_t code, const Buf& body) {
  return U8(type) + U8(code) + U16(0) + body;
}

Buf Ether(uint16_t type, const Buf& payload, const char* dst, const char* src) {
  return Mac(dst) + Mac(src) + U16(type) + payload;
}

Buf Vlan(uint16_t tci, uint16_t type) { return U16(tci) + U16(type); }

Buf Arp(uint16_t op, const char* sha, const char* spa, const char* tha, const char* tpa) {
  return U16(1) + U16(0x0800) + U8(6) + U8(4) + U16(op) + Mac(sha) + Ip4(spa) + Mac(tha) + Ip4(tpa);
}

Buf DnsName(const char* name) {
  Buf b;
  std::string s = name;
  size_t start = 0;
  while (start < s.size()) {
    size_t dot = s.find('.', start);
    if (dot == std::string::npos) dot = s.size();
    b.push_back(static_cast<uint8_t>(dot - start));
    b = b + Text(s.substr(start, dot - start));
    start = dot + 1;
  }
  b.push_back(0);
  return b;
}

Buf DnsQuery(uint16_t id, uint16_t flags, const char* name, uint16_t qtype) {
  return U16(id) + U16(flags) + U16(1) + U16(0) + U16(0) + U16(0) + DnsName(name) + U16(qtype) +
         U16(1);
}

bool WritePcap(const std::string& path, int dlt, bool nano, const std::vector<Record>& recs) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return false;
  Buf h = Le32(nano ? 0xa1b23c4d : 0xa1b2c3d4) + Buf{2, 0, 4, 0} + Le32(0) + Le32(0) +
          Le32(262144) + Le32(static_cast<uint32_t>(dlt));
  std::fwrite(h.data(), 1, h.size(), f);
  for (const Record& r : recs) {
    const Buf& d = r.pkt->data;
    uint32_t caplen = static_cast<uint32_t>(d.size() < r.snaplen ? d.size() : r.snaplen);
    uint32_t len = r.pkt->wire_len ? r.pkt->wire_len : static_cast<uint32_t>(d.size());
    Buf rec = Le32(static_cast<uint32_t>(r.sec)) + Le32(nano ? r.nsec : r.nsec / 1000) +
              Le32(caplen) + Le32(len);
    std::fwrite(rec.data(), 1, rec.size(), f);
    std::fwrite(d.data(), 1, caplen, f);
  }
  return std::fclose(f) == 0;
}

}  // namespace bpfcap::capture::test
