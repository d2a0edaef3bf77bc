// The two compilers under comparison, behind one small interface: libpcap
// (pcap_open_dead + pcap_compile + bpf_filter, linked into tests only) and
// bpfcap (Compile + cbpf::Run). Shared by the differential suite and the
// expression fuzzer.
#pragma once

#include <pcap/pcap.h>

#include <cstdint>
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

uint32_t LibpcapRun(const cbpf::Program& prog, const Packet& p);
uint32_t OursRun(const cbpf::Program& prog, const Packet& p);

// libpcap's own rendering (bpf_image), as bpf_dump prints it.
std::string LibpcapDump(const cbpf::Program& prog);

}  // namespace bpfcap::difftest
