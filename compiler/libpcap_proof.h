// What libpcap's optimizer can prove, so that bpfcap refuses exactly the
// expressions libpcap refuses.
//
// libpcap reports "expression rejects all packets" when its optimizer turns
// the program into a lone `ret #0`. bpfcap's optimizer is stronger in places
// (it tracks ranges and bits, so it sees that `ether proto 1500 and rarp`
// never matches) and weaker in others; refusing on its own findings would
// refuse expressions tcpdump takes. So the refusal is decided here, on the
// unoptimized IR, by a model of what libpcap 1.10.3's optimizer does to the
// shape of the program (found by experiment against it: tests/diff/
// rejects_all_test.cc). It moves edges in passes, until a pass changes
// nothing; each pass takes the program as the previous one left it and:
//   1. works out, on the program as it is at the start of the pass, the
//      edges taken on every path to each block. Facts are edges, not tests:
//      two blocks making the same test are two facts, so a test repeated on
//      both sides of an `or` proves nothing after the join;
//   2. moves every edge past each block whose test those edges decide: the
//      same comparison of the same accumulator has the same outcome, and an
//      accumulator known equal to one constant is not equal to another
//      (nothing else: no ranges, no bits), and past a block whose two edges
//      meet;
//   3. pulls tests up through chains: where every predecessor of a block
//      tests one value v, and from that block a chain of tests continues on
//      true and leaves to one common false successor (a conjunction; or on
//      false to one true successor, a disjunction), each test dominated by
//      the chain's top, the first test of v in the chain after a test of
//      another value moves in front of that test, where step 2 of the next
//      pass can decide it on each edge. So `(ether[0]=1 or ether[0]=2) and
//      ether[1]=5 and ether[0]=3` is refused, but not through a `not` (its
//      test's edges are swapped) or an `or` in the chain. Like libpcap, the
//      pull-up uses the dominators of the start of the pass, after step 2
//      has moved edges; where that is wrong, libpcap's program accepts
//      packets the expression cannot match, and the model follows it.
// The accumulator is what libpcap's code for the test loads: a relation's
// loads (`ether[12:2] = 0x800`) are never the same value as a protocol
// test's (`ether proto 0x800`), even of the same bytes, and in the first
// pass a relation `x = k` is the value x - k compared with 0. Constants are
// folded only by a later round of libpcap that moves no edge: a test of
// constants (x*0 = x&0 = 0, 0 op x = 0 for * / % & << >>, but not x-x)
// decides only from the program's start. The expression is refused when,
// after the passes, no accept is reachable, or the chain of decided tests
// from the start reaches reject.
//
// compile.cc asks only when bpfcap's own optimizer has reduced the program
// to a reject (an expression libpcap refuses matches no packet, and bpfcap's
// optimizer proves every one the tests generate), so that compiling what
// matches something costs nothing more, and not past 2,000 blocks (the
// passes are cubic, like libpcap's optimizer).
//
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
