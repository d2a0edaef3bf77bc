// IEEE 802.11 MAC header knowledge that lowering reads: frame-control bits,
// the type and subtype names of "type"/"subtype", the "dir" names, and the
// fixed header sizes. Offsets are from the start of the MAC header.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace bpfcap::proto::ieee80211 {

// Frame control, first byte: protocol version (bits 0-1), type (2-3),
// subtype (4-7). Values are given in place, as the byte holds them.
inline constexpr uint32_t kFc0TypeMask = 0x0c;
inline constexpr uint32_t kFc0SubtypeMask = 0xf0;
inline constexpr uint32_t kTypeMgt = 0x00;
inline constexpr uint32_t kTypeCtl = 0x04;
inline constexpr uint32_t kTypeData = 0x08;
inline constexpr uint32_t kFc0Data = 0x08;     // set for data (and extension) frames
inline constexpr uint32_t kFc0CtlOrExt = 0x04;  // set for control (and extension) frames
inline constexpr uint32_t kFc0Qos = 0x80;       // a data subtype with a QoS control field
inline constexpr uint32_t kSubtypeCts = 0xc0;   // control frames with no second address
inline constexpr uint32_t kSubtypeAck = 0xd0;

// Frame control, second byte: the distribution-system bits.
inline constexpr uint32_t kFc1DirMask = 0x03;
inline constexpr uint32_t kFc1ToDs = 0x01;
inline constexpr uint32_t kFc1FromDs = 0x02;

// Address fields.
inline constexpr uint32_t kAddr1 = 4;
inline constexpr uint32_t kAddr2 = 10;
inline constexpr uint32_t kAddr3 = 16;
inline constexpr uint32_t kAddr4 = 24;

// Header length of a data frame: 24 bytes (libpcap counts 24 for the
// four-address form too), plus the 2-byte QoS control field.
inline constexpr uint32_t kHdrLen = 24;
inline constexpr uint32_t kQosLen = 2;

// Radiotap: present-flags word at 4 (read as a big-endian word, so its
// little-endian bits land at these positions), the flags field's place.
inline constexpr uint32_t kRadiotapPresentOff = 4;
inline constexpr uint32_t kRadiotapPresentTsft = 0x01000000;   // bit 0: TSFT (8 bytes)
inline constexpr uint32_t kRadiotapPresentFlags = 0x02000000;  // bit 1: flags (1 byte)
inline constexpr uint32_t kRadiotapPresentExt = 0x00000080;    // bit 31: another word
inline constexpr uint32_t kRadiotapFlagsOff = 8;               // after the 8-byte header
inline constexpr uint32_t kRadiotapTsftLen = 8;
inline constexpr uint32_t kRadiotapFlagDataPad = 0x20;

// "type NAME": the type value in place (mgt 0x00, ctl 0x04, data 0x08).
std::optional<uint32_t> TypeByName(std::string_view name);
// "[type T] subtype NAME": the subtype value in place (0x80 for beacon),
// among the subtypes of type T.
std::optional<uint32_t> SubtypeByName(uint32_t type, std::string_view name);
// "subtype NAME" alone: type | subtype of the first type that has the name.
std::optional<uint32_t> TypeSubtypeByName(std::string_view name);
// "dir NAME": nods 0, tods 1, fromds 2, dstods 3.
std::optional<uint32_t> DirByName(std::string_view name);

}  // namespace bpfcap::proto::ieee80211
