// FormatDiag renders exact strings: the reject corpus and the CLI tests rely
// on them byte for byte.
#include "compiler/diag.h"

#include <gtest/gtest.h>

namespace bpfcap {
namespace {

struct Case {
  const char* expr;
  uint32_t begin, end;
  const char* message;
  const char* want;
};

constexpr Case kCases[] = {
    {"tcp prot 80", 4, 8, "syntax error: unexpected 'prot' after 'tcp'",
     "syntax error: unexpected 'prot' after 'tcp' (column 5, near 'prot')"},
    {"port 70000", 5, 10, "port number 70000 out of range",
     "port number 70000 out of range (column 6, near '70000')"},
    {"ip6 host 1.2.3.4", 0, 16, "IPv4 address in an ip6 expression",
     "IPv4 address in an ip6 expression (column 1, near 'ip6 host 1.2.3.4')"},
    // Empty range inside the expression: column only.
    {"tcp and", 4, 4, "something here", "something here (column 5)"},
    // Range at or past the end: the end of the expression.
    {"tcp and", 7, 7, "syntax error: expression ends after 'and'",
     "syntax error: expression ends after 'and' (at end of expression)"},
    {"tcp and", 99, 120, "m", "m (at end of expression)"},
    {"", 0, 0, "empty expression", "empty expression (at end of expression)"},
    // A range running past the end is clipped to the expression.
    {"host foo", 5, 50, "unknown host 'foo'", "unknown host 'foo' (column 6, near 'foo')"},
    // Control characters (expressions from -F files) stay on one line.
    {"tcp\nand\tudp", 0, 11, "m", "m (column 1, near 'tcp\\nand\\tudp')"},
    {"a\x01\xff", 1, 3, "m", "m (column 2, near '\\x01\\xff')"},
    // An empty message still renders.
    {"x", 0, 1, "", "error (column 1, near 'x')"},
};

TEST(FormatDiag, ExactStrings) {
  for (const Case& c : kCases) {
    Diag d;
    d.code = Diag::Code::kSyntax;
    d.range = {c.begin, c.end};
    d.message = c.message;
    EXPECT_EQ(FormatDiag(d, c.expr), c.want) << "expr: " << c.expr;
  }
}

TEST(FormatDiag, NeverContainsNewline) {
  Diag d{Diag::Code::kLex, {0, 3}, "bad\nmessage"};
  std::string s = FormatDiag(d, "a\nb");
  EXPECT_EQ(s.find('\n'), std::string::npos) << s;
  EXPECT_EQ(s, "bad\\nmessage (column 1, near 'a\\nb')");
}

}  // namespace
}  // namespace bpfcap
