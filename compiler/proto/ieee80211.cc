// IEEE 802.11 name tables (pcap-filter(7)); names match case-insensitively.

#include "compiler/proto/ieee80211.h"

#include <cctype>
#include <span>

namespace bpfcap::proto::ieee80211 {
namespace {

struct Name {
  std::string_view name;
  uint32_t value;
};

constexpr Name kTypes[] = {
    {"mgt", kTypeMgt}, {"management", kTypeMgt}, {"ctl", kTypeCtl},
    {"control", kTypeCtl}, {"data", kTypeData},
};

constexpr Name kMgtSubtypes[] = {
    {"assoc-req", 0x00},   {"assoc-resp", 0x10}, {"reassoc-req", 0x20}, {"reassoc-resp", 0x30},
    {"probe-req", 0x40},   {"probe-resp", 0x50}, {"beacon", 0x80},      {"atim", 0x90},
    {"disassoc", 0xa0},    {"auth", 0xb0},       {"deauth", 0xc0},
};

constexpr Name kCtlSubtypes[] = {
    {"ps-poll", 0xa0}, {"rts", 0xb0},    {"cts", 0xc0},
    {"ack", 0xd0},     {"cf-end", 0xe0}, {"cf-end-ack", 0xf0},
};

constexpr Name kDataSubtypes[] = {
    {"data", 0x00},             {"data-cf-ack", 0x10},      {"data-cf-poll", 0x20},
    {"data-cf-ack-poll", 0x30}, {"null", 0x40},             {"cf-ack", 0x50},
    {"cf-poll", 0x60},          {"cf-ack-poll", 0x70},      {"qos-data", 0x80},
    {"qos-data-cf-ack", 0x90},  {"qos-data-cf-poll", 0xa0}, {"qos-data-cf-ack-poll", 0xb0},
    {"qos", 0xc0},              {"qos-cf-poll", 0xe0},      {"qos-cf-ack-poll", 0xf0},
};

struct TypeSubtypes {
  uint32_t type;
  std::span<const Name> subtypes;
};

// In the order "subtype NAME" searches them.
constexpr TypeSubtypes kSubtypesByType[] = {
    {kTypeMgt, kMgtSubtypes},
    {kTypeCtl, kCtlSubtypes},
    {kTypeData, kDataSubtypes},
};

constexpr Name kDirs[] = {
    {"nods", 0}, {"tods", kFc1ToDs}, {"fromds", kFc1FromDs}, {"dstods", kFc1ToDs | kFc1FromDs},
};

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

std::optional<uint32_t> Find(std::span<const Name> names, std::string_view name) {
  for (const Name& n : names)
    if (EqualsIgnoreCase(n.name, name)) return n.value;
  return std::nullopt;
}

}  // namespace

std::optional<uint32_t> TypeByName(std::string_view name) { return Find(kTypes, name); }

std::optional<uint32_t> SubtypeByName(uint32_t type, std::string_view name) {
  for (const TypeSubtypes& t : kSubtypesByType)
    if (t.type == type) return Find(t.subtypes, name);
  return std::nullopt;
}

std::optional<uint32_t> TypeSubtypeByName(std::string_view name) {
  for (const TypeSubtypes& t : kSubtypesByType) {
    if (auto v = Find(t.subtypes, name)) return t.type | *v;
  }
  return std::nullopt;
}

std::optional<uint32_t> DirByName(std::string_view name) { return Find(kDirs, name); }

}  // namespace bpfcap::proto::ieee80211
