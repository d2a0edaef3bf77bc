// Grammar of pcap-filter(7) for lemon. Actions only call ast:: builders.
//
// Looser than libpcap's grammar on purpose (see ast.h): numbers and bare ids
// may stand wherever an expression may, one `expr` symbol covers boolean and
// arithmetic expressions, and Qualify() sorts them out with positions. The
// precedence below is libpcap's: and/or equal and left-associative, `not`
// above them, then relations, then | ^ & << >> + - * / % and unary minus.

%include {
#include <cassert>
#include "compiler/ast.h"
#include "compiler/parse_state.h"
using namespace bpfcap;
using namespace bpfcap::ast;
}

%name BpfcapParse
%token_prefix TK_
%token_type {const bpfcap::Token*}
%extra_argument {bpfcap::ParseState* st}
%stack_size 20000
%start_symbol prog

%syntax_error {
  st->SyntaxError(yyminor);
}
%stack_overflow {
  st->failed = true;
  st->diag = Diag{Diag::Code::kLimit, {}, "expression nested too deeply"};
}

%nonassoc HID HID6.
%nonassoc MASK.
%left OR AND.
%right NOT.
%nonassoc EQ NE LT LE GT GE.
// '%' and '^' have no precedence in libpcap's grammar, so its parser
// generator resolves every conflict on them by shifting: the operator takes
// the nearest operand on its left and everything arithmetic on its right
// ("2 * 3 ^ 1" is 2 * (3 ^ 1), "7 % 4 * 2" is 7 % (4 * 2)). Lemon says
// that with two precedences: the tokens bind tighter than anything (so a
// rule on their left shifts them), the rules looser than any other operator
// (so they shift whatever follows), but tighter than a relation.
%right MODXOR_RULE.
%left BOR.
%left BAND.
%left LSH RSH.
%left PLUS MINUS.
%left STAR SLASH.
%right UMINUS.
%right PERCENT BXOR.

%token VLAN MPLS PPPOED PPPOES GENEVE INBOUND OUTBOUND IFINDEX LLC.
%token TYPE SUBTYPE DIR ADDR1 ADDR2 ADDR3 ADDR4 RA TA.
%token PF LANE ATMCIRCUIT ATMFIELD SS7UNIT SS7FIELD BYTE.
%token LPAREN RPAREN LBRACKET RBRACKET COLON NUM ID EID LEN LESS GREATER
       PNAME SRC DST HOST NET PORT PORTRANGE PROTO PROTOCHAIN GATEWAY
       BROADCAST MULTICAST.

%type expr {bpfcap::ast::Node*}
%type id {bpfcap::ast::Node*}
%type idgroup {bpfcap::ast::Node*}
%type bareid {bpfcap::ast::Node*}
%type head {bpfcap::HeadVal*}
%type dqual {bpfcap::DirVal*}
%type aqual {bpfcap::TypeVal*}
%type wlanid {bpfcap::ast::Node*}
%type relop {int}
%type numlist {bpfcap::ast::Node*}

prog ::= expr(E).                     { st->ast->root = E; }
prog ::= .

// --- boolean --------------------------------------------------------------
expr(A) ::= expr(L) AND expr(R).      { A = MakeBinaryBool(*st->ast, Kind::kAnd, L, R); }
expr(A) ::= expr(L) OR expr(R).       { A = MakeBinaryBool(*st->ast, Kind::kOr, L, R); }
expr(A) ::= NOT(T) expr(X).           { A = MakeNot(*st->ast, T->range, X); }
expr(A) ::= LPAREN(O) expr(X) RPAREN(C). { A = MakeGroup(*st->ast, O->range, C->range, X); }

