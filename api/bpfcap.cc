// The native C API (include/bpfcap/bpfcap.h) over bpfcap::Compile,
// bpfcap::CompileEbpf and the back ends' services.
//
// An eBPF program's handle holds the eBPF instructions and, for
// bpfcap_program_run, the classic program generated from the same IR
// (CompileEbpf's want_classic): user space cannot run eBPF, and the kernel
// gives the eBPF program the classic one's verdicts (the equivalence test).
//
// A bpfcap_program owns everything its accessors hand out (instructions,
// message strings), so returned pointers live as long as the handle. The
// only shared data are constant tables; every call works on its arguments.
// No exception escapes: each entry point that allocates catches them.
#include "include/bpfcap/bpfcap.h"

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <type_traits>

#include "compiler/cbpf/cbpf.h"
#include "compiler/cbpf/insn.h"
#include "compiler/compile.h"
#include "compiler/diag.h"
#include "compiler/ebpf/insn.h"
#include "compiler/ebpf/print.h"
#include "compiler/proto/linktypes.h"

static_assert(sizeof(bpfcap_insn) == sizeof(bpfcap::cbpf::Insn));
static_assert(offsetof(bpfcap_insn, k) == offsetof(bpfcap::cbpf::Insn, k));
static_assert(std::is_trivially_copyable_v<bpfcap_insn>);
static_assert(sizeof(bpfcap_ebpf_insn) == sizeof(bpfcap::ebpf::Insn));
static_assert(offsetof(bpfcap_ebpf_insn, off) == offsetof(bpfcap::ebpf::Insn, off));
static_assert(offsetof(bpfcap_ebpf_insn, imm) == offsetof(bpfcap::ebpf::Insn, imm));

struct bpfcap_program {
  bpfcap_error_code code = BPFCAP_OK;
  std::string error;    // FormatDiag line; "" when ok
  std::string message;  // the message without position
  std::string token;
  unsigned column = 0;
  bpfcap_target target = BPFCAP_TARGET_CBPF;
  bpfcap::cbpf::Program insns;   // classic targets: the program; eBPF: what run() runs
  bpfcap::ebpf::Program ebpf;    // eBPF targets
  uint32_t snaplen = 0;
};

namespace {

constexpr uint32_t kDefaultSnaplen = 262144;

bpfcap_error_code CodeOf(bpfcap::Diag::Code c) {
  using C = bpfcap::Diag::Code;
  switch (c) {
    case C::kNone: return BPFCAP_OK;
    case C::kSyntax: return BPFCAP_ERROR_SYNTAX;
    case C::kLex: return BPFCAP_ERROR_LEX;
    case C::kUnknownName: return BPFCAP_ERROR_UNKNOWN_NAME;
    case C::kRange: return BPFCAP_ERROR_RANGE;
    case C::kSemantic: return BPFCAP_ERROR_SEMANTIC;
    case C::kRejectsAll: return BPFCAP_ERROR_REJECTS_ALL;
    case C::kLimit: return BPFCAP_ERROR_LIMIT;
  }
  return BPFCAP_ERROR_SEMANTIC;
}

// An error that is not about a place in the expression.
void SetPlainError(bpfcap_program* p, bpfcap_error_code code, std::string message) {
  p->code = code;
  p->message = message;
  p->error = std::move(message);
}

void SetDiag(bpfcap_program* p, const bpfcap::Diag& d, std::string_view expr) {
  p->code = CodeOf(d.code);
  p->message = d.message;
  p->error = bpfcap::FormatDiag(d, expr);
  if (d.range.begin < expr.size()) {
    p->column = d.range.begin + 1;
    const size_t end = std::min<size_t>(d.range.end, expr.size());
    if (end > d.range.begin) p->token = std::string(expr.substr(d.range.begin, end - d.range.begin));
  }
}

// A target as the number a C caller stored: C lets any int into the enum,
// and reading an out-of-range value as the enum is undefined in C++.
static_assert(sizeof(bpfcap_target) == sizeof(int));
int TargetNumber(const bpfcap_target* t) {
  int n;
  std::memcpy(&n, t, sizeof n);
  return n;
}

bool KnownTarget(int n) {
  return n == BPFCAP_TARGET_CBPF || n == BPFCAP_TARGET_CBPF_SOCKET ||
         n == BPFCAP_TARGET_EBPF_SOCKET || n == BPFCAP_TARGET_XDP;
}

bool IsEbpf(bpfcap_target t) {
  return t == BPFCAP_TARGET_EBPF_SOCKET || t == BPFCAP_TARGET_XDP;
}

bpfcap::cbpf::Program CopyInsns(const bpfcap_insn* insns, size_t length) {
  bpfcap::cbpf::Program prog(length);
  if (length != 0) std::memcpy(prog.data(), insns, length * sizeof(bpfcap_insn));
  return prog;
}

char* CopyString(const std::string& s) {
  char* out = static_cast<char*>(std::malloc(s.size() + 1));
  if (out) std::memcpy(out, s.c_str(), s.size() + 1);
  return out;
}

}  // namespace

