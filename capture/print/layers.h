// The protocol printers behind PacketPrinter, one family per file, and the
// context they share.
//
// Every printer has the shape
//
//   void PrintX(Ctx& c, Bytes b, uint32_t length);
//
// `b` is what was captured of this layer (from its first header byte to the
// end of the capture); `length` is the layer's length on the wire, which is
// what the "length N" fields tcpdump prints are made of and may exceed
// b.size(). A printer appends text to *c.out, never a newline at the end
// (the caller ends the line), and stops with the " [|proto]" marker when the
// header it needs was not captured.
#pragma once

#include <array>
#include <climits>
#include <span>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "capture/print.h"
#include "capture/print/bytes.h"

namespace bpfcap::capture::print {

// Relative TCP sequence numbers, as tcpdump shows them: the first packet
// with ACK set of a connection records both directions' bases (its own
// sequence number, and its acknowledgement minus one for the peer) and is
// printed with absolute numbers; later packets of either direction print
// differences to those bases. A SYN restarts the connection.
class TcpSeqTable {
 public:
  struct Bases {
    uint32_t seq;  // subtract from this direction's sequence numbers
    uint32_t ack;  // subtract from this direction's acknowledgements
  };
  // addr_len 4 or 16. Fills *out with this direction's bases (new ones when
  // the packet starts or restarts the connection). Returns false in that
  // case: the packet's own seq and ack print absolute (its SACK blocks are
  // already relative).
  bool Lookup(const uint8_t* src, const uint8_t* dst, size_t addr_len, uint16_t sport,
              uint16_t dport, uint32_t seq, uint32_t ack, bool syn, Bases* out);

 private:
  static constexpr size_t kMaxConnections = 1 << 20;  // then start afresh
  struct Key {
    std::array<uint8_t, 36> bytes{};  // lower endpoint first
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const;
  };
  struct Entry {
    uint32_t base[2];  // sequence base of lower→upper, of upper→lower
  };
  std::unordered_map<Key, Entry, KeyHash> conns_;
};

// Interface names for LINUX_SLL2's ifindex, as if_indextoname gives them,
// looked up once per index.
class IfNames {
 public:
  const std::string& Name(uint32_t ifindex);