// --- primitives -----------------------------------------------------------
expr(A) ::= head(H) id(I).            { A = MakePrimitive(*st->ast, H->quals, H->range, I); }
expr(A) ::= bareid(I).                { A = st->ast->New(Kind::kBareId, I->range); A->lhs = I; }
expr(A) ::= PNAME(P).                 { A = st->ast->New(Kind::kProtoAbbrev, P->range); A->quals.proto = Proto(P->num); }
expr(A) ::= PNAME(P) PROTO(T) id(I).  { A = MakePrimitive(*st->ast, Quals{Proto(P->num), Dir::kDefault, Type::kProto}, Span(P->range, T->range), I); }
expr(A) ::= PROTO(T) id(I).           { A = MakePrimitive(*st->ast, Quals{Proto::kDefault, Dir::kDefault, Type::kProto}, T->range, I); }
expr(A) ::= PNAME(P) PROTOCHAIN(T) id(I). { A = MakePrimitive(*st->ast, Quals{Proto(P->num), Dir::kDefault, Type::kProtoChain}, Span(P->range, T->range), I); }
expr(A) ::= PROTOCHAIN(T) id(I).      { A = MakePrimitive(*st->ast, Quals{Proto::kDefault, Dir::kDefault, Type::kProtoChain}, T->range, I); }
expr(A) ::= PNAME(P) GATEWAY(T) id(I). { A = MakePrimitive(*st->ast, Quals{Proto(P->num), Dir::kDefault, Type::kGateway}, Span(P->range, T->range), I); }
expr(A) ::= GATEWAY(T) id(I).         { A = MakePrimitive(*st->ast, Quals{Proto::kDefault, Dir::kDefault, Type::kGateway}, T->range, I); }
expr(A) ::= PNAME(P) BROADCAST(T).    { A = st->ast->New(Kind::kBroadcast, Span(P->range, T->range)); A->quals.proto = Proto(P->num); }
expr(A) ::= BROADCAST(T).             { A = st->ast->New(Kind::kBroadcast, T->range); }
expr(A) ::= PNAME(P) MULTICAST(T).    { A = st->ast->New(Kind::kMulticast, Span(P->range, T->range)); A->quals.proto = Proto(P->num); }
expr(A) ::= MULTICAST(T).             { A = st->ast->New(Kind::kMulticast, T->range); }
// Encapsulations: each moves the offsets of everything after it.
expr(A) ::= VLAN(T).                  { A = st->ast->New(Kind::kVlan, T->range); }
expr(A) ::= VLAN(T) NUM(N).           { A = MakeEncap(*st->ast, Kind::kVlan, T->range, N->range, N->num); }
expr(A) ::= MPLS(T).                  { A = st->ast->New(Kind::kMpls, T->range); }
expr(A) ::= MPLS(T) NUM(N).           { A = MakeEncap(*st->ast, Kind::kMpls, T->range, N->range, N->num); }
expr(A) ::= PPPOED(T).                { A = st->ast->New(Kind::kPppoed, T->range); }
expr(A) ::= PPPOES(T).                { A = st->ast->New(Kind::kPppoes, T->range); }
expr(A) ::= PPPOES(T) NUM(N).         { A = MakeEncap(*st->ast, Kind::kPppoes, T->range, N->range, N->num); }
expr(A) ::= GENEVE(T).                { A = st->ast->New(Kind::kGeneve, T->range); }
expr(A) ::= GENEVE(T) NUM(N).         { A = MakeEncap(*st->ast, Kind::kGeneve, T->range, N->range, N->num); }
// 802.2 LLC frames, optionally of one kind: "llc", "llc i", "llc rr".
expr(A) ::= LLC(T).                   { A = st->ast->New(Kind::kLlc, T->range); }
expr(A) ::= LLC(T) ID(I).             { A = st->ast->New(Kind::kLlc, Span(T->range, I->range)); A->text = I->text; A->range2 = I->range; }
// Packet metadata: the direction and the interface it was captured on.
expr(A) ::= INBOUND(T).               { A = st->ast->New(Kind::kInbound, T->range); }
expr(A) ::= OUTBOUND(T).              { A = st->ast->New(Kind::kOutbound, T->range); }
expr(A) ::= IFINDEX(T) NUM(N).        { A = st->ast->New(Kind::kIfIndex, Span(T->range, N->range)); A->num = N->num; }
// 802.11 frame control: "type mgt", "type data subtype qos-data",
// "subtype beacon" (a name only, as in libpcap), "dir tods".
expr(A) ::= TYPE(T) wlanid(I).        { A = st->ast->New(Kind::kWlanType, Span(T->range, I->range)); A->lhs = I; }
expr(A) ::= TYPE(T) wlanid(I) SUBTYPE wlanid(S). { A = st->ast->New(Kind::kWlanType, Span(T->range, S->range)); A->lhs = I; A->rhs = S; }
expr(A) ::= SUBTYPE(T) ID(I).         { A = st->ast->New(Kind::kWlanType, Span(T->range, I->range)); A->rhs = st->ast->New(Kind::kIdName, I->range); A->rhs->text = I->text; }
expr(A) ::= DIR(T) wlanid(I).         { A = st->ast->New(Kind::kWlanDir, Span(T->range, I->range)); A->lhs = I; }
wlanid(I) ::= NUM(N).                 { I = st->ast->New(Kind::kIdNum, N->range); I->num = N->num; }
wlanid(I) ::= ID(T).                  { I = st->ast->New(Kind::kIdName, T->range); I->text = T->text; }
// Keywords of one link type's own header (pflog, SunATM, SS7); lowering
// refuses them on the others.
expr(A) ::= PF(T) ID(I).              { A = MakePfField(*st->ast, T->range, T->num, I->range, I->text, 0, false); }
expr(A) ::= PF(T) NUM(N).             { A = MakePfField(*st->ast, T->range, T->num, N->range, {}, N->num, true); }
expr(A) ::= LANE(T).                  { A = st->ast->New(Kind::kLane, T->range); }
expr(A) ::= ATMCIRCUIT(T).            { A = st->ast->New(Kind::kAtmCircuit, T->range); A->text = T->text; }
expr(A) ::= SS7UNIT(T).               { A = st->ast->New(Kind::kSs7Unit, T->range); A->text = T->text; }
// "vpi 1", "vpi > 1", "vpi (1 or 2)"; the same for vci and the SS7 fields.
expr(A) ::= ATMFIELD(F) NUM(N).       { A = MakeLinkField(*st->ast, Kind::kAtmField, F, int(RelOp::kEq), N); }
expr(A) ::= ATMFIELD(F) relop(R) NUM(N). { A = MakeLinkField(*st->ast, Kind::kAtmField, F, R, N); }
expr(A) ::= ATMFIELD(F) LPAREN numlist(L) RPAREN(C). { A = MakeLinkFieldList(*st->ast, Kind::kAtmField, F, L, C->range); }
expr(A) ::= SS7FIELD(F) NUM(N).       { A = MakeLinkField(*st->ast, Kind::kSs7Field, F, int(RelOp::kEq), N); }
expr(A) ::= SS7FIELD(F) relop(R) NUM(N). { A = MakeLinkField(*st->ast, Kind::kSs7Field, F, R, N); }
expr(A) ::= SS7FIELD(F) LPAREN numlist(L) RPAREN(C). { A = MakeLinkFieldList(*st->ast, Kind::kSs7Field, F, L, C->range); }
relop(R) ::= EQ.                      { R = int(RelOp::kEq); }
relop(R) ::= NE.                      { R = int(RelOp::kNe); }
relop(R) ::= LT.                      { R = int(RelOp::kLt); }
relop(R) ::= LE.                      { R = int(RelOp::kLe); }
relop(R) ::= GT.                      { R = int(RelOp::kGt); }
relop(R) ::= GE.                      { R = int(RelOp::kGe); }
// Only "or" joins the values, as in libpcap.
numlist(L) ::= NUM(N).                { L = st->ast->New(Kind::kNum, N->range); L->num = N->num; }
numlist(L) ::= numlist(A) OR NUM(N).  { Node* n = st->ast->New(Kind::kNum, N->range); n->num = N->num; L = MakeBinaryBool(*st->ast, Kind::kOr, A, n); }
expr(A) ::= LESS(T) NUM(N).           { A = st->ast->New(Kind::kLess, Span(T->range, N->range)); A->num = N->num; }
expr(A) ::= GREATER(T) NUM(N).        { A = st->ast->New(Kind::kGreater, Span(T->range, N->range)); A->num = N->num; }

