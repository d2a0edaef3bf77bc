// Tail merging on symbolic cBPF: identical instruction sequences that end
// in the same places are emitted once.
//
// Takes a SymProgram before assembly. Two instructions are equivalent when
// they are the same instruction (opcode and operand) and their successors
// (the next instruction, or the jump targets) are equivalent; jumps only go
// forward, so classes are found in one backward sweep. Each class keeps its
// last occurrence (every jump to any occurrence comes before it, so jumps
// stay forward); a kept instruction that used to fall through into a
// dropped one gets a `ja` to the kept copy. An occurrence is dropped only
// when that saves instructions overall.
//
// Meaning is unchanged by construction: equivalent positions run the same
// instructions on the same registers and packet, whatever the path to them.
// This is what lets the IPv4 and IPv6 halves of "tcp or udp or sctp" share
// their "jeq #0x11; jeq #0x84" once the protocol byte is in A.
#pragma once

#include "compiler/cbpf/assemble.h"

namespace bpfcap::cbpf {

// Returns whether it changed anything.
bool MergeTails(SymProgram* sym);

}  // namespace bpfcap::cbpf
