// The support table (docs/support.md), generated from a compile matrix.
//
// For every DLT 0..300 for which the installed libpcap generates code (it
// compiles the empty expression), and for every probe expression of
// kProbes (one or more per keyword of pcap-filter(7)), both compilers are
// asked, unoptimized and optimized, with netmask 255.255.255.0 so that
// "ip broadcast" is meaningful. A cell agrees when bpfcap accepts exactly
// where libpcap accepts, in both modes. The table lists, per link type and
// per keyword, where libpcap compiles it and whether bpfcap does too; what
// the programs then accept is the differential suite's job (tests/diff).
//
//   SupportTable.CommittedTableIsCurrent   docs/support.md == the matrix today
//   SupportTable.EveryLibpcapLinkTypeHasARow
//   SupportTable.NothingLibpcapCompilesIsMissing
//
// `make support-table` (UPDATE_SUPPORT=1) rewrites docs/support.md.
#include <pcap/pcap.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "compiler/proto/linktypes.h"
#include "tests/diff/compilers.h"

namespace bpfcap::difftest {
namespace {

constexpr uint32_t kNetmask = 0xffffff00;
constexpr int kMaxDlt = 300;

struct Probe {
  const char* keyword;  // the row of the keyword table
  const char* expr;
};

// One line per keyword; several probes for a keyword that takes forms.
constexpr Probe kProbes[] = {
    {"(empty)", ""},
    {"len, less, greater", "len > 100"},
    {"len, less, greater", "less 60"},
    {"len, less, greater", "greater 1000"},
    {"link[...], ether[...]", "link[0] = 1"},
    {"link[...], ether[...]", "ether[2:2] & 0xff00 != 0"},
    {"inbound, outbound", "inbound"},
    {"inbound, outbound", "outbound"},
    {"ifindex", "ifindex 2"},
    {"ether host/src/dst", "ether host 00:11:22:33:44:55"},
    {"ether host/src/dst", "ether src 00:11:22:33:44:55"},
    {"ether broadcast, multicast", "ether broadcast"},
    {"ether broadcast, multicast", "ether multicast"},
    {"ether proto", "ether proto 0x88cc"},
    {"ether proto", "ether proto 100"},
    {"ether proto", "ether proto \\ip"},
    {"ip, ip6", "ip"},
    {"ip, ip6", "ip6"},
    {"arp, rarp", "arp"},
    {"arp, rarp", "rarp"},
    {"host, net (IPv4)", "host 10.0.0.1"},
    {"host, net (IPv4)", "src net 10.0.0.0/8"},
    {"host, net (IPv4)", "arp host 10.0.0.1"},
    {"host, net (IPv6)", "host 2001:db8::1"},
    {"host, net (IPv6)", "dst net 2001:db8::/32"},
    {"ip broadcast, multicast", "ip broadcast"},
    {"ip broadcast, multicast", "ip multicast"},
    {"ip broadcast, multicast", "ip6 multicast"},
    {"ip proto, ip6 proto, proto", "ip proto 47"},
    {"ip proto, ip6 proto, proto", "ip6 proto 58"},
    {"ip proto, ip6 proto, proto", "proto 6"},
    {"protochain", "ip protochain 6"},
    {"protochain", "ip6 protochain 17"},
    {"tcp, udp, sctp", "tcp"},
    {"tcp, udp, sctp", "udp"},
    {"tcp, udp, sctp", "sctp"},
    {"icmp, icmp6, igmp, igrp, pim, ah, esp, vrrp, carp", "icmp"},
    {"icmp, icmp6, igmp, igrp, pim, ah, esp, vrrp, carp", "icmp6"},
    {"icmp, icmp6, igmp, igrp, pim, ah, esp, vrrp, carp", "igmp or igrp or pim"},
    {"icmp, icmp6, igmp, igrp, pim, ah, esp, vrrp, carp", "ah or esp or vrrp or carp"},
    {"port, portrange", "port 80"},
    {"port, portrange", "tcp dst port 443"},
    {"port, portrange", "udp portrange 1000-2000"},
    {"ip[...], tcp[...], icmp[...]", "ip[0] & 0xf > 5"},
    {"ip[...], tcp[...], icmp[...]", "tcp[tcpflags] & tcp-syn != 0"},
    {"ip[...], tcp[...], icmp[...]", "icmp[icmptype] = icmp-echo"},
    {"ip[...], tcp[...], icmp[...]", "ip6[6] = 17"},
    {"gateway", "gateway localhost"},
    {"vlan", "vlan"},
    {"vlan", "vlan 100 and ip"},
    {"mpls", "mpls"},
    {"mpls", "mpls 16 and ip"},
    {"pppoed, pppoes", "pppoed"},
    {"pppoed, pppoes", "pppoes 1 and ip"},
    {"geneve", "geneve"},
    {"geneve", "geneve 5 and ip host 1.2.3.4"},
    {"llc", "llc"},
    {"llc", "llc u"},
    {"stp, ipx, netbeui", "stp"},
    {"stp, ipx, netbeui", "ipx"},
    {"stp, ipx, netbeui", "netbeui"},
    {"decnet", "decnet"},
    {"decnet", "decnet host 1.2"},
    {"iso, clnp, esis, isis", "iso"},
    {"iso, clnp, esis, isis", "clnp"},
    {"iso, clnp, esis, isis", "esis"},
    {"iso, clnp, esis, isis", "isis"},
    {"l1, l2, iih, lsp, snp, csnp, psnp", "l1 or l2"},
    {"l1, l2, iih, lsp, snp, csnp, psnp", "iih or lsp"},
    {"l1, l2, iih, lsp, snp, csnp, psnp", "snp or csnp or psnp"},
    {"atalk, aarp", "atalk"},
    {"atalk, aarp", "aarp"},
    {"lat, moprc, mopdl, sca", "lat or sca"},
    {"lat, moprc, mopdl, sca", "moprc or mopdl"},
    {"wlan addr1..addr4, ra, ta", "wlan addr1 00:11:22:33:44:55"},
    {"wlan addr1..addr4, ra, ta", "wlan ra 00:11:22:33:44:55"},
    {"type, subtype, dir", "type mgt subtype beacon"},
    {"type, subtype, dir", "dir tods"},
    {"pflog: on, ifname, rnr, rulenum, reason, rset, srnr, subrule, action", "on eth0"},
    {"pflog: on, ifname, rnr, rulenum, reason, rset, srnr, subrule, action", "rnr 1"},
    {"pflog: on, ifname, rnr, rulenum, reason, rset, srnr, subrule, action", "action pass"},
    {"ATM: vpi, vci, lane, oam, oamf4, metac, bcc, sc, ilmic, ...", "vpi 1"},
    {"ATM: vpi, vci, lane, oam, oamf4, metac, bcc, sc, ilmic, ...", "lane"},
    {"ATM: vpi, vci, lane, oam, oamf4, metac, bcc, sc, ilmic, ...", "oamf4"},
    {"MTP2/3: fisu, lssu, msu, sio, opc, dpc, sls (and h forms)", "fisu or msu"},
    {"MTP2/3: fisu, lssu, msu, sio, opc, dpc, sls (and h forms)", "sio 3"},
    {"MTP2/3: fisu, lssu, msu, sio, opc, dpc, sls (and h forms)", "hdpc 5"},
};

struct Cell {
  bool lib_unopt = false, lib_opt = false;  // libpcap compiles it
  bool ours_unopt = false, ours_opt = false;
  bool Agrees() const { return lib_unopt == ours_unopt && lib_opt == ours_opt; }
  bool LibAccepts() const { return lib_unopt; }
};
// (Cells of a link type bpfcap has no row for keep ours_* false.)

struct LinkRow {
  int dlt;
  std::string name, description;  // libpcap's
  const proto::LinkType* ours;
  std::vector<Cell> cells;  // per probe
};

// The DLTs libpcap generates code for, and every probe on each.
const std::vector<LinkRow>& Matrix() {
  static const std::vector<LinkRow> rows = [] {
    std::vector<LinkRow> out;
    for (int dlt = 0; dlt <= kMaxDlt; ++dlt) {
      Libpcap lib(dlt, 65535);
      if (!lib.Compile("", false, kNetmask).ok) continue;
      LinkRow row;
      row.dlt = dlt;
      const char* name = pcap_datalink_val_to_name(dlt);
      const char* desc = pcap_datalink_val_to_description(dlt);
      row.name = name ? name : "";
      row.description = desc ? desc : "";
      row.ours = proto::FindLinkType(dlt);
      for (const Probe& p : kProbes) {
        Cell c;
        c.lib_unopt = lib.Compile(p.expr, false, kNetmask).ok;
        c.lib_opt = lib.Compile(p.expr, true, kNetmask).ok;
        if (row.ours) {
          c.ours_unopt = OursCompile(p.expr, dlt, 65535, false, kNetmask).ok;
          c.ours_opt = OursCompile(p.expr, dlt, 65535, true, kNetmask).ok;
        }
        row.cells.push_back(c);
      }
      out.push_back(std::move(row));
    }
    return out;
  }();
  return rows;
}

// Probes of a keyword row, by index.
std::vector<std::pair<std::string, std::vector<size_t>>> Keywords() {
  std::vector<std::pair<std::string, std::vector<size_t>>> out;
  for (size_t i = 0; i < std::size(kProbes); ++i) {
    if (out.empty() || out.back().first != kProbes[i].keyword) out.push_back({kProbes[i].keyword, {}});
    out.back().second.push_back(i);
  }
  return out;
}

std::string Escape(std::string s) {
  std::string out;
  for (char c : s) {
    if (c == '|') out += "\\|";
    else out += c;
  }
  return out;
}

std::string Generate() {
  const auto& m = Matrix();
  std::ostringstream o;
  o << "# What bpfcap supports\n\n"
    << "Generated by `make support-table` from a compile matrix "
       "(tests/support/support_table_test.cc): every link type (DLT 0-" << kMaxDlt
    << ") for which the installed libpcap generates code, times " << std::size(kProbes)
    << " probe expressions covering the keywords of pcap-filter(7), each compiled by libpcap and by "
       "bpfcap, unoptimized and optimized. A cell agrees when bpfcap compiles exactly what libpcap "
       "compiles (and refuses what it refuses). That the compiled programs also give libpcap's "
       "verdicts is checked by the differential suite (tests/diff) on the link types it generates "
       "frames for. `make check` fails when this file is not what the matrix gives today.\n\n";
  size_t rows_ok = 0;
  for (const LinkRow& r : m) {
    bool ok = r.ours != nullptr;
    for (const Cell& c : r.cells) ok = ok && c.Agrees();
    rows_ok += ok;
  }
  o << "## Link types\n\n"
    << rows_ok << " of " << m.size() << " link types agree on every probe.\n"
    << "\"libpcap compiles\": how many of the probes libpcap compiles on it; \"bpfcap\": "
       "\"yes\" when every probe agrees, else the probes that differ.\n\n"
    << "| DLT | name | description | libpcap compiles | bpfcap |\n"
    << "|----:|------|-------------|-----------------:|--------|\n";
  for (const LinkRow& r : m) {
    size_t lib = 0;
    std::vector<std::string> differ;
    for (size_t i = 0; i < r.cells.size(); ++i) {
      lib += r.cells[i].LibAccepts();
      if (!r.ours || !r.cells[i].Agrees()) differ.push_back("`" + std::string(kProbes[i].expr) + "`");
    }
    std::string verdict;
    if (!r.ours) {
      verdict = "**no**: not a bpfcap link type yet";
    } else if (differ.empty()) {
      verdict = "yes";
    } else {
      verdict = "**no**: ";
      for (size_t i = 0; i < differ.size(); ++i) verdict += (i ? ", " : "") + differ[i];
    }
    o << "| " << r.dlt << " | " << (r.name.empty() ? "-" : r.name) << " | " << Escape(r.description)
      << " | " << lib << "/" << r.cells.size() << " | " << Escape(verdict) << " |\n";
  }
  o << "\n## Keywords\n\n"
    << "Per keyword: on how many of the link types above libpcap compiles its probes, and whether "
       "bpfcap agrees on all of them.\n\n"
    << "| keyword | probes | libpcap compiles on | bpfcap |\n"
    << "|---------|--------|--------------------:|--------|\n";
  for (const auto& [keyword, probes] : Keywords()) {
    size_t links = 0;
    std::set<std::string> differ;
    for (const LinkRow& r : m) {
      bool any = false;
      for (size_t i : probes) {
        any = any || r.cells[i].LibAccepts();
        // (a link type bpfcap lacks differs where libpcap compiles the probe)
        if (!r.cells[i].Agrees()) differ.insert(r.name.empty() ? std::to_string(r.dlt) : r.name);
      }
      links += any;
    }
    std::string exprs;
    for (size_t i : probes) exprs += (exprs.empty() ? "" : ", ") + ("`" + std::string(kProbes[i].expr) + "`");
    std::string verdict = "yes";
    if (!differ.empty()) {
      verdict = "**no** on " + std::to_string(differ.size()) + ": ";
      size_t n = 0;
      for (const std::string& d : differ) {
        if (n == 8) {
          verdict += ", ...";
          break;
        }
        verdict += (n++ ? ", " : "") + d;
      }
    }
    o << "| " << Escape(keyword) << " | " << Escape(exprs) << " | " << links << " | "
      << Escape(verdict) << " |\n";
  }
  return o.str();
}

std::string SupportPath() {
  const char* env = std::getenv("BPFCAP_SUPPORT_MD");
  return env ? env : "docs/support.md";
}

// Link types and keywords still being added (issue 4). Entries leave
// these lists as they land.
const std::set<int> kPendingLinkTypes = {};
const std::set<std::string> kPendingKeywords = {};
// Keywords bpfcap refuses on some link types where libpcap compiles them,
// each with its reason. NothingLibpcapCompilesIsMissing also checks that
// these cells still differ, so an entry leaves as soon as it is supported.
struct PendingCells {
  const char* keyword;
  std::set<int> dlts;
  const char* reason;
};
const std::vector<PendingCells> kPendingCells = {};
const PendingCells* PendingCell(const char* keyword, int dlt) {
  for (const PendingCells& p : kPendingCells) {
    if (std::string(p.keyword) == keyword && p.dlts.count(dlt)) return &p;
  }
  return nullptr;
}

TEST(SupportTable, CommittedTableIsCurrent) {
  const std::string now = Generate();
  if (std::getenv("UPDATE_SUPPORT")) {
    std::ofstream out(SupportPath());
    out << now;
    ASSERT_TRUE(out.good()) << "cannot write " << SupportPath();
    std::printf("[support] wrote %s\n", SupportPath().c_str());
    return;
  }
  std::ifstream in(SupportPath());
  ASSERT_TRUE(in.good()) << "cannot read " << SupportPath() << " (run from the source root)";
  std::stringstream committed;
  committed << in.rdbuf();
  EXPECT_EQ(committed.str(), now) << SupportPath()
                                  << " is out of date: run `make support-table` and commit it";
}

TEST(SupportTable, EveryLibpcapLinkTypeHasARow) {
  for (const LinkRow& r : Matrix()) {
    if (kPendingLinkTypes.count(r.dlt)) continue;
    ASSERT_NE(r.ours, nullptr) << "DLT " << r.dlt << " (" << r.name << ")";
    EXPECT_EQ(r.ours->name, r.name) << "DLT " << r.dlt;
  }
  // And no row for a DLT libpcap cannot compile for.
  std::set<int> lib;
  for (const LinkRow& r : Matrix()) lib.insert(r.dlt);
  for (const proto::LinkType& l : proto::AllLinkTypes()) {
    EXPECT_TRUE(lib.count(l.dlt)) << "DLT " << l.dlt << " (" << l.name << ") is not a libpcap link type";
  }
}

TEST(SupportTable, NothingLibpcapCompilesIsMissing) {
  const auto& m = Matrix();
  for (const LinkRow& r : m) {
    if (kPendingLinkTypes.count(r.dlt) || !r.ours) continue;
    for (size_t i = 0; i < r.cells.size(); ++i) {
      if (kPendingKeywords.count(kProbes[i].keyword)) continue;
      const Cell& c = r.cells[i];
      if (const PendingCells* p = PendingCell(kProbes[i].keyword, r.dlt)) {
        EXPECT_FALSE(c.Agrees()) << "DLT " << r.dlt << " " << r.name << ": '" << kProbes[i].expr
                                 << "' agrees now: remove it from kPendingCells (" << p->reason << ")";
        continue;
      }
      EXPECT_TRUE(c.Agrees()) << "DLT " << r.dlt << " " << r.name << ": '" << kProbes[i].expr
                              << "': libpcap unopt/opt " << c.lib_unopt << "/" << c.lib_opt
                              << ", bpfcap " << c.ours_unopt << "/" << c.ours_opt;
    }
  }
}

}  // namespace
}  // namespace bpfcap::difftest
