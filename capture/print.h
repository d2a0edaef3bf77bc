// Packet printing: one line per packet, in tcpdump's words.
//
// Takes the packets of one capture (one link type) in order and produces,
// for each, the text tcpdump 4.99 prints for it: a timestamp, the protocol
// summary, and optionally the link header (-e), a hex dump (-x/-xx/-X/-XX)
// and verbose details (-v). The goal is byte-for-byte equality with
// `tcpdump -r FILE` for the common protocols; tests/capture/print_test.cc
// checks that against the installed tcpdump and lists where we differ.
//
// Decoded: link types EN10MB, LINUX_SLL, LINUX_SLL2, RAW, NULL, LOOP;
// 802.1Q/802.1ad VLAN tags, ARP/RARP, IPv4 (fragments, options skipped),
// IPv6 (fragment header), TCP (flags, relative sequence numbers, options),
// UDP, ICMP, ICMPv6 (echo, neighbour discovery, errors), DNS on ports 53
// and 5353, the first line of HTTP on ports 80 and 8080. Anything else
// gets a short generic line ("ethertype Unknown (0x88b5), length 60",
// "ip-proto-253 20").
//
// Guarantees: never reads outside [data, data + caplen); a packet cut short
// by the snap length gets tcpdump's " [|proto]" marker where decoding
// stopped. Every packet yields at least one line; the text always ends with
// '\n'.
//
// Deliberately not done:
//  - Host name resolution. tcpdump without -n looks addresses up in DNS,
//    which can block for seconds per packet; we always print addresses
//    numerically. Port and protocol names (/etc/services, /etc/protocols)
//    are used as tcpdump does unless -nn (numeric >= 2).
//  - Application protocols beyond DNS and the HTTP request/status line;
//    -v details beyond the IPv4/IPv6 header, TCP/UDP/ICMP checksums and ARP's
//    address types (see the allow-list in the test for the exact gaps).
//
// Not thread-safe: a printer keeps state between packets (previous
// timestamp for -ttt, the TCP connection table for relative sequence
// numbers). Use one printer per capture.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "capture/packet_source.h"

namespace bpfcap::capture {

enum class TimestampFormat {
  kTime,         // default: "22:13:20.123456", local time of day
  kNone,         // -t: nothing
  kEpoch,        // -tt: "1700000000.123456"
  kDelta,        // -ttt: " 00:00:01.123456" since the previous packet
  kDate,         // -tttt: "2023-11-14 22:13:20.123456"
  kSinceFirst,   // -ttttt: " 00:00:07.864192" since the first packet
};

enum class HexDump {
  kNone,
  kHex,            // -x:  hex, link-layer payload
  kHexLink,        // -xx: hex, whole frame
  kHexAscii,       // -X:  hex and ASCII, link-layer payload
  kHexAsciiLink,   // -XX: hex and ASCII, whole frame
};

struct PrintOptions {
  int numeric = 0;                 // 0; 1 = -n (no host names); 2 = -nn (no port/proto names either)
  bool link_header = false;        // -e
  HexDump hex = HexDump::kNone;    // -x -xx -X -XX
  TimestampFormat ts = TimestampFormat::kTime;
  bool nanosecond = false;         // --time-stamp-precision=nano: 9 fraction digits
  int verbose = 0;                 // number of -v (only 0 and >= 1 differ today)
  bool quiet = false;              // -q: "tcp 18" instead of flags and options
  bool absolute_seq = false;       // -S: no relative TCP sequence numbers
};

// Maps tcpdump's -t/-x style counts to the enums: TimestampFromCount(3) is
// kDelta; HexFromCounts(x, X) with x = number of -x, X = number of -X.
TimestampFormat TimestampFromCount(int t_count);
HexDump HexFromCounts(int x_count, int X_count);

// True for the link types PacketPrinter decodes; others get a hex dump only.
bool PrinterSupportsLinkType(int dlt);

namespace print { struct PrinterState; }

class PacketPrinter {
 public:
  PacketPrinter(int dlt, PrintOptions options);
  ~PacketPrinter();
  PacketPrinter(const PacketPrinter&) = delete;
  PacketPrinter& operator=(const PacketPrinter&) = delete;

  // Appends the text for `pkt` (one or more '\n'-terminated lines) to *out.
  // The fast path for the CLI: reuse one string, write it, clear it.
  void Append(const Packet& pkt, std::string* out);
  // The same, as a new string.
  std::string Format(const Packet& pkt);

 private:
  int dlt_;
  PrintOptions options_;
  std::unique_ptr<print::PrinterState> state_;
};

}  // namespace bpfcap::capture
