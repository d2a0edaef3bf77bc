// libbpfcap_pcap: libpcap's filter API, implemented with bpfcap.
//
// Takes what programs that use libpcap only for its filter compiler call
// (pcap_open_dead, pcap_compile, bpf_filter, bpf_dump, ...), with the
// signatures, structs and return conventions of libpcap 1.10: this file is
// compiled against the installed <pcap/pcap.h>, so the compiler checks every
// signature against libpcap's own declarations. Only `struct pcap` (opaque
// to callers) is ours: a "dead" handle holding a link type, a snap length, a
// time stamp precision and an error buffer.
//
// Deliberate differences from libpcap, documented in libbpfcap(3):
//   - error texts are bpfcap's one-line messages with a column and a token;
//   - pcap_compile refuses link types bpfcap does not compile for;
//   - bpf_image's buffer is per thread (libpcap's is one static buffer); the
//     pointer still stays valid only until the next call.
// bpf_validate accepts exactly what libpcap's does (cbpf::ValidateLikeLibpcap),
// which is less than the kernel demands; bpfcap_validate() in the native API
// applies the kernel's rules.
// Nothing capture-related is here: no live handles, no savefiles.
#include <pcap/pcap.h>

#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/cbpf/cbpf.h"
#include "compiler/cbpf/insn.h"
#include "compiler/compile.h"
#include "compiler/diag.h"
#include "compiler/proto/linktypes.h"

static_assert(sizeof(struct bpf_insn) == sizeof(bpfcap::cbpf::Insn));
static_assert(offsetof(struct bpf_insn, k) == offsetof(bpfcap::cbpf::Insn, k));
static_assert(PCAP_NETMASK_UNKNOWN == bpfcap::kNetmaskUnknown);

// A dead capture handle: pcap_open_dead's result.
struct pcap {
  int linktype = DLT_EN10MB;
  int snaplen = 0;
  int precision = PCAP_TSTAMP_PRECISION_MICRO;
  char errbuf[PCAP_ERRBUF_SIZE] = {};
};

namespace {

using bpfcap::cbpf::Insn;

// Link type names libpcap knows that bpfcap does not compile for, so that
// name ↔ number conversions still work for programs that only print them.
// The names are the DLT_ macros of <pcap/dlt.h> without the prefix.
struct ExtraLinkName {
  int dlt;
  const char* name;
  const char* description;
};
constexpr ExtraLinkName kExtraLinkNames[] = {
    {6, "IEEE802", "Token ring"},
    {8, "SLIP", "SLIP"},
    {10, "FDDI", "FDDI"},
    {51, "PPP_ETHER", "PPPoE"},
    {105, "IEEE802_11", "802.11"},
    {117, "PFLOG", "OpenBSD pflog file"},
    {119, "PRISM_HEADER", "802.11 plus Prism header"},
    {127, "IEEE802_11_RADIO", "802.11 plus radiotap header"},
    {163, "IEEE802_11_RADIO_AVS", "802.11 plus AVS radio information header"},
    {189, "USB_LINUX", "USB with Linux header"},
    {192, "PPI", "Per-Packet Information"},
    {220, "USB_LINUX_MMAPPED", "USB with padded Linux header"},
    {227, "CAN_SOCKETCAN", "CAN-bus with SocketCAN headers"},
    {239, "NFLOG", "Linux netfilter log messages"},
    {253, "NETLINK", "Linux netlink"},
};

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'a' && x <= 'z') x = static_cast<char>(x - 'a' + 'A');
    if (y >= 'a' && y <= 'z') y = static_cast<char>(y - 'a' + 'A');
    if (x != y) return false;
  }
  return true;
}

void SetError(pcap_t* p, const std::string& message) {
  std::snprintf(p->errbuf, sizeof p->errbuf, "%s", message.c_str());
}

std::string SupportedLinkTypes() {
  std::string names;
  for (const bpfcap::proto::LinkType& lt : bpfcap::proto::AllLinkTypes()) {
    if (lt.name.empty()) continue;
    if (!names.empty()) names += ", ";
    names += lt.name;
  }
  return names;
}

