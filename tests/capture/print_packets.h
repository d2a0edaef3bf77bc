// Test packets for the printer tests: small builders for the headers we
// print (checksums filled in unless asked not to), a named corpus per link
// type, and a pcap writer so that tcpdump can read the same packets.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace bpfcap::capture::test {

using Buf = std::vector<uint8_t>;

Buf operator+(Buf a, const Buf& b);
Buf U8(uint8_t v);
Buf U16(uint16_t v);
Buf U32(uint32_t v);
Buf Le32(uint32_t v);
Buf Text(const std::string& s);
Buf Zeros(size_t n);
Buf Mac(const char* text);   // "aa:bb:cc:dd:ee:ff"
Buf Ip4(const char* text);   // "10.0.0.1"
Buf Ip6(const char* text);   // "fe80::1"

struct Ip4Args {
  const char* src = "10.0.0.1";
  const char* dst = "10.0.0.2";
  uint8_t tos = 0;
  uint8_t ttl = 64;
  uint16_t id = 1;
  uint16_t frag = 0x4000;    // flags + offset field; DF by default
  Buf options;
  int total = -1;            // total-length field; -1: computed
  bool bad_checksum = false;  // header checksum
  bool fix_transport = true;  // fill TCP/UDP/ICMP checksums
};
Buf Ipv4(uint8_t proto, const Buf& payload, const Ip4Args& a = {});

struct Ip6Args {
  const char* src = "fe80::1";
  const char* dst = "fe80::2";
  uint8_t hlim = 64;
  uint8_t tclass = 0;
  uint32_t flow = 0;
  int plen = -1;
  bool fix_transport = true;
};
Buf Ipv6(uint8_t next, const Buf& payload, const Ip6Args& a = {});

struct TcpArgs {
  uint16_t sport = 41234, dport = 80;
  uint32_t seq = 123, ack = 0;
  uint8_t flags = 0x02;
  uint16_t win = 64240, urg = 0;
  Buf options;   // padded to 4 bytes with EOL
  Buf data;
};
Buf Tcp(const TcpArgs& a);
Buf Udp(uint16_t sport, uint16_t dport, const Buf& data);
Buf Icmp(uint8_t type, uint8_t code, const Buf& rest4, const Buf& data);
Buf Icmp6(uint8_t type, uint8_t code, const Buf& body);
Buf Ether(uint16_t type, const Buf& payload, const char* dst = "00:11:22:33:44:55",
          const char* src = "66:77:88:99:aa:bb");
Buf Vlan(uint16_t tci, uint16_t type);
Buf Arp(uint16_t op, const char* sha, const char* spa, const char* tha, const char* tpa);
Buf DnsQuery(uint16_t id, uint16_t flags, const char* name, uint16_t qtype);

struct TestPacket {
  std::string name;
  Buf data;
  uint32_t wire_len = 0;  // 0: data.size()
};

// The corpus for one link type (DLT number).
std::vector<TestPacket> Corpus(int dlt);

struct Record {
  int64_t sec;
  uint32_t nsec;
  const TestPacket* pkt;
  uint32_t snaplen;  // caplen = min(size, snaplen)
};
// Writes a pcap file (microsecond or nanosecond magic). False on I/O error.
bool WritePcap(const std::string& path, int dlt, bool nano, const std::vector<Record>& recs);

}  // namespace bpfcap::capture::test
