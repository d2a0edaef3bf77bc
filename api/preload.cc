// libbpfcap_preload.so: makes a program linked with the real libpcap use
// bpfcap's filter compiler, without rebuilding it:
//
//   LD_PRELOAD=libbpfcap_preload.so tcpdump -i eth0 'tcp port 80'
//
// Takes: calls to pcap_compile() (the only symbol interposed). Reads the
// link type and snap length of the caller's pcap_t through libpcap's own
// accessors (pcap_datalink, pcap_snapshot, found with dlsym(RTLD_NEXT)), so
// the shim depends on nothing inside libpcap's private struct.
//
// Produces: a struct bpf_program whose bf_insns is malloc'd, as libpcap's
// pcap_freecode() expects (it calls free()).
//
// Live or not: a program for a live Linux capture must be compiled for the
// kernel (CompileOptions::for_kernel: "vlan" also tests the tag the kernel
// moved into ancillary data). A handle is live when pcap_file() is NULL (not
// a savefile) and pcap_fileno() is an AF_PACKET socket (getsockopt
// SO_DOMAIN). Dead handles (pcap_open_dead, used by tcpdump -d) report
// fileno 0 in libpcap 1.10, which is stdin, never a packet socket of theirs;
// savefiles report their FILE*. No handle is remembered: the shim keeps no
// state besides the libpcap functions it looked up.
//
// When bpfcap cannot compile an expression (an unsupported link type or
// construct, or an error in the expression), the call goes to libpcap's own
// pcap_compile after a one-line warning on stderr. With
// BPFCAP_PRELOAD_STRICT=1 it fails instead: pcap_compile returns PCAP_ERROR
// and pcap_geterr() shows bpfcap's message. libpcap has no call to set a
// handle's error text, so the shim writes it into the buffer pcap_geterr()
// returns: that function returns a non-const char* to the handle's error
// buffer of PCAP_ERRBUF_SIZE bytes, which is where libpcap's own callers
// find the message.
// BPFCAP_PRELOAD_VERBOSE=1 prints one line per expression bpfcap compiled.
#include <dlfcn.h>
#include <pcap/pcap.h>
#include <sys/socket.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "compiler/compile.h"
#include "compiler/diag.h"
#include "compiler/proto/linktypes.h"

namespace {

using CompileFn = int (*)(pcap_t*, struct bpf_program*, const char*, int, bpf_u_int32);
using IntFn = int (*)(pcap_t*);
using ErrFn = char* (*)(pcap_t*);
using FileFn = FILE* (*)(pcap_t*);

// libpcap's functions, looked up once (thread-safe static initialisation).
struct Libpcap {
  CompileFn compile = nullptr;
  IntFn datalink = nullptr;
  IntFn snapshot = nullptr;
  IntFn fileno = nullptr;
  ErrFn geterr = nullptr;
  FileFn file = nullptr;

  bool ok() const { return compile && datalink && snapshot && fileno && geterr && file; }
};

const Libpcap& Real() {
  static const Libpcap real = [] {
    Libpcap l;
    l.compile = reinterpret_cast<CompileFn>(dlsym(RTLD_NEXT, "pcap_compile"));
    l.datalink = reinterpret_cast<IntFn>(dlsym(RTLD_NEXT, "pcap_datalink"));
    l.snapshot = reinterpret_cast<IntFn>(dlsym(RTLD_NEXT, "pcap_snapshot"));
    l.fileno = reinterpret_cast<IntFn>(dlsym(RTLD_NEXT, "pcap_fileno"));
    l.geterr = reinterpret_cast<ErrFn>(dlsym(RTLD_NEXT, "pcap_geterr"));
    l.file = reinterpret_cast<FileFn>(dlsym(RTLD_NEXT, "pcap_file"));
    return l;
  }();
  return real;
}

bool EnvSet(const char* name) {
  const char* v = std::getenv(name);
  return v && *v && std::strcmp(v, "0") != 0;
}

bool IsLiveSocket(const Libpcap& lib, pcap_t* p) {
  if (lib.file(p) != nullptr) return false;  // a savefile
  const int fd = lib.fileno(p);
  if (fd < 0) return false;
  int domain = 0;
  socklen_t len = sizeof domain;
  return getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) == 0 && domain == AF_PACKET;
}

// bpfcap's compile for the handle; false with *error when it cannot.
bool CompileWithBpfcap(const Libpcap& lib, pcap_t* p, struct bpf_program* program,
                       std::string_view expr, int optimize, bpf_u_int32 netmask, bool* live,
                       std::string* error) {
  const int dlt = lib.datalink(p);
  const int snaplen = lib.snapshot(p);
  if (dlt < 0 || snaplen < 0) {
    *error = "the handle is not activated";
    return false;
  }
  if (!bpfcap::proto::FindLinkType(dlt)) {
    *error = "link type " + std::to_string(dlt) + " is not supported by bpfcap";
    return false;
  }
  if (snaplen == 0) {
    *error = "snaplen of 0 rejects all packets";
    return false;
  }
  bpfcap::CompileOptions opts;
  opts.dlt = dlt;
  opts.snaplen = static_cast<uint32_t>(snaplen);
  opts.netmask = netmask;
  opts.optimize = optimize != 0;
  opts.for_kernel = *live = IsLiveSocket(lib, p);
  bpfcap::CompileResult r = bpfcap::Compile(expr, opts);
  if (!r.diag.ok()) {
    *error = bpfcap::FormatDiag(r.diag, expr);
    return false;
  }
  const size_t bytes = r.program.size() * sizeof(struct bpf_insn);
  static_assert(sizeof(struct bpf_insn) == sizeof(bpfcap::cbpf::Insn));
  auto* insns = static_cast<struct bpf_insn*>(std::malloc(bytes));  // freed by pcap_freecode
  if (!insns) {
    *error = "out of memory";
    return false;
  }
  std::memcpy(insns, r.program.data(), bytes);
  program->bf_len = static_cast<u_int>(r.program.size());
  program->bf_insns = insns;
  return true;
}

}  // namespace

extern "C" __attribute__((visibility("default"))) int pcap_compile(
    pcap_t* p, struct bpf_program* program, const char* expr, int optimize, bpf_u_int32 netmask) {
  const Libpcap& lib = Real();
  if (!lib.ok()) {
    std::fprintf(stderr, "bpfcap: libbpfcap_preload: libpcap is not loaded in this program\n");
    return PCAP_ERROR;
  }
  if (!p || !program) return lib.compile(p, program, expr, optimize, netmask);
  const std::string_view text = expr ? expr : "";
  std::string error;
  bool live = false;
  try {
    if (CompileWithBpfcap(lib, p, program, text, optimize, netmask, &live, &error)) {
      if (EnvSet("BPFCAP_PRELOAD_VERBOSE")) {
        std::fprintf(stderr, "bpfcap: compiled '%.*s' for %s (%s, snaplen %d)\n",
                     static_cast<int>(text.size()), text.data(),
                     bpfcap::proto::FindLinkType(lib.datalink(p))->name.data(),
                     live ? "live socket" : "savefile", lib.snapshot(p));
      }
      return 0;
    }
  } catch (...) {
    error = "out of memory";
  }
  if (EnvSet("BPFCAP_PRELOAD_STRICT")) {
    std::snprintf(lib.geterr(p), PCAP_ERRBUF_SIZE, "bpfcap: %s", error.c_str());
    return PCAP_ERROR;
  }
  std::fprintf(stderr, "bpfcap: warning: %s; using libpcap's compiler\n", error.c_str());
  return lib.compile(p, program, expr, optimize, netmask);
}
