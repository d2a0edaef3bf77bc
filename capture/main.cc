// bpfcap: the command-line front door. -d / -dd / -ddd print the program in
// tcpdump's formats, --dump=STAGE prints a compiler stage, --emit-object
// writes an XDP object file, -D / -L list interfaces and link types;
// everything else is a capture (run_capture.h).
//
// Output contract: results on stdout, exit 0. A bad expression or an
// unreadable -F file: nothing on stdout, one line "bpfcap: ..." on stderr,
// exit 1. A bad command line: one line on stderr, exit 2.
#include <cstdio>
#include <string>

#include "capture/cli_options.h"
#include "capture/live.h"
#include "capture/ring.h"
#include "capture/run_capture.h"
#include "compiler/cbpf/cbpf.h"
#include "compiler/compile.h"
#include "compiler/ebpf/object.h"
#include "compiler/ebpf/print.h"
#include "compiler/diag.h"

namespace bpfcap {
namespace {

constexpr char kVersion[] = "bpfcap 0.2.0-dev";
constexpr int kExitError = 1;
constexpr int kExitUsage = 2;

int Fail(const std::string& message, int code) {
  std::fprintf(stderr, "bpfcap: %s\n", message.c_str());
  return code;
}

int PrintOut(const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
  return std::fflush(stdout) == 0 ? 0 : Fail("error writing to standard output", kExitError);
}

// The program in the format the number of -d asks for.
std::string Render(const cbpf::Program& prog, int dump_level) {
  if (dump_level <= 1) return cbpf::DumpAsm(prog);
  if (dump_level == 2) return cbpf::DumpC(prog);
  return cbpf::DumpDecimal(prog);
}

// -d / -dd / -ddd / --dump: compile with netmask 0 (what tcpdump -d uses
// without an interface, so "ip broadcast" compiles) and print.
int CompileAndPrint(const CliOptions& o) {
  std::string expr, error;
  if (!LoadExpression(o, &expr, &error)) return Fail(error, kExitError);
  CompileOptions copts;
  copts.dlt = o.dlt;
  copts.snaplen = o.snaplen;
  copts.netmask = 0;
  copts.optimize = o.optimize;
  // With -i, as tcpdump -d -i does: the program for that interface's socket.
  if (!o.interface.empty()) {
    const int dlt = capture::LinkTypeFor(o.interface, &error);
    if (dlt <= 0) return Fail(error, kExitError);
    if (!o.dlt_given) copts.dlt = dlt;
    copts.for_kernel = true;
  }
  if (o.target != CliOptions::Target::kCbpf) {
    const ebpf::Target t = o.target == CliOptions::Target::kXdp ? ebpf::Target::kXdp
                                                                 : ebpf::Target::kSocketFilter;
    EbpfCompileResult e = CompileEbpf(expr, copts, t, o.stage);
    if (!e.diag.ok()) return Fail(FormatDiag(e.diag, expr), kExitError);
    return PrintOut(o.stage != DumpStage::kNone ? e.dump : ebpf::Dump(e.program));
  }
  CompileResult r = Compile(expr, copts, o.stage);
  if (!r.diag.ok()) return Fail(FormatDiag(r.diag, expr), kExitError);
  return PrintOut(o.stage != DumpStage::kNone ? r.dump : Render(r.program, o.dump_level));
}

// --target=xdp --emit-object=FILE: the XDP program as an ELF object, a
// firewall that passes what matches (or, --drop-matching, drops it) and
// drops (passes) the rest. Compiled as for the XDP engines: netmask 0 (no
// -i), the frame as it came off the wire (VLAN tags in place), the kernel's
// fields from the XDP context ("inbound" always holds, "ifindex" is the
// ingress interface, "outbound" is refused).
int EmitObject(const CliOptions& o) {
  std::string expr, error;
  if (!LoadExpression(o, &expr, &error)) return Fail(error, kExitError);
  Diag diag;
  if (!CheckXdpCapture(expr, &diag)) return Fail(FormatDiag(diag, expr), kExitError);
  CompileOptions copts;
  copts.dlt = o.dlt;
  copts.netmask = 0;
  copts.optimize = o.optimize;
  ebpf::GenOptions gen;
  gen.target = ebpf::Target::kXdp;
  gen.xdp_accept = o.drop_matching ? ebpf::kXdpDrop : ebpf::kXdpPass;
  gen.xdp_reject = o.drop_matching ? ebpf::kXdpPass : ebpf::kXdpDrop;
  EbpfCompileResult e = CompileEbpf(expr, copts, gen);
  if (!e.diag.ok()) return Fail(FormatDiag(e.diag, expr), kExitError);
  if (!ebpf::WriteElfObject(o.emit_object, e.program, &error)) return Fail(error, kExitError);
  return 0;
}

int Run(int argc, char* argv[]) {
  CliParse p = ParseCliOptions(argc, argv);
  if (!p.ok()) return Fail(p.error + "; see 'bpfcap --help'", kExitUsage);
  const CliOptions& o = p.options;
  if (o.help) return PrintOut(UsageText());
  if (o.version) return PrintOut(std::string(kVersion) + "\n");
  if (o.list_known_linktypes) return PrintOut(KnownLinkTypesText());
  if (!o.emit_object.empty()) return EmitObject(o);
  if (o.dump_level > 0 || o.stage != DumpStage::kNone) return CompileAndPrint(o);
  if (o.list_interfaces || o.list_linktypes) {
    std::string text, error;
    const bool ok = o.list_interfaces ? capture::ListInterfacesText(&text, &error)
                                      : capture::ListLinkTypesText(o.interface, &text, &error);
    return ok ? PrintOut(text) : Fail(error, kExitError);
  }
  return capture::RunCapture(o);
}

}  // namespace
}  // namespace bpfcap

int main(int argc, char* argv[]) { return bpfcap::Run(argc, argv); }
