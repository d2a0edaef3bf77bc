// Classic BPF back end services on wire programs: validation, interpretation
// and tcpdump's three dump formats.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "compiler/cbpf/insn.h"

namespace bpfcap::cbpf {

// --- validate.cc -----------------------------------------------------------
struct ValidateOptions {
  bool kernel_limits = false;  // also enforce BPF_MAXINSNS (4096)
};
// At least as strict as the kernel's classic checker and libpcap's
// bpf_validate: known opcodes only, jumps in range, constant division or
// modulo by zero refused, scratch indices < 16, program non-empty and ending
// in a return. On failure returns false and *error names the instruction.
bool Validate(const Program& prog, std::string* error,
              const ValidateOptions& opts = {});

// --- validate_libpcap.cc --------------------------------------------------
// Exactly what libpcap 1.10.3's bpf_validate(prog, len) accepts: much less
// strict than Validate (see the file); libbpfcap_pcap's bpf_validate.
bool ValidateLikeLibpcap(const Insn* prog, int len);

// --- interp.cc -------------------------------------------------------------
// libpcap bpf_filter semantics: A, X and M[] start at 0; a load past
// `caplen` returns 0 (reject); `ld #len` gives `wirelen`; division or modulo
// by zero (X == 0) returns 0. Returns the program's return value.
// `executed`, when non-null, receives the number of instructions run.
// Reads the instructions in place (a Program converts to the span).
uint32_t Run(std::span<const Insn> prog, const uint8_t* pkt, uint32_t wirelen,
             uint32_t caplen, uint64_t* executed = nullptr);

// Runs a program of libpcap's own that may jump backwards: libpcap 1.10's
// bpf_filter sign-extends the offset of `ja`, and its code for "protochain"
// loops over the header chain with it. Such a loop never ends on some
// packets, so the run stops after `max_steps` instructions, or before
// backward jump number max_backward_jumps + 1 (stopped, result 0). For tests
// that compare with libpcap; bpfcap's programs never loop.
struct LoopingRun {
  uint32_t result = 0;
  uint64_t executed = 0;
  uint32_t backward_jumps = 0;  // taken
  bool stopped = false;         // a limit reached
};
LoopingRun RunWithBackwardJumps(const Program& prog, const uint8_t* pkt, uint32_t wirelen,
                                uint32_t caplen, uint64_t max_steps,
                                uint32_t max_backward_jumps = UINT32_MAX);

// The same for a program of unknown length, as libpcap's bpf_filter gets
// it: only the instructions control reaches are read, and control that
// reaches kMaxUnboundedExtent instructions from the start rejects (a wild
// jump of an invalid program). Running without a return reads past the
// caller's array, as in libpcap: validate programs from elsewhere first.
inline constexpr size_t kMaxUnboundedExtent = size_t{1} << 20;
uint32_t RunUnbounded(const Insn* prog, const uint8_t* pkt, uint32_t wirelen,
                      uint32_t caplen);

// Worst case over all paths of the number of instructions executed (the
// longest path through the DAG, counting each instruction once).
uint64_t LongestPath(const Program& prog);

// --- print.cc --------------------------------------------------------------
// tcpdump -d: "(000) ldh      [12]" ... one line per instruction, each ending
// in '\n'. Byte for byte what libpcap's bpf_dump(prog, 1) prints.
std::string DumpAsm(const Program& prog);
// One instruction as libpcap's bpf_image(insn, n) renders it (no newline).
std::string Image(const Insn& insn, uint32_t n);
// tcpdump -dd: "{ 0x28, 0, 0, 0x0000000c },"
std::string DumpC(const Program& prog);
// tcpdump -ddd: instruction count, then "40 0 0 12" per line.
std::string DumpDecimal(const Program& prog);

}  // namespace bpfcap::cbpf
