// Lowering: qualified AST → IR.
//
// Each primitive becomes a boolean formula over packet-field tests, with the
// same tests in the same order as libpcap evaluates them (so that loads past
// the end of a truncated packet reject exactly where libpcap's do), and the
// formula is built into the IR's block DAG by short-circuit evaluation.
// Protocol knowledge comes from the proto/ tables and the link type's row;
// the error checks are libpcap's (a modifier that makes no sense for an
// address, a port above 65535, non-network bits in a net, ...), each pointing
// at the node at fault.
//
// Deliberately not done here: any optimization beyond not emitting tests that
// are constant by construction (an ARP test on a link type that cannot carry
// ARP is simply false, as in libpcap).
#pragma once

#include "compiler/ast.h"
#include "compiler/compile.h"
#include "compiler/ir.h"
#include "compiler/names.h"
#include "compiler/proto/linktypes.h"

namespace bpfcap {

// What lowering knows about the program that later stages need.
struct LowerInfo {
  // The program starts by working out header lengths at run time (802.11):
  // libpcap keeps those in scratch memory, where its optimizer cannot prove
  // anything about what follows, so it never refuses such an expression as
  // rejecting all packets.
  bool runtime_offsets = false;
};

bool Lower(const ast::Ast& ast, const proto::LinkType& link, const CompileOptions& opts,
           const NameResolver& names, ir::Program* out, Diag* diag, LowerInfo* info = nullptr);

}  // namespace bpfcap