 private:
  std::unordered_map<uint32_t, std::string> names_;
};

struct PrinterState {
  TcpSeqTable tcp;
  IfNames ifnames;
  bool have_first = false;
  int64_t first_sec = 0, prev_sec = 0;
  uint32_t first_frac = 0, prev_frac = 0;  // in the printed unit (us or ns)
  // localtime_r is slow; consecutive packets mostly share the second.
  int64_t clock_sec = INT64_MIN;
  std::string clock_text;  // "22:13:20" or "2023-11-14 22:13:20" for clock_sec
};

struct Ctx {
  Ctx(const PrintOptions& o, std::string* text, PrinterState& st) : opt(o), out(text), state(st) {}
  const PrintOptions& opt;
  std::string* out;
  PrinterState& state;
  // Set by a link printer that met a payload it cannot decode: dumped as hex
  // and ASCII after the line when no -x/-X dump is asked for.
  bool dump_payload = false;
  Bytes payload;
  // Set by PrintEtherType when it returns false: the (innermost) type it
  // could not decode and its payload, for the link printer's fallback.
  uint16_t unknown_type = 0;
  Bytes unknown_payload;
  // A printer stopped at a " [|proto]" marker. tcpdump then dumps -x/-X
  // from the first byte of the frame, the link header length being unknown.
  bool truncated = false;
  // VLAN tags passed, which count as link header for -x.
  size_t vlan_header_len = 0;
};

// Appends " [|proto]" and notes the truncation.
inline void MarkTruncated(Ctx& c, std::string_view proto) {
  c.out->append(" [|");
  c.out->append(proto);
  c.out->push_back(']');
  c.truncated = true;
}

// A message type whose whole text is a fixed name (ICMP, ICMPv6).
struct NamedType {
  uint8_t type;
  std::string_view text;
};
// Appends the name of `type` from `names`, or `unknown` and the number.
inline void AppendTypeName(std::string* out, std::span<const NamedType> names, uint8_t type,
                           std::string_view unknown) {
  for (const NamedType& t : names) {
    if (t.type == type) {
      out->append(t.text);
      return;
    }
  }
  out->append(unknown);
  out->append(std::to_string(type));
}

// Link layers (link.cc). Return the link header length, for -x.
size_t PrintLink(Ctx& c, int dlt, Bytes b, uint32_t length);
// An EtherType payload (IPv4, IPv6, ARP, VLAN); false when the type is not
// one we decode (nothing printed then).
bool PrintEtherType(Ctx& c, uint16_t type, Bytes b, uint32_t length);

// Network layers (ip.cc).
void PrintIp4(Ctx& c, Bytes b, uint32_t length);
void PrintIp6(Ctx& c, Bytes b, uint32_t length);
// By the version nibble, for RAW/NULL/LOOP links.
void PrintIpAny(Ctx& c, Bytes b, uint32_t length);

// What an IP header hands its payload: addresses for printing and for
// checksums (pseudo-header), the payload's length.
struct IpInfo {
  const uint8_t* src;
  const uint8_t* dst;
  size_t addr_len;  // 4 or 16
  uint8_t proto;
  uint32_t length;  // payload length by the IP header
  // IPv6 after extension headers: tcpdump then prints only the ports
  // ("HBH 1234 > 5678: UDP"), the addresses having come before.
  bool ports_only = false;
  // An IPv4 first fragment: the transport length fields describe the whole
  // datagram, not this packet.
  bool more_fragments = false;
};
void AppendAddrPort(Ctx& c, const IpInfo& ip, bool src, uint16_t port, bool udp);
void AppendAddr(Ctx& c, const IpInfo& ip, bool src);
// "src > dst: " for a transport header too short for its ports (nothing
// when the addresses were printed already: IpInfo::ports_only).
void AppendAddrsNoPorts(Ctx& c, const IpInfo& ip);
// RFC 1071 checksums (checksum.cc): the value a sender would store, with
// the 2 bytes at `zero_at` counted as zero (kNoField: none). A packet whose
// stored field is right gives 0 with kNoField.
inline constexpr size_t kNoField = ~size_t{0};
uint16_t InternetChecksum(const uint8_t* data, size_t n, size_t zero_at = kNoField);
// The same over the IPv4/IPv6 pseudo-header and `data` (TCP, UDP, ICMPv6).
uint16_t TransportChecksum(const IpInfo& ip, const uint8_t* data, size_t n,
                           size_t zero_at = kNoField);

// Transport and above (tcp.cc, udp.cc, icmp.cc, icmp6.cc, arp.cc, dns.cc).
void PrintTcp(Ctx& c, const IpInfo& ip, Bytes b);
void PrintUdp(Ctx& c, const IpInfo& ip, Bytes b);
void PrintIcmp(Ctx& c, const IpInfo& ip, Bytes b);
void PrintIcmp6(Ctx& c, const IpInfo& ip, Bytes b);
void PrintArp(Ctx& c, Bytes b, uint32_t length, bool reverse);
void PrintDns(Ctx& c, Bytes b, uint32_t length, bool mdns);
// The HTTP request or status line after a TCP header on port 80/8080.
void PrintHttp(Ctx& c, Bytes b, uint32_t length);

// Hex dumps (hexdump.cc): "\n\t0x0000:  4500 003c ..." lines.
void AppendHexDump(std::string* out, Bytes b, bool ascii);

// Timestamps (timestamp.cc): the prefix before the protocol text, with its
// trailing space; nothing for -t.
void AppendTimestamp(const PrintOptions& opt, PrinterState& st, const Packet& pkt,
                     std::string* out);

}  // namespace bpfcap::capture::print
