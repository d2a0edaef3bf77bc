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

// Expression → IR (optimized unless opts.optimize is off), collecting the
// requested dump. False when the pipeline stops: an error in *diag, or a
// dump of tokens, which needs nothing further.
bool CompileToIr(std::string_view expr, const CompileOptions& opts, DumpStage dump,
                 ir::Program* prog, Diag* diag, std::string* dump_text) {
  const proto::LinkType* link = proto::FindLinkType(opts.dlt);
  if (!link) {
    *diag = Diag{Diag::Code::kSemantic, {}, "link type " + std::to_string(opts.dlt) + " is not supported"};
    return false;
  }
  if (dump == DumpStage::kTokens) {
    *dump_text = DumpTokens(expr, diag);
    return false;
  }
  ast::Ast tree;
  if (!ast::Parse(expr, &tree, diag)) return false;
  if (dump == DumpStage::kAst) *dump_text = ast::Dump(tree.root) + "\n";

  const NameResolver& names = opts.names ? *opts.names : SystemNames();
  LowerInfo lowered;
  if (!Lower(tree, *link, opts, names, prog, diag, &lowered)) return false;
  if (dump == DumpStage::kIr) *dump_text = ir::Dump(*prog);

  if (opts.optimize) {
    opt::OptimizeOptions oo;
    std::string broken;
    oo.check = opts.check_passes;
    oo.error = &broken;
    if (!opt::Optimize(*prog, oo) && !broken.empty()) {
      *diag = Diag{Diag::Code::kLimit, {}, "internal error: " + broken};
      return false;
    }
    // Refused where libpcap's optimizer would refuse it, not where ours
    // finds the program constant (see libpcap_proof.h). The proof runs
    // only when ours rejects every packet too (libpcap refuses expressions
    // no packet matches; ours proves all of those the tests generate), on
    // a second lowering where relations' loads are marked (libpcap loads
    // them differently from protocol tests), and not on huge programs
    // (the model of libpcap's passes is cubic, as libpcap's optimizer is).
    bool refuse = false;
    if (prog->entry == ir::kReject && !lowered.runtime_offsets) {
      constexpr size_t kMaxProofBlocks = 2000;
      MarkRelationLoads(&tree);
      ir::Program marked;
      Diag ignored;
      refuse = Lower(tree, *link, opts, names, &marked, &ignored) &&
               marked.num_blocks() <= kMaxProofBlocks &&
               LibpcapProvesRejectsAll(marked);
    }
    if (refuse) {
      *diag = Diag{Diag::Code::kRejectsAll, {0, static_cast<uint32_t>(expr.size())},
                   "expression rejects all packets"};
      return false;
    }
  }
  if (dump == DumpStage::kIrOpt) *dump_text = ir::Dump(*prog);
  if (dump == DumpStage::kDot) *dump_text = ir::ToDot(*prog);
  return true;
}

// IR → wire cBPF (the tail of Compile).
bool GenerateCbpf(const ir::Program& prog, const CompileOptions& opts, cbpf::Program* out,
                  Diag* diag) {
  cbpf::SymProgram sym;
  if (!cbpf::Generate(prog, opts.snaplen, &sym, diag)) return false;
  if (opts.optimize) cbpf::MergeTails(&sym);
  std::string err;
  if (!cbpf::Assemble(sym, out, &err)) {
    *diag = Diag{Diag::Code::kLimit, {}, "internal error: " + err};
    return false;
  }
  return true;
}

}  // namespace

CompileResult Compile(std::string_view expr, const CompileOptions& opts, DumpStage dump) {
  CompileResult r;
  ir::Program prog;
  if (!CompileToIr(expr, opts, dump, &prog, &r.diag, &r.dump)) return r;
  GenerateCbpf(prog, opts, &r.program, &r.diag);
  return r;
}

EbpfCompileResult CompileEbpf(std::string_view expr, const CompileOptions& opts,
                              ebpf::Target target, DumpStage dump, bool want_classic) {
  ebpf::GenOptions gen;
  gen.target = target;
  gen.snaplen = opts.snaplen;
  return CompileEbpf(expr, opts, gen, dump, want_classic);
}

EbpfCompileResult CompileEbpf(std::string_view expr, const CompileOptions& opts,
                              const ebpf::GenOptions& gen, DumpStage dump, bool want_classic) {
  EbpfCompileResult r;
  if (gen.target == ebpf::Target::kXdp && opts.dlt != 1) {
    const proto::LinkType* link = proto::FindLinkType(opts.dlt);
    r.diag = Diag{Diag::Code::kSemantic, {},
                  "XDP programs see Ethernet frames only, not link type " +
                      (link ? std::string(link->name) : std::to_string(opts.dlt))};
    return r;
  }
  if (gen.target == ebpf::Target::kXdp && !CheckXdpCapture(expr, &r.diag)) return r;
  // XDP runs on the frame as the driver received it, before the kernel
  // takes a VLAN tag out of it: no socket-side VLAN lowering there.
  CompileOptions o = opts;
  if (gen.target == ebpf::Target::kXdp) o.for_kernel = false;
  ir::Program prog;
  if (!CompileToIr(expr, o, dump, &prog, &r.diag, &r.dump)) return r;

  ebpf::SymProgram sym;
  if (!ebpf::Generate(prog, gen, &sym, &r.diag)) {
    // What the target cannot do is about the whole expression (the IR keeps
    // no positions).
    if (r.diag.code == Diag::Code::kSemantic) r.diag.range = {0, static_cast<uint32_t>(expr.size())};
    return r;
  }
  std::string err;
  if (!ebpf::Assemble(sym, &r.program, &err)) {
    r.diag = Diag{Diag::Code::kLimit, {}, "eBPF program too large: " + err};
    return r;
  }
  if (want_classic) {
    Diag classic_diag;
    if (!GenerateCbpf(prog, o, &r.classic, &classic_diag)) r.classic.clear();
  }
  return r;
}

namespace {

const ast::Node* FindKind(const ast::Node* n, ast::Kind kind) {
  if (n == nullptr) return nullptr;
  if (n->kind == kind) return n;
  if (const ast::Node* l = FindKind(n->lhs, kind)) return l;
  return FindKind(n->rhs, kind);
}

}  // namespace

bool CheckXdpCapture(std::string_view expr, Diag* diag) {
  ast::Ast tree;
  if (!ast::Parse(expr, &tree, diag)) return false;
  if (const ast::Node* n = FindKind(tree.root, ast::Kind::kOutbound)) {
    *diag = Diag{Diag::Code::kSemantic, n->range,
                 "'outbound' never matches at XDP, which sees received packets only"};
    return false;
  }
  return true;
}

}  // namespace bpfcap
