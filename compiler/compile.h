// The compiler driver: expression text → optimized classic BPF, or eBPF.
//
//   lexer → parser → AST → qualify → lower → IR → optimizer → cbpf codegen
//                                                          └→ ebpf codegen
//
// Compile() is the entry point the CLI, the libraries and the tests use for
// cBPF; CompileEbpf() runs the same phases up to the IR.
// It holds no global state: concurrent calls are safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "compiler/cbpf/insn.h"
#include "compiler/diag.h"
#include "compiler/ebpf/codegen.h"
#include "compiler/ebpf/insn.h"

namespace bpfcap {

class NameResolver;

inline constexpr uint32_t kNetmaskUnknown = 0xffffffff;  // PCAP_NETMASK_UNKNOWN

struct CompileOptions {
  int dlt = 1;                       // libpcap DLT_ number; 1 = DLT_EN10MB
  uint32_t snaplen = 262144;         // the accept return value
  uint32_t netmask = kNetmaskUnknown;  // for "ip broadcast"
  bool optimize = true;              // -O turns this off
  const NameResolver* names = nullptr;  // null: the system's files
  // The program will run on a Linux AF_PACKET socket, not on savefile data:
  // the kernel may have taken the outer VLAN tag out of the packet (into
  // its ancillary data), so "vlan" tests both ways, as libpcap does for a
  // live capture. Such programs use ancillary loads that only the kernel
  // can execute (libpcap's bpf_filter and our interpreter reject there).
  bool for_kernel = false;
  // Tests: verify the IR and re-check verdicts on sample packets after every
  // optimizer pass; a pass that breaks either fails the compile with
  // "internal error: ...".
  bool check_passes = false;
};

// What --dump= asks to see besides the program.
enum class DumpStage { kNone, kTokens, kAst, kIr, kIrOpt, kDot };

struct CompileResult {
  Diag diag;                 // diag.ok() on success
  cbpf::Program program;
  std::string dump;          // text of the requested stage, if any
};

CompileResult Compile(std::string_view expr, const CompileOptions& opts,
                      DumpStage dump = DumpStage::kNone);

// The same pipeline up to the (optimized) IR, then the eBPF back end
// (compiler/ebpf/codegen.h): `bpfcap -d --target=ebpf|xdp` prints
// ebpf::Dump(program), and ebpf::LoadedProgram::Load takes it to the kernel.
// XDP programs see Ethernet frames only: any other link type is refused.
// They see the frame before the kernel takes a VLAN tag out of it, so
// opts.for_kernel is ignored for XDP; the socket metadata XDP lacks (the
// packet type of "inbound"/"outbound", ...) is refused with kSemantic
// (ebpf/codegen.h). The socket filter reads the kernel's ancillary fields
// from struct __sk_buff.
// opts.snaplen is the socket filter's accept value; XDP returns XDP_PASS for
// accept and XDP_DROP for reject (ebpf::GenOptions for other verdicts).
// With want_classic, `classic` also receives the cBPF program generated from
// the same optimized IR (the native API runs it for bpfcap_program_run: same
// verdicts, as the equivalence test checks in the kernel); it stays empty if
// the cBPF back end refuses the IR.
struct EbpfCompileResult {
  Diag diag;             // diag.ok() on success
  ebpf::Program program;
  std::string dump;      // text of the requested stage, if any
  cbpf::Program classic; // with want_classic
};

EbpfCompileResult CompileEbpf(std::string_view expr, const CompileOptions& opts,
                              ebpf::Target target, DumpStage dump = DumpStage::kNone,
                              bool want_classic = false);

// The same with the back end's options given in full (verdicts, the XDP
// on-match action of the capture engines); gen.snaplen is the socket
// filter's accept value and opts.snaplen is not used for it.
EbpfCompileResult CompileEbpf(std::string_view expr, const CompileOptions& opts,
                              const ebpf::GenOptions& gen, DumpStage dump = DumpStage::kNone,
                              bool want_classic = false);

// Whether an XDP capture can test `expr`: XDP runs on received frames
// before the stack, so "outbound" can never hold there and is refused
// (diag at the word); "inbound" always holds and "ifindex N" reads the
// ingress interface. False with *diag on a refusal or a syntax error.
// CompileEbpf() applies it to every XDP program.
bool CheckXdpCapture(std::string_view expr, Diag* diag);

}  // namespace bpfcap
