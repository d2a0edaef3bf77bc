// ATM as SunATM captures it (DLT_SUNATM): a 4-byte pseudo-header, then the
// AAL5 payload. The pseudo-header is: flags (low nibble: traffic type, 1
// LANE, 2 LLC-multiplexed), VPI (1 byte), VCI (2 bytes, big-endian).
//
// Without "lane", libpcap takes the payload to be 802.2 LLC (with SNAP for
// EtherTypes); the first "lane" switches everything after it to a LANE
// emulated Ethernet frame behind a 2-byte LE client id (see lower.cc).
// The well-known circuits and Q.2931 message types live here.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace bpfcap::proto {

inline constexpr uint32_t kAtmTypeOff = 0;   // traffic type: low nibble
inline constexpr uint32_t kAtmTypeMask = 0x0f;
inline constexpr uint32_t kAtmTypeLane = 1;
inline constexpr uint32_t kAtmTypeLlc = 2;
inline constexpr uint32_t kAtmVpiOff = 1;
inline constexpr uint32_t kAtmVciOff = 2;
inline constexpr uint32_t kAtmPayloadOff = 4;
inline constexpr uint32_t kAtmMsgTypeOff = 9;  // Q.2931 message type: payload + 5
// LANE: a 2-byte LE client id, 0xff00 for LE control frames, then Ethernet.
inline constexpr uint32_t kLaneLecIdOff = kAtmPayloadOff;
inline constexpr uint32_t kLaneControl = 0xff00;
inline constexpr uint32_t kLaneEtherOff = kAtmPayloadOff + 2;

// "vpi N", "vci N": which pseudo-header field.
struct AtmField {
  std::string_view keyword;
  uint32_t off;
  uint8_t size;
};
inline constexpr AtmField kAtmFields[] = {
    {"vpi", kAtmVpiOff, 1},
    {"vci", kAtmVciOff, 2},
};

// Circuit keywords: VPI 0 and one of the VCIs, and for the two signalling
// ones one of the Q.2931 message types.
struct AtmCircuit {
  std::string_view keyword;
  std::array<uint8_t, 2> vcis;     // 0 ends the list
  std::array<uint8_t, 6> msgs;     // 0 ends the list (none: any message)
};
inline constexpr AtmCircuit kAtmCircuits[] = {
    {"oam", {3, 4}, {}},      // segment or end-to-end OAM F4 cell
    {"oamf4", {3, 4}, {}},
    {"oamf4s", {3, 0}, {}},   // segment (pcap-filter(7)'s spelling)
    {"oamf4sc", {3, 0}, {}},  // segment (libpcap's spelling)
    {"oamf4e", {4, 0}, {}},   // end-to-end
    {"oamf4ec", {4, 0}, {}},
    {"metac", {1, 0}, {}},    // meta-signalling circuit
    {"bcc", {2, 0}, {}},      // broadcast signalling circuit
    {"sc", {5, 0}, {}},       // signalling circuit
    {"ilmic", {16, 0}, {}},   // ILMI circuit
    // Setup, Call Proceeding, Connect, Connect Ack, Release, Release Done.
    {"connectmsg", {5, 0}, {0x5a, 0x4d, 0x0f, 0x07, 0x05, 0x02}},
    // The same but Connect Ack, on the meta-signalling circuit.
    {"metaconnect", {1, 0}, {0x5a, 0x4d, 0x07, 0x05, 0x02, 0}},
};

}  // namespace bpfcap::proto
