// The two compilers under comparison, behind one small interface: libpcap
// (pcap_open_dead + pcap_compile + bpf_filter, linked into tests only) and
// bpfcap (Compile + cbpf::Run). Shared by the differential suite and the
// expression fuzzer.
#pragma once

#include <pcap/pcap.h>

#include <cstdint>
#include <optional>
#include <string>

#include "compiler/cbpf/cbpf.h"
#include "compiler/compile.h"
#include "tests/diff/packets.h"

namespace bpfcap::difftest {

struct Compiled {
  bool ok = false;
  std::string error;
  cbpf::Program prog;  // libpcap's bpf_insn has the same layout as cbpf::Insn
};

// One libpcap "dead" handle for a link type and snap length. Not
// thread-safe (libpcap's name lookups are not): compile from one thread.
class Libpcap {
 public:
  Libpcap(int dlt, uint32_t snaplen);
  ~Libpcap();
  Libpcap(const Libpcap&) = delete;
  Libpcap& operator=(const Libpcap&) = delete;

  Compiled Compile(const std::string& expr, bool optimize, uint32_t netmask);

 private:
  pcap_t* p_;
};

// bpfcap's compiler; exceptions become errors ("exception thrown: ...").
Compiled OursCompile(const std::string& expr, int dlt, uint32_t snaplen, bool optimize,
                     uint32_t netmask);

// True if a libpcap program reads scratch memory that no path stored first
// (after a "geneve" that failed): bpf_filter then reads what its stack
// held, so its verdict is not defined (see compilers.cc).
bool ReadsUnstoredScratch(const cbpf::Program& prog);

// libpcap 1.10.3 computes the offsets behind a link header of run-time
// length (pflog's header length, a radio header's, the 802.11 header's) in
// a prologue that it inserts in front of the program once the expression
// has been parsed, from the compiler's state at that time. A "geneve" has
// by then changed that state to its inner Ethernet frame: the offsets'
// registers are its own scratch slots, and the link type is Ethernet. So
// the prologue fills the last "geneve"'s slots, and every test before that
// "geneve" reads the slots it was compiled with, which nothing stores
// (zeros in bpf_filter's fresh stack): the outer frame is read from the
// start of the packet. The prologue also loses what depends on the link
// type: radiotap's padding after the 802.11 header and the check that a
// PPI frame carries 802.11 (libpcap_bugs_test.cc shows all three).
//
// SpliceLinkPrologue gives the program libpcap meant: the prologue of
// `source` (a program of the same link type without "geneve", which stores
// the outer offsets in the slots the tests before a "geneve" read), then
// `prog` without its own prologue. A jump of the prologue to a reject goes
// to a "ret #0" placed after it. Nothing when the programs do not have
// that shape.
std::optional<cbpf::Program> SpliceLinkPrologue(const cbpf::Program& source, const cbpf::Program& prog);

uint32_t LibpcapRun(const cbpf::Program& prog, const Packet& p);
uint32_t OursRun(const cbpf::Program& prog, const Packet& p);

// libpcap's own rendering (bpf_image), as bpf_dump prints it.
std::string LibpcapDump(const cbpf::Program& prog);

}  // namespace bpfcap::difftest
