// pflog tables; see pflog.h.
#include "compiler/proto/pflog.h"

#include <cctype>
#include <iterator>

namespace bpfcap::proto {
namespace {

constexpr PfFieldInfo kFields[] = {
    {PfField::kIfName, "ifname", 4, 16},
    {PfField::kRuleset, "ruleset", 20, 16},
    {PfField::kRuleNr, "rnr", 36, 4},
    {PfField::kSubRuleNr, "srnr", 40, 4},
    {PfField::kReason, "reason", 3, 1},
    {PfField::kAction, "action", 2, 1},
};

constexpr bool InEnumOrder() {
  for (size_t i = 0; i < std::size(kFields); ++i)
    if (static_cast<size_t>(kFields[i].field) != i) return false;
  return true;
}
static_assert(InEnumOrder(), "kFields must be indexed by PfField");

struct Named {
  std::string_view name;
  uint32_t value;
};

// pf's PFRES_* codes, in pf's order.
constexpr Named kReasons[] = {
    {"match", 0},           {"bad-offset", 1},     {"fragment", 2},     {"short", 3},
    {"normalize", 4},       {"memory", 5},         {"bad-timestamp", 6}, {"congestion", 7},
    {"ip-option", 8},       {"proto-cksum", 9},    {"state-mismatch", 10},
    {"state-insert", 11},   {"state-limit", 12},   {"src-limit", 13},   {"synproxy", 14},
};

// pf's PF_* actions; "accept" and "drop" are libpcap's synonyms.
constexpr Named kActions[] = {
    {"pass", 0},  {"accept", 0}, {"block", 1}, {"drop", 1},   {"scrub", 2},
    {"noscrub", 3}, {"nat", 4},  {"nonat", 5}, {"binat", 6},  {"nobinat", 7},
    {"rdr", 8},   {"nordr", 9},
};

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

template <size_t N>
std::optional<uint32_t> Find(const Named (&table)[N], std::string_view name) {
  for (const Named& n : table)
    if (EqualsIgnoreCase(n.name, name)) return n.value;
  return std::nullopt;
}

}  // namespace

const PfFieldInfo& Info(PfField f) { return kFields[static_cast<size_t>(f)]; }

std::optional<uint32_t> PfReasonByName(std::string_view name) { return Find(kReasons, name); }
std::optional<uint32_t> PfActionByName(std::string_view name) { return Find(kActions, name); }

}  // namespace bpfcap::proto