// Compiles for a dead handle's link type and snap length. On failure fills
// *error and returns false; *out is untouched.
bool CompileFor(int linktype, int snaplen, const char* expr, int optimize, bpf_u_int32 netmask,
                bpf_program* out, std::string* error) {
  if (!out) {
    *error = "pcap_compile: no program to fill (NULL)";
    return false;
  }
  if (!bpfcap::proto::FindLinkType(linktype)) {
    const char* name = pcap_datalink_val_to_name(linktype);
    *error = "link type " + std::to_string(linktype) + (name ? std::string(" (") + name + ")" : "") +
             " is not supported by bpfcap (it compiles for " + SupportedLinkTypes() + ")";
    return false;
  }
  if (snaplen == 0) {
    *error = "snaplen of 0 rejects all packets";
    return false;
  }
  bpfcap::CompileOptions opts;
  opts.dlt = linktype;
  opts.snaplen = static_cast<uint32_t>(snaplen);  // libpcap: negative wraps
  opts.netmask = netmask;
  opts.optimize = optimize != 0;
  const std::string_view text = expr ? expr : "";
  bpfcap::CompileResult r = bpfcap::Compile(text, opts);
  if (!r.diag.ok()) {
    *error = bpfcap::FormatDiag(r.diag, text);
    return false;
  }
  // pcap_freecode (ours and libpcap's) releases bf_insns with free().
  const size_t bytes = r.program.size() * sizeof(Insn);
  auto* insns = static_cast<bpf_insn*>(std::malloc(bytes == 0 ? 1 : bytes));
  if (!insns) {
    *error = "out of memory";
    return false;
  }
  if (bytes != 0) std::memcpy(insns, r.program.data(), bytes);
  out->bf_len = static_cast<u_int>(r.program.size());
  out->bf_insns = insns;
  return true;
}

// struct bpf_insn is cbpf::Insn: the interpreter reads the caller's
// instructions in place.
const Insn* AsInsns(const bpf_insn* insns) { return reinterpret_cast<const Insn*>(insns); }

}  // namespace

