// The expression corpus of the differential tests (tests/diff/exprs.txt):
// one expression a line, grouped under "#@ expect: X" lines that state what
// libpcap does with them on EN10MB. Shared by the libpcap differential test
// (diff_test.cc) and the eBPF equivalence test
// (tests/compiler/ebpf/equivalence_test.cc).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace bpfcap::difftest {

enum class Expect {
  kAccept,        // "#@ expect: accept"
  kReject,        // "#@ expect: reject"
  kOptRejects,    // "#@ expect: opt-rejects": only the optimizer refuses
  kNeedsNetmask,  // "#@ expect: needs-netmask"
  kAny,           // "#@ expect: any": not checked
  kBpfcapRejects, // "#@ expect: bpfcap-rejects": libpcap accepts, bpfcap refuses on purpose
  kLibpcapBug,    // "#@ expect: libpcap-bug": libpcap 1.10.3 is wrong; bpfcap follows
                  // pcap-filter(7); not compared, counted (and must really differ)
};

struct CorpusEntry {
  std::string expr;
  Expect expect;
  int line;  // in the file
  std::string file = "exprs.txt";
  // libpcap-bug entries written "EXPR @ NAME[,NAME...]": the link types
  // where libpcap is wrong; elsewhere the entry is an ordinary "accept".
  // Empty: wrong (or refused by both) everywhere.
  std::vector<std::string> bug_links;

  // Whether the entry is held to libpcap's verdicts on link type `name`.
  bool IsLibpcapBugOn(std::string_view name) const;
};

// Where exprs.txt is: $BPFCAP_DIFF_EXPRS, else tests/diff/exprs.txt from the
// working directory, else beside this source file.
std::string CorpusPath();

// The corpus, or an empty vector and *error.
std::vector<CorpusEntry> LoadCorpus(std::string* error);
std::vector<CorpusEntry> LoadCorpus(const std::string& path, std::string* error);

// LoadCorpus once per process; a load error is printed to stderr.
const std::vector<CorpusEntry>& Corpus();

// The 802.11 corpus, exprs_wlan.txt ($BPFCAP_DIFF_WLAN_EXPRS, found like
// exprs.txt): wlan addresses, type/subtype/dir, LLC protocols and their
// refusals. Its "#@ expect:" sections state what libpcap does on
// IEEE802_11_RADIO.
std::string WlanCorpusPath();
const std::vector<CorpusEntry>& WlanCorpus();

}  // namespace bpfcap::difftest
