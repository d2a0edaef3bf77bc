// What libpcap's optimizer can prove, so that bpfcap refuses exactly the
// expressions libpcap refuses.
//
// libpcap reports "expression rejects all packets" when its optimizer turns
// the program into a lone `ret #0`. bpfcap's optimizer is stronger in places
// (it tracks ranges and bits, so it sees that `ether proto 1500 and rarp`
// never matches) and weaker in others; refusing on its own findings would
// refuse expressions tcpdump takes. So the refusal is decided here, on the
// unoptimized IR, with libpcap's rules of proof only:
//   - a test identical to one on an edge taken on every path to it (same
//     value, comparison and operand) has that edge's outcome;
//   - an equality test of a value known equal to another constant is false;
//   - a value that constant folding makes constant decides its tests, where
//     folding knows constants, x*0 = x&0 = 0, and 0 op x = 0 for
//     * / % & << >> (but not x-x, and no ranges or bit masks).
// bpfcap's program for an expression it accepts may still be `ret #0`.
// libpcap does not optimize at all when the expression has a protochain.
#pragma once

#include <optional>

#include "compiler/ast.h"
#include "compiler/ir.h"

namespace bpfcap {

// a op b under libpcap's constant folding, given what is known of a and b.
// nullopt when not a constant to libpcap (division by 0 included: callers
// refuse that separately).
std::optional<uint32_t> LibpcapFold(ast::BinOp op, std::optional<uint32_t> a,
                                    std::optional<uint32_t> b);

// Wraps every load of a relation's arithmetic as `load | 0`, so that the
// lowered program tells them from protocol tests' loads (libpcap's
// optimizer does not take one for the other: see above).
void MarkRelationLoads(ast::Ast* tree);

// True when libpcap's optimizer would reduce `unoptimized`, lowered from a
// tree that MarkRelationLoads marked, to a reject.
bool LibpcapProvesRejectsAll(const ir::Program& unoptimized);

}  // namespace bpfcap