head(H) ::= PNAME(P) dqual(D) aqual(T). { H = st->New<HeadVal>(Quals{Proto(P->num), D->dir, T->type}, Span(P->range, T->range)); }
head(H) ::= PNAME(P) dqual(D).        { H = st->New<HeadVal>(Quals{Proto(P->num), D->dir, Type::kDefault}, Span(P->range, D->range)); }
head(H) ::= PNAME(P) aqual(T).        { H = st->New<HeadVal>(Quals{Proto(P->num), Dir::kDefault, T->type}, Span(P->range, T->range)); }
head(H) ::= dqual(D) aqual(T).        { H = st->New<HeadVal>(Quals{Proto::kDefault, D->dir, T->type}, Span(D->range, T->range)); }
head(H) ::= dqual(D).                 { H = st->New<HeadVal>(Quals{Proto::kDefault, D->dir, Type::kDefault}, D->range); }
head(H) ::= aqual(T).                 { H = st->New<HeadVal>(Quals{Proto::kDefault, Dir::kDefault, T->type}, T->range); }

dqual(D) ::= SRC(T).                  { D = st->New<DirVal>(Dir::kSrc, T->range); }
dqual(D) ::= DST(T).                  { D = st->New<DirVal>(Dir::kDst, T->range); }
dqual(D) ::= SRC(A) OR DST(B).        { D = st->New<DirVal>(Dir::kSrcOrDst, Span(A->range, B->range)); }
dqual(D) ::= DST(A) OR SRC(B).        { D = st->New<DirVal>(Dir::kSrcOrDst, Span(A->range, B->range)); }
dqual(D) ::= SRC(A) AND DST(B).       { D = st->New<DirVal>(Dir::kSrcAndDst, Span(A->range, B->range)); }
dqual(D) ::= DST(A) AND SRC(B).       { D = st->New<DirVal>(Dir::kSrcAndDst, Span(A->range, B->range)); }
dqual(D) ::= ADDR1(T).                { D = st->New<DirVal>(Dir::kAddr1, T->range); }
dqual(D) ::= ADDR2(T).                { D = st->New<DirVal>(Dir::kAddr2, T->range); }
dqual(D) ::= ADDR3(T).                { D = st->New<DirVal>(Dir::kAddr3, T->range); }
dqual(D) ::= ADDR4(T).                { D = st->New<DirVal>(Dir::kAddr4, T->range); }
dqual(D) ::= RA(T).                   { D = st->New<DirVal>(Dir::kRa, T->range); }
dqual(D) ::= TA(T).                   { D = st->New<DirVal>(Dir::kTa, T->range); }

