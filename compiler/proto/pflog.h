// OpenBSD/FreeBSD pf's log header (DLT_PFLOG): where its fields are and the
// names pcap-filter(7) gives to its reason codes and actions.
//
// The header (pfloghdr) is: length (1 byte: the header's own length, the
// network-layer header starting at it rounded up to 4), address family (1),
// action (1), reason (1), interface name (16), ruleset name (16), rule number
// (4), subrule number (4), uid, pid, rule uid, rule pid (4 each), direction
// (1), padding. Numbers are big-endian, names NUL-padded.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace bpfcap::proto {

// A pflog keyword: "ifname em0", "rnr 3", "reason short", ...
enum class PfField : uint8_t {
  kIfName,   // "ifname NAME", "on NAME"
  kRuleset,  // "rset NAME", "ruleset NAME"
  kRuleNr,   // "rnr N", "rulenum N"
  kSubRuleNr,  // "srnr N", "subrulenum N"
  kReason,   // "reason CODE" (name or number)
  kAction,   // "action NAME"
};

struct PfFieldInfo {
  PfField field;
  std::string_view keyword;  // the canonical spelling, for messages
  uint32_t off;              // from the start of the pflog header
  uint8_t size;              // bytes: 1 or 4; a name field's capacity
};

const PfFieldInfo& Info(PfField f);

inline constexpr uint32_t kPflogLengthOff = 0;  // header length byte
inline constexpr uint32_t kPflogAfOff = 1;      // address family byte
inline constexpr uint32_t kPflogDirOff = 60;    // direction: 1 in, 2 out
inline constexpr uint32_t kPflogDirIn = 1;
inline constexpr uint32_t kPflogDirOut = 2;
inline constexpr uint32_t kPflogNameMax = 15;   // name fields hold 16 bytes with the NUL

// pf's reason code for a name (case-insensitive): "match" 0 ... "synproxy" 14.
std::optional<uint32_t> PfReasonByName(std::string_view name);
// pf's action number for a name (case-insensitive): "pass" 0, "block" 1 ...
std::optional<uint32_t> PfActionByName(std::string_view name);

}  // namespace bpfcap::proto
