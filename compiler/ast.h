// AST of a filter expression, as the parser builds it.
//
// Takes tokens (via the lemon grammar's actions, which call only the builders
// below) and holds a small tree of qualifiers, primitives, relations and
// and/or/not. Every node keeps the source range it came from, so that later
// phases can point at the word at fault. Nodes live in an Ast arena and are
// never freed individually.
//
// The grammar is deliberately looser than libpcap's: a number or a bare id is
// accepted anywhere an expression may stand, and Qualify() (qualify.cc) then
// decides, as libpcap's parser does, whether a bare id may inherit the
// qualifiers of the primitive before it ("host a or b", "port 80 or 443"),
// whether a number is arithmetic or an id, and whether each operand has the
// right kind (boolean or arithmetic). Lowering sees only qualified nodes.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>

#include "compiler/diag.h"

namespace bpfcap {
struct Token;
}

namespace bpfcap::ast {

// Protocol qualifier ("pname" in pcap-filter(7)).
enum class Proto : uint8_t {
  kDefault,  // none given
  kLink,     // "ether", "link" (and ppp, slip, fddi, tr, wlan)
  kIp,       // "ip"
  kIp6,      // "ip6"
  kArp,      // "arp"
  kRarp,     // "rarp"
  kTcp,      // "tcp"
  kUdp,      // "udp"
  kSctp,     // "sctp"
  kIcmp,     // "icmp"
  kIcmp6,    // "icmp6"
  kIgmp,     // "igmp"
  kIgrp,     // "igrp"
  kPim,      // "pim"
  kVrrp,     // "vrrp"
  kCarp,     // "carp"
  kAh,       // "ah"
  kEsp,      // "esp"
  // Link-level protocols (EtherTypes, LLC SAPs) and the OSI family.
  kAtalk,    // "atalk"
  kAarp,     // "aarp"
  kDecnet,   // "decnet"
  kLat,      // "lat"
  kSca,      // "sca"
  kMopdl,    // "mopdl"
  kMoprc,    // "moprc"
  kIso,      // "iso"
  kEsis,     // "esis", "es-is"
  kIsis,     // "isis", "is-is"
  kClnp,     // "clnp"
  kL1,       // "l1": IS-IS level 1 PDUs
  kL2,       // "l2": IS-IS level 2 PDUs
  kIih,      // "iih": IS-IS hellos
  kLsp,      // "lsp": IS-IS link state PDUs
  kSnp,      // "snp": IS-IS sequence number PDUs
  kCsnp,     // "csnp": complete SNPs
  kPsnp,     // "psnp": partial SNPs
  kStp,      // "stp"
  kIpx,      // "ipx"
  kNetbeui,  // "netbeui"
};

// Direction qualifier.
enum class Dir : uint8_t {
  kDefault,    // none given: src or dst
  kSrc,        // "src"
  kDst,        // "dst"
  kSrcOrDst,   // "src or dst"
  kSrcAndDst,  // "src and dst"
  // 802.11 address fields ("wlan addr1 ehost"), valid only for MAC addresses.
  kAddr1,      // "addr1", "address1": receiver (every frame)
  kAddr2,      // "addr2", "address2": all but CTS and ACK
  kAddr3,      // "addr3", "address3": management and data frames
  kAddr4,      // "addr4", "address4": data frames between two DSs
  kRa,         // "ra": receiver address
  kTa,         // "ta": transmitter address
};

// Address type qualifier.
enum class Type : uint8_t {
  kDefault,     // none given: host (or what the id's shape implies)
  kHost,        // "host"
  kNet,         // "net"
  kPort,        // "port"
  kPortRange,   // "portrange"
  kProto,       // "proto"
  kProtoChain,  // "protochain"
  kGateway,     // "gateway"
};

struct Quals {
  Proto proto = Proto::kDefault;
  Dir dir = Dir::kDefault;
  Type type = Type::kDefault;
  friend bool operator==(const Quals&, const Quals&) = default;
};

// Relational operators as written.
enum class RelOp : uint8_t { kEq, kNe, kLt, kLe, kGt, kGe };

// Arithmetic operators.
enum class BinOp : uint8_t { kAdd, kSub, kMul, kDiv, kMod, kAnd, kOr, kXor, kLsh, kRsh };

enum class Kind : uint8_t {
  // Boolean
  kAnd,          // "a and b", "a && b"
  kOr,           // "a or b", "a || b"
  kNot,          // "not a", "! a"
  kGroup,        // "( a )": kept because it scopes qualifier inheritance
  kPrimitive,    // "[proto] [dir] [type] id"; quals + lhs = id
  kBareId,       // an id without qualifiers; Qualify turns it into kPrimitive
  kProtoAbbrev,  // "tcp", "ip6": quals.proto
  kRelation,     // "arith relop arith": rel, lhs, rhs
  kBroadcast,    // "[ether|ip] broadcast": quals.proto
  kMulticast,    // "[ether|ip|ip6] multicast": quals.proto
  kLess,         // "less N": num
  kGreater,      // "greater N": num
  kVlan,         // "vlan" or "vlan N": lhs = kIdNum N or null
  kMpls,         // "mpls" or "mpls LABEL": lhs = kIdNum LABEL or null
  kPppoed,       // "pppoed"
  kLlc,          // "llc" or "llc KIND": text = KIND (i, s, u, rr, ui, ...) or empty
  kInbound,      // "inbound"
  kOutbound,     // "outbound"
  kIfIndex,      // "ifindex N": num
  kPppoes,       // "pppoes" or "pppoes SESSION": lhs = kIdNum SESSION or null
  kGeneve,       // "geneve" or "geneve VNI": lhs = kIdNum VNI or null
  kWlanType,     // "type T [subtype S]", "subtype S": lhs = T, rhs = S (each kIdNum,
                 // kIdName or null)
  kWlanDir,      // "dir D", "direction D": lhs = kIdNum or kIdName
  kPfField,      // "ifname em0", "rnr 3", "reason short": num = proto::PfField, lhs = kIdName/kIdNum
  kLane,         // "lane": SunATM LANE; moves the offsets of what follows
  kAtmCircuit,   // "oam", "metac", "connectmsg", ...: text = keyword (proto/atm.h)
  kAtmField,     // "vpi 1", "vci > 5": text = keyword, rel, num
  kSs7Unit,      // "fisu", "lssu", "msu", "hfisu", ...: text = keyword (proto/ss7.h)
  kSs7Field,     // "sio 3", "opc != 5", "hdpc 7": text = keyword, rel, num
  // Arithmetic
  kNum,          // a number; in a boolean position Qualify makes it an id
  kLen,          // "len", "length"
  kLoad,         // "proto[index]" or "proto[index:size]": quals.proto, lhs, num = size
  kBinary,       // "a + b" ...: bin, lhs, rhs
  kNeg,          // "-a": lhs
  // Ids: the operand of a primitive
  kIdName,       // "localhost", "http", "\tcp": text
  kIdNum,        // "80": num (a kNum that Qualify found in id position)
  kIdHost4,      // "10.0.0.1", "10.1": text
  kIdHost6,      // "2001:db8::1": text
  kIdMac,        // "00:11:22:33:44:55": text
  kIdNet4Len,    // "10.0.0.0/8": text = address, num = prefix length
  kIdNet6Len,    // "2001:db8::/32": text = address, num = prefix length
  kIdNet4Mask,   // "10.0.0.0 mask 255.0.0.0": text = address, text2 = mask
};

struct Node {
  Kind kind;
  SourceRange range;
  Quals quals;
  RelOp rel = RelOp::kEq;
  BinOp bin = BinOp::kAdd;
  uint32_t num = 0;
  std::string_view text;
  std::string_view text2;
  SourceRange range2;  // for kIdNet4Mask: the mask's range; for kPrimitive: the head
  Node* lhs = nullptr;
  Node* rhs = nullptr;
};

// Owns every node of one parse.
class Ast {
 public:
  Node* New(Kind kind, SourceRange range) {
    nodes_.push_back(Node{});
    Node* n = &nodes_.back();
    n->kind = kind;
    n->range = range;
    return n;
  }
  Node* root = nullptr;   // null: the empty expression (accepts everything)
  std::string_view text;  // the expression the nodes' ranges index