aqual(T) ::= HOST(K).                 { T = st->New<TypeVal>(Type::kHost, K->range); }
aqual(T) ::= NET(K).                  { T = st->New<TypeVal>(Type::kNet, K->range); }
aqual(T) ::= PORT(K).                 { T = st->New<TypeVal>(Type::kPort, K->range); }
aqual(T) ::= PORTRANGE(K).            { T = st->New<TypeVal>(Type::kPortRange, K->range); }

id(I) ::= bareid(B).                  { I = B; }
id(I) ::= NUM(N).                     { I = st->ast->New(Kind::kIdNum, N->range); I->num = N->num; }
// After a head, ids combine: "port not 22", "host (a or b)" mean
// "not port 22", "host a or host b" (MakePrimitive distributes the head).
id(I) ::= NOT(T) id(X).               { I = MakeNot(*st->ast, T->range, X); }
id(I) ::= LPAREN(O) idgroup(X) RPAREN(C). { I = MakeGroup(*st->ast, O->range, C->range, X); }
// libpcap's grammar does not let a group start with a nested group:
// "port ((80 or 443) and 22)" is a syntax error there, so it is here.
idgroup(I) ::= bareid(X).             { I = X; }
idgroup(I) ::= NUM(N).                { I = st->ast->New(Kind::kIdNum, N->range); I->num = N->num; }
idgroup(I) ::= NOT(T) id(X).          { I = MakeNot(*st->ast, T->range, X); }
idgroup(I) ::= idgroup(L) AND id(R).  { I = MakeBinaryBool(*st->ast, Kind::kAnd, L, R); }
idgroup(I) ::= idgroup(L) OR id(R).   { I = MakeBinaryBool(*st->ast, Kind::kOr, L, R); }

bareid(I) ::= ID(T).                  { I = st->ast->New(Kind::kIdName, T->range); I->text = T->text; }
bareid(I) ::= HID(T).                 { I = st->ast->New(Kind::kIdHost4, T->range); I->text = T->text; }
bareid(I) ::= HID6(T).                { I = st->ast->New(Kind::kIdHost6, T->range); I->text = T->text; }
bareid(I) ::= EID(T).                 { I = st->ast->New(Kind::kIdMac, T->range); I->text = T->text; }
bareid(I) ::= HID(T) SLASH NUM(N).    { I = st->ast->New(Kind::kIdNet4Len, Span(T->range, N->range)); I->text = T->text; I->num = N->num; I->range2 = N->range; }
bareid(I) ::= HID6(T) SLASH NUM(N).   { I = st->ast->New(Kind::kIdNet6Len, Span(T->range, N->range)); I->text = T->text; I->num = N->num; I->range2 = N->range; }
bareid(I) ::= HID(T) MASK HID(M).     { I = st->ast->New(Kind::kIdNet4Mask, Span(T->range, M->range)); I->text = T->text; I->text2 = M->text; I->range2 = M->range; }

