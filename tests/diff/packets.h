// Seeded packet generator for the differential test against libpcap.
//
// Takes a link type (libpcap DLT_ number), a seed and a count; produces that
// many frames of that link type. The frames are real protocol stacks (ARP,
// IPv4 with options and fragments, IPv6 with extension header chains, TCP,
// UDP, SCTP, ICMP, ICMPv6, IGMP, PIM, VRRP, AH, ESP, GRE, ...) whose
// addresses, ports and protocol numbers come mostly from the small pools in
// this header, which the expression corpus (exprs.txt) also uses, so that
// filters both match and miss. A share of the frames is then mutated: bytes
// changed at header offsets (EtherType, IHL, protocol, flags, ports),
// truncated to every length up to the end of the headers, or cut short by a
// snapshot length (caplen < wirelen).
//
// Guarantees: deterministic for a given (dlt, seed, count) on every machine
// (own PRNG, no <random> distributions); caplen <= wirelen for every packet.
// Does not: compute valid checksums everywhere (the filters never read them),
// or produce anything for link types other than those in DiffLinkTypes().
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace bpfcap::difftest {

struct Packet {
  std::vector<uint8_t> bytes;  // the captured bytes; caplen = bytes.size()
  uint32_t wirelen = 0;        // length on the wire, >= caplen

  uint32_t caplen() const { return static_cast<uint32_t>(bytes.size()); }
};

inline constexpr size_t kPacketsPerLinkType = 24000;
inline constexpr size_t kPacketsPerMinorLinkType = 1200;

// Which expressions a link type runs (corpus.h), besides the subset of
// exprs.txt that minor link types run.
enum class CorpusSet : uint8_t {
  kMain,         // exprs.txt
  kMainAndWlan,  // exprs.txt and exprs_wlan.txt
  // exprs_wlan.txt, and the exprs.txt lines without a relation: libpcap
  // 1.10.3 keeps the run-time offsets of 802.11 headers in scratch memory
  // that a relation textually before the first header test may reuse
  // (`len > 5 or ip` reads the wrong place), so those lines are tested on
  // 802.11 in exprs_wlan.txt only with the header test first.
  kWlanFamily,
};

// A link type the suite runs, with the snap length it compiles for.

struct DiffLinkType {
  int dlt;
  std::string_view name;  // pcap_datalink_val_to_name spelling
  uint32_t snaplen;
  size_t packets = kPacketsPerLinkType;  // fewer: a minor link type, run on a corpus subset
  CorpusSet corpus = CorpusSet::kMain;
  bool all_exprs = false;  // a minor link type that runs the whole corpus all the same
  bool minor() const { return packets < kPacketsPerLinkType; }
};

// EN10MB, RAW, LINUX_SLL, LINUX_SLL2, NULL, LOOP, PPP, PPP_SERIAL, C_HDLC,
// IPV4, IPV6; then the minor ones: ARCNET, SLIP, the ATM, PPP and Frame
// Relay variants, ENC, IPNET, LocalTalk, IP over FC and FireWire, BACnet,
// netANALYZER, five Juniper types and two without a protocol field; FDDI,
// token ring and the 802.11 family (IEEE802_11, IEEE802_11_RADIO, PPI,
// PRISM_HEADER, IEEE802_11_RADIO_AVS); PFLOG, SUNATM, MTP2_WITH_PHDR, MTP2,
// MTP3, ERF.
std::span<const DiffLinkType> DiffLinkTypes();
inline constexpr uint64_t kDefaultSeed = 0x62706663617021;  // "bpfcap!"

// `count` frames for `dlt`. Same arguments, same frames.
std::vector<Packet> GeneratePackets(int dlt, uint64_t seed = kDefaultSeed,
                                    size_t count = kPacketsPerLinkType);

// "caplen 54 wirelen 60: 00 11 22 ..." on one line, 16 bytes per group.
std::string DescribePacket(const Packet& p);

}  // namespace bpfcap::difftest
