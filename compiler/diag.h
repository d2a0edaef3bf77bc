// Diagnostics: every error the compiler reports is a value carrying the byte
// range of the source text at fault, so that the CLI can name a column and a
// token. Nothing in the compiler throws or longjmps; phases return a Diag.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace bpfcap {

// Half-open byte range [begin, end) into the expression text.
struct SourceRange {
  uint32_t begin = 0;
  uint32_t end = 0;
};

struct Diag {
  enum class Code {
    kNone,
    kSyntax,       // the parser could not continue
    kLex,          // a character or number the lexer does not accept
    kUnknownName,  // host, port, protocol or ether name that does not resolve
    kRange,        // a value out of range: port 70000, mask /33
    kSemantic,     // a combination libpcap refuses: "ip6 host 1.2.3.4"
    kRejectsAll,   // optimized program can never accept (as libpcap reports)
    kLimit,        // program too large for the target
  };
  Code code = Code::kNone;
  SourceRange range;
  std::string message;

  bool ok() const { return code == Code::kNone; }
};

// Renders a diagnostic on one line: "syntax error: unexpected 'prot' after
// 'tcp' (column 14, near 'prot')". Columns count from 1. The token text is cut from
// `expr` by the range; an empty range names the end of the expression.
std::string FormatDiag(const Diag& d, std::string_view expr);

}  // namespace bpfcap