extern "C" {

pcap_t* pcap_open_dead_with_tstamp_precision(int linktype, int snaplen, u_int precision) {
  pcap_t* p = new (std::nothrow) pcap;
  if (!p) return nullptr;
  p->linktype = linktype;
  p->snaplen = snaplen;
  // libpcap 1.10 quietly takes microseconds for a precision it does not know.
  p->precision = precision == PCAP_TSTAMP_PRECISION_NANO ? PCAP_TSTAMP_PRECISION_NANO
                                                          : PCAP_TSTAMP_PRECISION_MICRO;
  return p;
}

pcap_t* pcap_open_dead(int linktype, int snaplen) {
  return pcap_open_dead_with_tstamp_precision(linktype, snaplen, PCAP_TSTAMP_PRECISION_MICRO);
}

void pcap_close(pcap_t* p) { delete p; }

int pcap_datalink(pcap_t* p) { return p ? p->linktype : PCAP_ERROR; }

int pcap_snapshot(pcap_t* p) { return p ? p->snaplen : PCAP_ERROR; }

int pcap_get_tstamp_precision(pcap_t* p) { return p ? p->precision : PCAP_ERROR; }

char* pcap_geterr(pcap_t* p) { return p ? p->errbuf : nullptr; }

const char* pcap_lib_version(void) {
  return "bpfcap 0.1.0 (libpcap-compatible filter API of bpfcap)";
}

int pcap_compile(pcap_t* p, struct bpf_program* program, const char* expr, int optimize,
                 bpf_u_int32 netmask) {
  if (!p) return PCAP_ERROR;
  std::string error;
  try {
    if (CompileFor(p->linktype, p->snaplen, expr, optimize, netmask, program, &error)) return 0;
  } catch (...) {
    error = "out of memory";
  }
  SetError(p, error);
  return PCAP_ERROR;
}

int pcap_compile_nopcap(int snaplen, int linktype, struct bpf_program* program, const char* expr,
                        int optimize, bpf_u_int32 netmask) {
  // As libpcap: the message has no handle to go to.
  std::string error;
  try {
    return CompileFor(linktype, snaplen, expr, optimize, netmask, program, &error) ? 0 : -1;
  } catch (...) {
    return -1;
  }
}

void pcap_freecode(struct bpf_program* program) {
  if (!program) return;
  std::free(program->bf_insns);
  program->bf_insns = nullptr;
  program->bf_len = 0;
}

u_int bpf_filter(const struct bpf_insn* insns, const u_char* pkt, u_int wirelen, u_int caplen) {
  if (!insns) return static_cast<u_int>(-1);  // no program: accept everything
  // No length comes with the program: run it where it lies, reading only
  // the instructions control reaches, as libpcap does (no copy, no scan).
  return bpfcap::cbpf::RunUnbounded(AsInsns(insns), pkt, wirelen, caplen);
}

int pcap_offline_filter(const struct bpf_program* program, const struct pcap_pkthdr* h,
                        const u_char* pkt) {
  if (!program || !program->bf_insns || !h) return 0;
  return static_cast<int>(bpfcap::cbpf::Run({AsInsns(program->bf_insns), program->bf_len}, pkt,
                                            h->len, h->caplen));
}

int bpf_validate(const struct bpf_insn* insns, int len) {
  return bpfcap::cbpf::ValidateLikeLibpcap(AsInsns(insns), len) ? 1 : 0;
}

char* bpf_image(const struct bpf_insn* insn, int n) {
  // libpcap returns a static buffer; this one is per thread, which keeps the
  // contract (valid until the next call) and adds thread safety.
  thread_local char image[256];
  Insn in;
  std::memcpy(&in, insn, sizeof in);
  const std::string text = bpfcap::cbpf::Image(in, static_cast<uint32_t>(n));
  std::snprintf(image, sizeof image, "%s", text.c_str());
  return image;
}

void bpf_dump(const struct bpf_program* program, int option) {
  if (!program) return;
  bpfcap::cbpf::Program prog(program->bf_len);
  if (program->bf_len != 0) std::memcpy(prog.data(), program->bf_insns, prog.size() * sizeof(Insn));
  // libpcap: 3 and above decimal (-ddd), 2 C (-dd), anything else -d.
  const std::string text = option > 2   ? bpfcap::cbpf::DumpDecimal(prog)
                           : option > 1 ? bpfcap::cbpf::DumpC(prog)
                                        : bpfcap::cbpf::DumpAsm(prog);
  std::fwrite(text.data(), 1, text.size(), stdout);
}

int pcap_datalink_name_to_val(const char* name) {
  if (!name) return -1;
  const std::string_view n(name);
  for (const bpfcap::proto::LinkType& lt : bpfcap::proto::AllLinkTypes()) {
    if (!lt.name.empty() && EqualsIgnoreCase(lt.name, n)) return lt.dlt;
  }
  for (const ExtraLinkName& e : kExtraLinkNames) {
    if (EqualsIgnoreCase(e.name, n)) return e.dlt;
  }
  return -1;
}

const char* pcap_datalink_val_to_name(int dlt) {
  // (DLTs libpcap has no name for have an empty one in the table)
  const bpfcap::proto::LinkType* lt = bpfcap::proto::FindLinkType(dlt);
  if (lt && !lt->name.empty()) return lt->name.data();
  for (const ExtraLinkName& e : kExtraLinkNames) {
    if (e.dlt == dlt) return e.name;
  }
  return nullptr;
}

const char* pcap_datalink_val_to_description(int dlt) {
  const bpfcap::proto::LinkType* lt = bpfcap::proto::FindLinkType(dlt);
  if (lt && !lt->description.empty()) return lt->description.data();
  for (const ExtraLinkName& e : kExtraLinkNames) {
    if (e.dlt == dlt) return e.description;
  }
  return nullptr;
}

}  // extern "C"