extern "C" {

const char* bpfcap_version(void) { return BPFCAP_VERSION_STRING; }

int bpfcap_target_available(bpfcap_target target) {
  return KnownTarget(TargetNumber(&target)) ? 1 : 0;
}

void bpfcap_options_init(bpfcap_options* options) {
  if (!options) return;
  std::memset(options, 0, sizeof(*options));
  options->link_type = BPFCAP_DLT_EN10MB;
  options->snaplen = kDefaultSnaplen;
  options->netmask = BPFCAP_NETMASK_UNKNOWN;
  options->optimize = 1;
  options->target = BPFCAP_TARGET_CBPF;
}

bpfcap_program* bpfcap_compile(const char* expression, const bpfcap_options* options) {
  try {
    auto* p = new bpfcap_program;
    bpfcap_options opts;
    bpfcap_options_init(&opts);
    if (options) opts = *options;
    if (!expression) {
      SetPlainError(p, BPFCAP_ERROR_INVALID_ARGUMENT, "no expression (NULL)");
      return p;
    }
    const int target = TargetNumber(&opts.target);
    if (!KnownTarget(target)) {
      SetPlainError(p, BPFCAP_ERROR_INVALID_ARGUMENT, "unknown target " + std::to_string(target));
      return p;
    }
    p->target = opts.target;
    if (opts.snaplen == 0) {
      SetPlainError(p, BPFCAP_ERROR_INVALID_ARGUMENT, "snaplen of 0 rejects all packets");
      return p;
    }
    if (!bpfcap::proto::FindLinkType(opts.link_type)) {
      SetPlainError(p, BPFCAP_ERROR_SEMANTIC,
                    "link type " + std::to_string(opts.link_type) + " is not supported by bpfcap");
      return p;
    }
    bpfcap::CompileOptions copts;
    copts.dlt = opts.link_type;
    copts.snaplen = opts.snaplen;
    copts.netmask = opts.netmask;
    copts.optimize = opts.optimize != 0;
    copts.for_kernel =
        opts.target == BPFCAP_TARGET_CBPF_SOCKET || opts.target == BPFCAP_TARGET_EBPF_SOCKET;
    p->snaplen = opts.snaplen;
    const std::string_view expr(expression);
    if (IsEbpf(opts.target)) {
      const bpfcap::ebpf::Target t = opts.target == BPFCAP_TARGET_XDP
                                         ? bpfcap::ebpf::Target::kXdp
                                         : bpfcap::ebpf::Target::kSocketFilter;
      bpfcap::EbpfCompileResult r =
          bpfcap::CompileEbpf(expr, copts, t, bpfcap::DumpStage::kNone, /*want_classic=*/true);
      if (!r.diag.ok()) {
        SetDiag(p, r.diag, expr);
      } else {
        p->ebpf = std::move(r.program);
        p->insns = std::move(r.classic);
      }
      return p;
    }
    bpfcap::CompileResult r = bpfcap::Compile(expr, copts);
    if (!r.diag.ok()) {
      SetDiag(p, r.diag, expr);
    } else {
      p->insns = std::move(r.program);
    }
    return p;
  } catch (...) {
    return nullptr;
  }
}

void bpfcap_program_free(bpfcap_program* program) { delete program; }

int bpfcap_program_ok(const bpfcap_program* program) {
  return program && program->code == BPFCAP_OK;
}

bpfcap_error_code bpfcap_program_error_code(const bpfcap_program* program) {
  return program ? program->code : BPFCAP_ERROR_INVALID_ARGUMENT;
}

const char* bpfcap_program_error(const bpfcap_program* program) {
  return program ? program->error.c_str() : "no program (NULL)";
}

const char* bpfcap_program_error_message(const bpfcap_program* program) {
  return program ? program->message.c_str() : "no program (NULL)";
}

unsigned bpfcap_program_error_column(const bpfcap_program* program) {
  return program ? program->column : 0;
}

const char* bpfcap_program_error_token(const bpfcap_program* program) {
  return program ? program->token.c_str() : "";
}

bpfcap_target bpfcap_program_target(const bpfcap_program* program) {
  return program ? program->target : BPFCAP_TARGET_CBPF;
}

size_t bpfcap_program_length(const bpfcap_program* program) {
  if (!bpfcap_program_ok(program) || IsEbpf(program->target)) return 0;
  return program->insns.size();
}

const bpfcap_insn* bpfcap_program_insns(const bpfcap_program* program) {
  if (!bpfcap_program_ok(program) || IsEbpf(program->target)) return nullptr;
  return reinterpret_cast<const bpfcap_insn*>(program->insns.data());
}

size_t bpfcap_program_ebpf_length(const bpfcap_program* program) {
  if (!bpfcap_program_ok(program) || !IsEbpf(program->target)) return 0;
  return program->ebpf.size();
}

const bpfcap_ebpf_insn* bpfcap_program_ebpf_insns(const bpfcap_program* program) {
  if (!bpfcap_program_ok(program) || !IsEbpf(program->target)) return nullptr;
  return reinterpret_cast<const bpfcap_ebpf_insn*>(program->ebpf.data());
}

uint32_t bpfcap_program_run(const bpfcap_program* program, const uint8_t* packet,
                            uint32_t wirelen, uint32_t caplen) {
  if (!bpfcap_program_ok(program) || (!packet && caplen != 0)) return 0;
  // eBPF targets: the classic program of the same IR. Its accept value is
  // the snap length for XDP too (the XDP program returns XDP_PASS there).
  return bpfcap::cbpf::Run(program->insns, packet, wirelen, caplen);
}

uint32_t bpfcap_run(const bpfcap_insn* insns, size_t length, const uint8_t* packet,
                    uint32_t wirelen, uint32_t caplen) {
  if (!insns || length == 0 || (!packet && caplen != 0)) return 0;
  return bpfcap::cbpf::Run({reinterpret_cast<const bpfcap::cbpf::Insn*>(insns), length}, packet,
                           wirelen, caplen);
}

int bpfcap_validate(const bpfcap_insn* insns, size_t length, char* errbuf, size_t errbuf_size) {
  std::string error;
  bool ok = false;
  try {
    if (!insns || length == 0) {
      error = "empty program";
    } else {
      ok = bpfcap::cbpf::Validate(CopyInsns(insns, length), &error);
    }
  } catch (...) {
    error = "out of memory";
  }
  if (!ok && errbuf && errbuf_size > 0) {
    std::snprintf(errbuf, errbuf_size, "%s", error.c_str());
  }
  return ok ? 1 : 0;
}

char* bpfcap_program_dump(const bpfcap_program* program, bpfcap_dump_format format) {
  // Any int may come from C (see TargetNumber).
  static_assert(sizeof(bpfcap_dump_format) == sizeof(int));
  int fmt;
  std::memcpy(&fmt, &format, sizeof fmt);
  if (!bpfcap_program_ok(program)) return nullptr;
  try {
    if (IsEbpf(program->target)) {
      return fmt == BPFCAP_DUMP_ASM ? CopyString(bpfcap::ebpf::Dump(program->ebpf)) : nullptr;
    }
    switch (fmt) {
      case BPFCAP_DUMP_ASM: return CopyString(bpfcap::cbpf::DumpAsm(program->insns));
      case BPFCAP_DUMP_C: return CopyString(bpfcap::cbpf::DumpC(program->insns));
      case BPFCAP_DUMP_DECIMAL: return CopyString(bpfcap::cbpf::DumpDecimal(program->insns));
    }
  } catch (...) {
  }
  return nullptr;
}

void bpfcap_free(void* p) { std::free(p); }

int bpfcap_link_type_from_name(const char* name) {
  if (!name) return -1;
  const std::string_view n(name);
  // Names only: FindLinkType(string_view) also takes numbers, this does not.
  if (n.empty() || (n[0] >= '0' && n[0] <= '9')) return -1;
  const bpfcap::proto::LinkType* lt = bpfcap::proto::FindLinkType(n);
  return lt ? lt->dlt : -1;
}

const char* bpfcap_link_type_name(int link_type) {
  const bpfcap::proto::LinkType* lt = bpfcap::proto::FindLinkType(link_type);
  return lt && !lt->name.empty() ? lt->name.data() : nullptr;  // string literals: NUL-terminated
}

const char* bpfcap_link_type_description(int link_type) {
  const bpfcap::proto::LinkType* lt = bpfcap::proto::FindLinkType(link_type);
  return lt && !lt->description.empty() ? lt->description.data() : nullptr;
}

}  // extern "C"
