// State shared by the parse driver (parse.cc) and the lemon grammar's
// actions. Private to the front end.
#pragma once

#include <deque>
#include <type_traits>

#include "compiler/ast.h"
#include "compiler/token.h"

namespace bpfcap {

// Values of the qualifier nonterminals.
struct DirVal { ast::Dir dir; SourceRange range; };
struct TypeVal { ast::Type type; SourceRange range; };
struct HeadVal { ast::Quals quals; SourceRange range; };

struct ParseState {
  ast::Ast* ast = nullptr;
  std::string_view expr;
  const Token* prev = nullptr;  // the token before the lookahead, for messages
  bool failed = false;
  Diag diag;

  void SyntaxError(const Token* lookahead);

  // Storage for the qualifier nonterminals' values (lemon keeps pointers).
  template <typename T, typename... Args>
  T* New(Args&&... args) {
    if constexpr (std::is_same_v<T, struct HeadVal>) return &heads.emplace_back(T{args...});
    else if constexpr (std::is_same_v<T, struct DirVal>) return &dirs.emplace_back(T{args...});
    else return &types.emplace_back(T{args...});
  }
  std::deque<struct HeadVal> heads;
  std::deque<struct DirVal> dirs;
  std::deque<struct TypeVal> types;
};


}  // namespace bpfcap
