// A readable listing of an eBPF program for `bpfcap -d --target=ebpf|xdp`,
// in the notation of the kernel verifier log and `bpftool prog dump
// xlated`: one line per instruction,
//   "12: (69) r7 = *(u16 *)(r10 -8)"
// with the index, the opcode byte in hex, and the operation in C-like
// syntax (`w` names a register used at 32 bits, `r` at 64). Jumps show the
// relative target as the kernel does ("goto pc+3"); an lddw takes one line
// and two indices.
#pragma once

#include <string>

#include "compiler/ebpf/insn.h"

namespace bpfcap::ebpf {

// The whole program, each line ending in '\n'.
std::string Dump(const Program& prog);

// One instruction without index or newline: "(b7) r0 = 0". `next` is the
// second slot of an lddw (ignored otherwise; may be null).
std::string Image(const Insn& insn, const Insn* next = nullptr);

}  // namespace bpfcap::ebpf