 private:
  std::deque<Node> nodes_;
};

inline SourceRange Span(SourceRange a, SourceRange b) {
  return {a.begin < b.begin ? a.begin : b.begin, a.end > b.end ? a.end : b.end};
}

// Builders called by the grammar's actions.
Node* MakeBinaryBool(Ast& ast, Kind kind, Node* l, Node* r);
Node* MakeNot(Ast& ast, SourceRange op, Node* x);
Node* MakeGroup(Ast& ast, SourceRange open, SourceRange close, Node* x);
Node* MakeRelation(Ast& ast, RelOp op, Node* l, Node* r);
Node* MakeArith(Ast& ast, BinOp op, Node* l, Node* r);
Node* MakeNeg(Ast& ast, SourceRange op, Node* x);
Node* MakeLoad(Ast& ast, Proto proto, SourceRange begin, Node* index, uint32_t size, SourceRange end);
Node* MakePrimitive(Ast& ast, Quals q, SourceRange head, Node* id);
// "vlan 100", "mpls 16", "pppoes 3": the keyword's kind with its number.
Node* MakeEncap(Ast& ast, Kind kind, SourceRange keyword, SourceRange num_range, uint32_t num);

// "ifname em0" / "rnr 3": a pflog field (num = proto::PfField) with its
// name (`text`) or number.
Node* MakePfField(Ast& ast, SourceRange keyword, uint32_t field, SourceRange value,
                  std::string_view text, uint32_t num, bool is_num);
// "vpi > 1", "sio 3": `kind` of the keyword token `field`, comparing with
// `rel` (an ast::RelOp) to `value`'s number.
Node* MakeLinkField(Ast& ast, Kind kind, const Token* field, int rel, const Token* value);
// libpcap's "byte N op M" as the relation it stands for: link[N] = M,
// link[N] < M, link[N] > M, link[N] & M != 0 or link[N] | M != 0 (op one of
// = < > & |). libpcap 1.10.3 loads nothing for & and |: it tests whatever
// the accumulator held (README, deliberate differences).
Node* MakeByteTest(Ast& ast, const Token* keyword, const Token* index, char op, const Token* value);
// "vpi (1 or 2)": `values` is an or-chain of kNum; each becomes a test.
Node* MakeLinkFieldList(Ast& ast, Kind kind, const Token* field, Node* values, SourceRange close);

// Parses `expr` into `ast`. On failure returns false and fills *diag.
// Runs Qualify() too: the tree handed back is fully qualified.
bool Parse(std::string_view expr, Ast* ast, Diag* diag);

// qualify.cc: the qualifier-inheritance and operand-kind pass described above.
bool Qualify(Ast* ast, Diag* diag);

// S-expression dump for --dump=ast and tests: (or (port 80) (port 443)).
std::string Dump(const Node* n);

std::string_view ProtoName(Proto p);

}  // namespace bpfcap::ast
