// The compiler driver: expression text → optimized classic BPF.
//
//   lexer → parser → AST → qualify → lower → IR → optimizer → cbpf codegen
//
// Compile() is the one entry point the CLI, the libraries and the tests use.
// It holds no global state: concurrent calls are safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "compiler/cbpf/insn.h"
#include "compiler/diag.h"

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

}  // namespace bpfcap
