// cBPF code generation: IR → symbolic cBPF (jumps to labels).
//
// Register convention (the 1992 paper's machine):
//   A     holds the value a block tests; a block leaves it holding its lhs,
//         which the next block reuses when every path into it agrees.
//   X     holds the variable part of indexed loads (usually the IPv4 header
//         length from `ldxb 4*([k]&0xf)`), or a test's non-constant rhs.
//   M[i]  the IR's slots (run-time offsets), from M[15] down, stored as 0
//         first where a path reads one before its store; below them,
//         spills for binary operations whose operands both need work,
//         i = nesting depth.
// Blocks are laid out in the IR's reverse post-order, the true successor
// right after its block, except where putting the false one there shortens
// the worst-case path (jumps over more than 255 instructions cost a `ja`);
// each leaf becomes one shared `ret`. Assemble() (assemble.cc) turns labels
// into offsets.
#pragma once

#include <cstdint>

#include "compiler/cbpf/assemble.h"
#include "compiler/diag.h"
#include "compiler/ir.h"

namespace bpfcap::cbpf {

bool Generate(const ir::Program& p, uint32_t snaplen, SymProgram* out, Diag* diag);

}  // namespace bpfcap::cbpf