// libpcap's old "byte N op M", which pcap-filter(7) does not list: the
// link-layer byte N against the number M (ast.h, MakeByteTest).
expr(A) ::= BYTE(T) NUM(I) EQ NUM(V).   { A = MakeByteTest(*st->ast, T, I, '=', V); }
expr(A) ::= BYTE(T) NUM(I) LT NUM(V).   { A = MakeByteTest(*st->ast, T, I, '<', V); }
expr(A) ::= BYTE(T) NUM(I) GT NUM(V).   { A = MakeByteTest(*st->ast, T, I, '>', V); }
expr(A) ::= BYTE(T) NUM(I) BAND NUM(V). { A = MakeByteTest(*st->ast, T, I, '&', V); }
expr(A) ::= BYTE(T) NUM(I) BOR NUM(V).  { A = MakeByteTest(*st->ast, T, I, '|', V); }

// --- arithmetic -----------------------------------------------------------
expr(A) ::= expr(L) EQ expr(R).       { A = MakeRelation(*st->ast, RelOp::kEq, L, R); }
expr(A) ::= expr(L) NE expr(R).       { A = MakeRelation(*st->ast, RelOp::kNe, L, R); }
expr(A) ::= expr(L) LT expr(R).       { A = MakeRelation(*st->ast, RelOp::kLt, L, R); }
expr(A) ::= expr(L) LE expr(R).       { A = MakeRelation(*st->ast, RelOp::kLe, L, R); }
expr(A) ::= expr(L) GT expr(R).       { A = MakeRelation(*st->ast, RelOp::kGt, L, R); }
expr(A) ::= expr(L) GE expr(R).       { A = MakeRelation(*st->ast, RelOp::kGe, L, R); }
expr(A) ::= expr(L) PLUS expr(R).     { A = MakeArith(*st->ast, BinOp::kAdd, L, R); }
expr(A) ::= expr(L) MINUS expr(R).    { A = MakeArith(*st->ast, BinOp::kSub, L, R); }
expr(A) ::= expr(L) STAR expr(R).     { A = MakeArith(*st->ast, BinOp::kMul, L, R); }
expr(A) ::= expr(L) SLASH expr(R).    { A = MakeArith(*st->ast, BinOp::kDiv, L, R); }
expr(A) ::= expr(L) PERCENT expr(R). [MODXOR_RULE] { A = MakeArith(*st->ast, BinOp::kMod, L, R); }
expr(A) ::= expr(L) BAND expr(R).     { A = MakeArith(*st->ast, BinOp::kAnd, L, R); }
expr(A) ::= expr(L) BOR expr(R).      { A = MakeArith(*st->ast, BinOp::kOr, L, R); }
expr(A) ::= expr(L) BXOR expr(R). [MODXOR_RULE] { A = MakeArith(*st->ast, BinOp::kXor, L, R); }
expr(A) ::= expr(L) LSH expr(R).      { A = MakeArith(*st->ast, BinOp::kLsh, L, R); }
expr(A) ::= expr(L) RSH expr(R).      { A = MakeArith(*st->ast, BinOp::kRsh, L, R); }
expr(A) ::= MINUS(T) expr(X). [UMINUS] { A = MakeNeg(*st->ast, T->range, X); }
expr(A) ::= NUM(N).                   { A = st->ast->New(Kind::kNum, N->range); A->num = N->num; }
expr(A) ::= LEN(T).                   { A = st->ast->New(Kind::kLen, T->range); }
expr(A) ::= PNAME(P) LBRACKET expr(I) RBRACKET(E). { A = MakeLoad(*st->ast, Proto(P->num), P->range, I, 1, E->range); }
expr(A) ::= PNAME(P) LBRACKET expr(I) COLON NUM(S) RBRACKET(E). { A = MakeLoad(*st->ast, Proto(P->num), P->range, I, S->num, E->range); A->range2 = S->range; }
