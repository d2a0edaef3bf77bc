// Tokens: what the lexer hands the parser. Every token carries the byte range
// of its text, so that every AST node and every error can point at the source.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/diag.h"

namespace bpfcap {

struct Token {
  int kind = 0;           // TK_* from the generated grammar.h; 0 = end
  SourceRange range;
  std::string_view text;  // the source text (for IDs: without a leading '\')
  uint32_t num = 0;       // NUM value; PNAME/DIR protocol code
};

// Splits `expr` into tokens. On a lexical error returns false and fills *diag.
// The result does not include an end token.
bool Lex(std::string_view expr, std::vector<Token>* out, Diag* diag);

// Readable name of a token kind for messages and --dump=tokens.
std::string_view TokenKindName(int kind);

}  // namespace bpfcap
