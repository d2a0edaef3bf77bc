// The compiler driver: runs the phases in order and collects the requested
// dump. See compile.h.

#include "compiler/compile.h"

#include "compiler/ast.h"
#include "compiler/cbpf/assemble.h"
#include "compiler/cbpf/cbpf.h"
#include "compiler/cbpf/codegen.h"
#include "compiler/cbpf/merge_tails.h"
#include "compiler/ir.h"
#include "compiler/libpcap_proof.h"
#include "compiler/lower.h"
#include "compiler/names.h"
#include "compiler/opt/pass.h"
#include "compiler/proto/linktypes.h"
#include "compiler/token.h"

namespace bpfcap {

namespace {

std::string DumpTokens(std::string_view expr, Diag* diag) {
  std::vector<Token> tokens;
  if (!Lex(expr, &tokens, diag)) return {};
  std::string out;
  for (const Token& t : tokens) {
    out += std::string(TokenKindName(t.kind)) + " '" +
           std::string(expr.substr(t.range.begin, t.range.end - t.range.begin)) + "' @" +
           std::to_string(t.range.begin + 1) + "\n";
  }
  return out;
}

}  // namespace

CompileResult Compile(std::string_view expr, const CompileOptions& opts, DumpStage dump) {
  CompileResult r;
  const proto::LinkType* link = proto::FindLinkType(opts.dlt);
  if (!link) {
    r.diag = Diag{Diag::Code::kSemantic, {}, "link type " + std::to_string(opts.dlt) + " is not supported"};
    return r;
  }
  if (dump == DumpStage::kTokens) {
    r.dump = DumpTokens(expr, &r.diag);
    return r;
  }
  ast::Ast tree;
  if (!ast::Parse(expr, &tree, &r.diag)) return r;
  if (dump == DumpStage::kAst) r.dump = ast::Dump(tree.root) + "\n";

  ir::Program prog;
  const NameResolver& names = opts.names ? *opts.names : SystemNames();
  if (!Lower(tree, *link, opts, names, &prog, &r.diag)) return r;
  if (dump == DumpStage::kIr) r.dump = ir::Dump(prog);

  if (opts.optimize) {
    // Refused where libpcap's optimizer would refuse it, not where ours
    // finds the program constant (see libpcap_proof.h).
    const bool refuse = LibpcapProvesRejectsAll(prog);
    opt::Optimize(prog);
    if (refuse) {
      r.diag = Diag{Diag::Code::kRejectsAll, {0, static_cast<uint32_t>(expr.size())},
                    "expression rejects all packets"};
      return r;
    }
  }
  if (dump == DumpStage::kIrOpt) r.dump = ir::Dump(prog);
  if (dump == DumpStage::kDot) r.dump = ir::ToDot(prog);

  cbpf::SymProgram sym;
  if (!cbpf::Generate(prog, opts.snaplen, &sym, &r.diag)) return r;
  if (opts.optimize) cbpf::MergeTails(&sym);
  std::string err;
  if (!cbpf::Assemble(sym, &r.program, &err)) {
    r.diag = Diag{Diag::Code::kLimit, {}, "internal error: " + err};
    return r;
  }
  return r;
}

}  // namespace bpfcap
