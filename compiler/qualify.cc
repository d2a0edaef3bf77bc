// Qualify: resolves libpcap's qualifier inheritance and operand kinds on the
// AST, in place.
//
// libpcap lets a bare id borrow the qualifiers of the primitive before it:
// "host a or b" is "host a or host b", "port 80 or (443 and 22)" is three
// ports. The borrowed qualifiers flow left to right through and/or:
//   - after "head id" they are the head's;
//   - after a protocol abbreviation ("tcp"), a relation or another keyword
//     primitive there are none, so "tcp or 80" is an error;
//   - a parenthesised expression restores, after ')', what held before '(';
//   - a bare id may stand only as the right operand of and/or, possibly under
//     "not", or inside parentheses that hold nothing but bare ids.
// A number in a boolean position is such a bare id; in an arithmetic position
// it is a number. Every operand is checked to be boolean or arithmetic as its
// operator needs, with the position of the first one that is not.

#include <optional>
#include <vector>

#include "compiler/ast.h"

namespace bpfcap::ast {
namespace {

using MaybeQuals = std::optional<Quals>;  // nullopt: nothing to inherit

class Qualifier {
 public:
  Qualifier(Ast* ast, Diag* diag) : ast_(ast), diag_(diag) {}

  // Walks a boolean expression; returns the qualifiers a following bare id
  // would inherit, or fails.
  bool Expr(Node* n, MaybeQuals in, MaybeQuals* out) {
    switch (n->kind) {
      case Kind::kAnd:
      case Kind::kOr: {
        // Walk the left spine iteratively: or-chains can be very long.
        std::vector<Node*> spine;
        Node* cur = n;
        while (cur->kind == Kind::kAnd || cur->kind == Kind::kOr) {
          spine.push_back(cur);
          cur = cur->lhs;
        }
        MaybeQuals q;
        if (!Expr(cur, in, &q)) return false;
        for (auto it = spine.rbegin(); it != spine.rend(); ++it) {
          Node* r = (*it)->rhs;
          if (IsIdGroup(r, /*in_group=*/false)) {
            if (!Ids(r, q)) return false;
          } else if (!Expr(r, q, &q)) {
            return false;
          }
        }
        *out = q;
        return true;
      }
      case Kind::kNot:
        return Expr(n->lhs, in, out);
      case Kind::kGroup:
        if (!Expr(n->lhs, in, out)) return false;
        *out = in;
        return true;
      case Kind::kPrimitive:
        *out = n->quals;
        return true;
      case Kind::kBareId:
      case Kind::kNum:
        return Fail(n, "'" + Text(n) + "' has no qualifier (host, net, port, ...) to inherit here");
      case Kind::kRelation:
        if (!Arith(n->lhs) || !Arith(n->rhs)) return false;
        *out = std::nullopt;
        return true;
      case Kind::kProtoAbbrev:
      case Kind::kBroadcast:
      case Kind::kMulticast:
      case Kind::kLess:
      case Kind::kGreater:
      case Kind::kVlan:
      case Kind::kMpls:
      case Kind::kPppoed:
      case Kind::kLlc:
      case Kind::kInbound:
      case Kind::kOutbound:
      case Kind::kIfIndex:
      case Kind::kPppoes:
      case Kind::kGeneve:
      case Kind::kWlanType:
      case Kind::kWlanDir:
      case Kind::kPfField:
      case Kind::kLane:
      case Kind::kAtmCircuit:
      case Kind::kAtmField:
      case Kind::kSs7Unit:
      case Kind::kSs7Field:
        *out = std::nullopt;
        return true;
      default:
        return Fail(n, "'" + Text(n) + "' is a value, not a test; compare it with a relation");
    }
  }

  // Arithmetic operands.
  bool Arith(Node* n) {
    switch (n->kind) {
      case Kind::kNum:
      case Kind::kLen:
        return true;
      case Kind::kGroup:
        return Arith(n->lhs) && (Hoist(n), true);
      case Kind::kLoad:
      case Kind::kNeg:
        return Arith(n->lhs);
      case Kind::kBinary:
        return Arith(n->lhs) && Arith(n->rhs);
      default:
        return Fail(n, "'" + Text(n) + "' is a test, not a value");
    }
  }

 private:
  // A bare id, a number, "not" of an id group, or parentheses around ids
  // joined by and/or.
  static bool IsIdGroup(const Node* n, bool in_group) {
    switch (n->kind) {
      case Kind::kBareId:
      case Kind::kNum:
        return true;
      case Kind::kNot:
        return IsIdGroup(n->lhs, in_group);
      case Kind::kGroup:
        return IsIdGroup(n->lhs, true);
      case Kind::kAnd:
      case Kind::kOr:
        return in_group && IsIdGroup(n->lhs, true) && IsIdGroup(n->rhs, true);
      default:
        return false;
    }
  }

  bool Ids(Node* n, MaybeQuals q) {
    switch (n->kind) {
      case Kind::kBareId:
      case Kind::kNum: {
        if (!q) return Fail(n, "'" + Text(n) + "' has no qualifier (host, net, port, ...) to inherit here");
        Node* id = n->lhs;
        if (n->kind == Kind::kNum) {
          id = ast_->New(Kind::kIdNum, n->range);
          id->num = n->num;
        }
        n->kind = Kind::kPrimitive;
        n->quals = *q;
        n->range2 = {n->range.begin, n->range.begin};
        n->lhs = id;
        return true;
      }
      case Kind::kNot:
      case Kind::kGroup:
        return Ids(n->lhs, q);
      case Kind::kAnd:
      case Kind::kOr:
        return Ids(n->lhs, q) && Ids(n->rhs, q);
      default:
        return false;
    }
  }

  // Replaces an arithmetic group by its content.
  static void Hoist(Node* n) { *n = *n->lhs; }

  std::string Text(const Node* n) const {
    return std::string(ast_->text.substr(n->range.begin, n->range.end - n->range.begin));
  }

  bool Fail(const Node* n, std::string msg) {
    diag_->code = Diag::Code::kSyntax;
    diag_->range = n->range;
    diag_->message = std::move(msg);
    return false;
  }

  Ast* ast_;
  Diag* diag_;
};

}  // namespace

bool Qualify(Ast* ast, Diag* diag) {
  if (!ast->root) return true;
  Qualifier q(ast, diag);
  MaybeQuals out;
  return q.Expr(ast->root, std::nullopt, &out);
}

}  // namespace bpfcap::ast
