// Lowering: qualified AST → boolean formula of tests → IR block DAG.

#include "compiler/lower.h"

#include "compiler/cbpf/insn.h"
#include "compiler/libpcap_proof.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "compiler/proto/ieee80211.h"
#include "compiler/proto/atm.h"
#include "compiler/proto/pflog.h"
#include "compiler/proto/protocols.h"
#include "compiler/proto/ss7.h"

namespace bpfcap {
namespace {

using ast::Dir;
using ast::Kind;
using ast::Node;
using ast::Proto;
using ast::Type;
using ir::Cmp;
using ir::ValueId;

// A boolean formula over IR tests, built before the DAG so that and/or
// chains can be laid out iteratively.
struct Cond {
  // kProbe: true whenever the test's loads succeed (both edges go on).
  // kIf: a ? b : c.
  // kStore: slot test.lhs := test.rhs, then true (a packet too short for
  // the value's loads rejects).
  enum class Op : uint8_t { kTest, kAnd, kOr, kNot, kTrue, kFalse, kProbe, kIf, kStore } op;
  ir::Test test;
  int a = -1, b = -1, c = -1;
};

constexpr int kError = -1;

// A place in the packet: a fixed offset, plus a value computed at run time
// (a radio header's length, the end of an 802.11 header) when var is set.
struct Pos {
  ValueId var = ir::kNoValue;
  uint32_t off = 0;
  Pos operator+(uint32_t k) const { return {var, off + k}; }
};

namespace wlan = proto::ieee80211;

class Lowerer {
 public:
  Lowerer(const ast::Ast& ast, const proto::LinkType& link, const CompileOptions& opts,
          const NameResolver& names, ir::Program* prog, Diag* diag, LowerInfo* info)
      : ast_(ast), link_(&link), dlt_link_(link), opts_(opts), names_(names), prog_(prog),
        v_(prog->values), diag_(diag),
        info_(info),
        encap_{link.type_kind == proto::TypeKind::kPppProtocol ||
                       link.type_kind == proto::TypeKind::kPppBsdos
                   ? Encap::Mode::kPpp
                   : Encap::Mode::kLink,
               link.type_off, link.nl_off, 0, NetworkLayerVar(link)} {}

  bool Run() {
    if (!ast_.root) {
      prog_->entry = ir::kAccept;
      return true;
    }
    int c;
    if (link_->mac == proto::MacHeader::kIeee80211) {
      c = LowerWlan();
    } else if (opts_.for_kernel && link_->dlt == kDltEn10mb && HasVlan(ast_.root)) {
      // On a socket the outer tag may be out of the packet (the kernel
      // strips it and keeps it in its ancillary data): lower the whole
      // expression once for each case and pick by the kernel's flag. The
      // first "vlan" reads the tag from the ancillary data and moves no
      // offsets in the first lowering; everything else is the same.
      const Encap start = encap_;
      kernel_tag_ = true;
      const int stripped = Lower(ast_.root);
      Restart(start, Pos{});
      kernel_tag_ = false;
      const int inline_tag = Lower(ast_.root);
      const int present = EqAt(1, cbpf::kSkfAdOff + cbpf::kAdVlanPresent, 1);
      c = Or(And(present, stripped), And(Not(present), inline_tag));
    } else {
      c = Lower(ast_.root);
    }
    if (c == kError) return false;
    c = WithHeaderLengthProbe(c);
    FindUsedSlots(c);
    if (!SlotsFit()) return false;
    prog_->entry = Build(c, ir::kAccept, ir::kReject);
    return true;
  }

 private:
  // Where the link layer's protocol field and the network layer are, given
  // the encapsulations seen so far: libpcap moves them as it parses, so
  // "vlan or ip" tests ip inside the tag (textual order, not logic).
  struct Encap {
    enum class Mode : uint8_t {
      kLink,  // the link type's own protocol field
      kMpls,  // after "mpls": payload known only by its version nibble
      kPpp,   // after "pppoes": PPP protocol numbers
    } mode;
    uint32_t type_off;   // protocol field (kLink, kPpp)
    uint32_t nl_off;     // network-layer header
    uint32_t label_off;  // kMpls: the innermost label seen
    ValueId base = ir::kNoValue;       // added to nl_off at run time (802.11, geneve)
    ValueId type_base = ir::kNoValue;  // added to type_off at run time (802.11, geneve)
    ValueId label_base = ir::kNoValue;  // added to label_off at run time (after geneve)
    Pos Label() const { return {label_base, label_off}; }
  };

  // --- formula construction ----------------------------------------------
  int Add(Cond c) {
    conds_.push_back(c);
    return int(conds_.size() - 1);
  }
  int Test(ValueId lhs, Cmp cmp, ValueId rhs) { return Add(Cond{Cond::Op::kTest, {lhs, cmp, rhs}}); }
  int TestK(ValueId lhs, Cmp cmp, uint32_t k) { return Test(lhs, cmp, v_.Const(k)); }
  int And(int a, int b) {
    if (a == kError || b == kError) return kError;
    return Add(Cond{Cond::Op::kAnd, {}, a, b});
  }
  int Or(int a, int b) {
    if (a == kError || b == kError) return kError;
    return Add(Cond{Cond::Op::kOr, {}, a, b});
  }
  int Not(int a) { return a == kError ? kError : Add(Cond{Cond::Op::kNot, {}, a}); }
  int False() { return Add(Cond{Cond::Op::kFalse, {}}); }
  // True, once the value's loads succeed: a packet too short rejects.
  int Probe(ValueId v) { return Add(Cond{Cond::Op::kProbe, {v, Cmp::kEq, v_.Const(0)}}); }
  // "if test then a else b".
  int If(int test, int a, int b) {
    if (test == kError || a == kError || b == kError) return kError;
    return Add(Cond{Cond::Op::kIf, {}, test, a, b});
  }
  int Set(ValueId v, uint32_t bits) { return TestK(v, Cmp::kSet, bits); }
  int True() { return Add(Cond{Cond::Op::kTrue, {}}); }
  // slot := v, then true.
  int Store(uint32_t slot, ValueId v) { return Add(Cond{Cond::Op::kStore, {v_.Slot(slot), Cmp::kStore, v}}); }


  ValueId Load(uint8_t size, uint32_t off) { return v_.Load(size, ir::kNoValue, off); }
  ValueId Load(uint8_t size, Pos p) { return v_.Load(size, p.var, p.off); }
  // (P[off:size] & mask) == k; no "and" when the mask covers the field.
  int MaskedEq(uint8_t size, Pos p, uint32_t mask, uint32_t k) {
    uint32_t full = size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
    ValueId l = Load(size, p);
    if ((mask & full) != full) l = v_.Binary(ast::BinOp::kAnd, l, v_.Const(mask));
    return TestK(l, Cmp::kEq, k);
  }
  int MaskedEq(uint8_t size, uint32_t off, uint32_t mask, uint32_t k) { return MaskedEq(size, Pos{ir::kNoValue, off}, mask, k); }
  int EqAt(uint8_t size, Pos p, uint32_t k) { return MaskedEq(size, p, 0xffffffffu, k); }
  int EqAt(uint8_t size, uint32_t off, uint32_t k) { return MaskedEq(size, off, 0xffffffffu, k); }

  // Short-circuit evaluation into blocks. Chains of one operator are walked
  // iteratively, so a 10,000-term "or" does not recurse 10,000 deep.
  ir::BlockId Build(int c, ir::BlockId t, ir::BlockId f) {
    const Cond& n = conds_[c];
    switch (n.op) {
      case Cond::Op::kTest: return prog_->AddBlock(n.test, t, f);
      case Cond::Op::kTrue: return t;
      case Cond::Op::kFalse: return f;
      case Cond::Op::kProbe: return prog_->AddBlock(n.test, t, t);
      case Cond::Op::kStore:
        if (!(used_slots_ & v_.SlotsRead(n.test.lhs))) return t;  // (FindUsedSlots)
        return prog_->AddBlock(n.test, t, t);
      case Cond::Op::kIf: {
        const int test = n.a, then = n.b, otherwise = n.c;
        const ir::BlockId else_entry = Build(otherwise, t, f);
        return Build(test, Build(then, t, f), else_entry);
      }
      case Cond::Op::kNot: return Build(n.a, f, t);
      case Cond::Op::kAnd:
      case Cond::Op::kOr: {
        std::vector<int> terms;  // right operands, innermost last
        int cur = c;
        while (conds_[cur].op == n.op) {
          terms.push_back(conds_[cur].b);
          cur = conds_[cur].a;
        }
        terms.push_back(cur);  // leftmost operand
        // terms = [xn, ..., x2, x1]: build from the last evaluated.
        ir::BlockId next = n.op == Cond::Op::kAnd ? t : f;
        for (int term : terms) {
          next = n.op == Cond::Op::kAnd ? Build(term, next, f) : Build(term, t, next);
        }
        return next;
      }
    }
    return f;
  }

  // --- errors -----------------------------------------------------------
  int Fail(const Node* n, std::string msg, Diag::Code code = Diag::Code::kSemantic) {
    if (!diag_->message.empty()) return kError;  // the first error stands
    diag_->code = code;
    diag_->range = n->range;
    diag_->message = std::move(msg);
    return kError;
  }
  std::string Text(const Node* n) const {
    return std::string(ast_.text.substr(n->range.begin, n->range.end - n->range.begin));
  }

  // --- link layer ---------------------------------------------------------
  // The network-layer header and the link's protocol field. On 802.11 both
  // follow a MAC header of run-time length: using them makes the program
  // start by working that length out (see LowerWlan).
  Pos nl() {
    used_payload_ = true;
    return {encap_.base, encap_.nl_off};
  }
  Pos TypePos() {
    used_payload_ = true;
    return {encap_.type_base, encap_.type_off};
  }
  // The MAC header (after a radio header, if any).
  Pos Mac() {
    used_mac_ = true;
    return mac_;
  }
  bool Wlan() const { return link_->mac == proto::MacHeader::kIeee80211; }
  // Ethernet addresses exist on the link, and not only inside PPPoE (after
  // "pppoes", libpcap treats the link as PPP, which has none).
  bool HasEtherAddrs() const { return link_->has_ether_addrs && encap_.mode != Encap::Mode::kPpp; }

  // IEEE 802.2 SNAP: AA AA 03 OUI(3) TYPE(2), compared last word first.
  int Snap(Pos off, uint32_t oui, uint32_t type) {
    return And(EqAt(4, off + 4, ((oui & 0xffff) << 16) | type), EqAt(4, off, 0xaaaa0300u | (oui >> 16)));
  }

  // "Is the network-layer protocol `type`?" for this link type.
  int LinkProto(uint32_t type) {
    if (encap_.mode == Encap::Mode::kLink) return NotLeControl(LinkProtoOf(type));
    return LinkProtoOf(type);
  }
  int LinkProtoOf(uint32_t type) {
    if (encap_.mode == Encap::Mode::kMpls) {
      // Over MPLS: the innermost label has bottom-of-stack set, and the
      // payload's version nibble says IPv4 or IPv6; nothing else is known.
      uint32_t version;
      if (type == proto::kEtherIp) version = 0x40;
      else if (type == proto::kEtherIp6) version = 0x60;
      else return Fail(current_, "unsupported protocol over mpls (only ip and ip6)");
      return And(MaskedEq(1, encap_.Label() + 2, 0x01, 0x01), MaskedEq(1, nl(), 0xf0, version));
    }
    if (encap_.mode == Encap::Mode::kPpp) {
      if (type == proto::kEtherIp && link_->type_kind == proto::TypeKind::kPppBsdos && !pppoe_) {
        // BSD/OS also names Van Jacobson compressed TCP/IP as IPv4.
        return Or(EqAt(2, TypePos(), proto::kPppIp),
                  Or(EqAt(2, TypePos(), proto::kPppVjCompressed), EqAt(2, TypePos(), proto::kPppVjUncompressed)));
      }
      uint32_t ppp = type;
      for (const proto::EtherToPpp& m : proto::kEtherToPpp) {
        if (m.ether == type) ppp = m.ppp;
      }
      return EqAt(2, TypePos(), ppp);
    }
    const Pos off = TypePos();
    switch (link_->type_kind) {
      case proto::TypeKind::kNone:
        return Fail(current_, proto::DisplayName(*link_) + " frames have no protocol field: only len, less, "
                                  "greater, link[...], inbound, outbound and ifindex apply to them");
      case proto::TypeKind::kIpVersion:
        if (type == proto::kEtherIp) return MaskedEq(1, link_->type_off, 0xf0, 0x40);
        if (type == proto::kEtherIp6) return MaskedEq(1, link_->type_off, 0xf0, 0x60);
        return False();
      case proto::TypeKind::kFixedIpv4:
        return type == proto::kEtherIp ? True() : False();
      case proto::TypeKind::kFixedIpv6:
        return type == proto::kEtherIp6 ? True() : False();
      case proto::TypeKind::kLocalTalk:
        return type == proto::kEtherAtalk ? True() : False();
      case proto::TypeKind::kPppProtocol:  // handled as kPpp above
      case proto::TypeKind::kPppBsdos:
        return False();
      case proto::TypeKind::kAfHostOrder:
      case proto::TypeKind::kAfNetworkOrder: {
        uint32_t af;
        if (type == proto::kEtherIp) af = 2;         // AF_INET
        else if (type == proto::kEtherIp6) af = 10;  // Linux AF_INET6
        else return False();
        if (link_->type_kind == proto::TypeKind::kAfHostOrder) af = htonl(af);  // as stored on this host
        return EqAt(4, link_->type_off, af);
      }
      case proto::TypeKind::kMagic:
        return MaskedEq(4, 0, link_->magic_mask, link_->magic_value);
      case proto::TypeKind::kValueMap: {
        int any = kNone;
        for (const proto::LinkValue& v : proto::LinkValues()) {
          if (v.dlt != link_->dlt || v.ethertype != type) continue;
          const int t = EqAt(link_->type_size, off, v.value);
          any = any == kNone ? t : Or(any, t);
        }
        return any == kNone ? False() : any;
      }
      case proto::TypeKind::kEtherTypePlain:
        return EqAt(2, off, type);
      case proto::TypeKind::kCiscoHdlc:  // plain, but OSI is 0xfefe as on LLC
        return EqAt(2, off, type == proto::kSapIsoNs ? (type << 8 | type) : type);
      case proto::TypeKind::kLlc:
        return And(Wlan() ? WlanDataFrame() : True(), LlcProto(TypePos(), type));
      case proto::TypeKind::kSunAtmLlc:  // the pseudo-header says LLC, then as kLlc
        return And(MaskedEq(1, proto::kAtmTypeOff, proto::kAtmTypeMask, proto::kAtmTypeLlc),
                   LlcProto(Pos{ir::kNoValue, encap_.type_off}, type));
      case proto::TypeKind::kEtherType:
      case proto::TypeKind::kSll:
        break;
    }
    // Ethernet: EtherType II above 1500, an 802.3 length and 802.2 LLC below.
    // LINUX_SLL: protocol 4 is 802.2 LLC, 1 Novell's "raw 802.3". The rest is
    // the same on both, but for IPX, which each carries its own ways.
    const bool sll = link_->type_kind == proto::TypeKind::kSll;
    const Pos llc = off + 2;
    const int is_llc = sll ? EqAt(2, off, proto::kSllP8022)
                           : Not(TestK(Load(2, off), Cmp::kGt, proto::kEtherMtu));
    switch (type) {
      case proto::kSapIp:
      case proto::kSapIsoNs:
      case proto::kSapNetbeui:
        return And(is_llc, EqAt(2, llc, type << 8 | type));
      case proto::kSapIpx:
        if (sll) {
          return Or(EqAt(2, off, proto::kEtherIpx),
                    Or(EqAt(2, off, proto::kSllP8023),
                       And(is_llc, Or(EqAt(1, llc, proto::kSapIpx),
                                      Snap(llc, 0, proto::kEtherIpx)))));
        }
        return Or(EqAt(2, off, proto::kEtherIpx),
                  And(is_llc, Or(Or(Snap(llc, 0, proto::kEtherIpx), EqAt(1, llc, proto::kSapIpx)),
                                 EqAt(2, llc, 0xffff))));
      case proto::kEtherAtalk:
        return Or(EqAt(2, off, type), And(is_llc, Snap(llc, 0x080007, type)));
      case proto::kEtherAarp:
        return Or(EqAt(2, off, type), And(is_llc, Snap(llc, 0, type)));
      default:
        if (type <= proto::kEtherMtu) return And(is_llc, EqAt(1, llc, type));
        return EqAt(2, off, type);
    }
  }

  // Links whose payload always starts with an 802.2 LLC header (RFC 1483
  // ATM, IP over Fibre Channel): SAPs are compared there, EtherTypes in the
  // SNAP header after it (without checking the SNAP bytes, as libpcap).
  int LlcProto(Pos llc, uint32_t type) {
    switch (type) {
      case proto::kSapIp:
      case proto::kSapIsoNs:
      case proto::kSapNetbeui:
        return EqAt(2, llc, type << 8 | type);
      case proto::kSapIpx:
        return EqAt(1, llc, type);
      case proto::kEtherAtalk:
        return Snap(llc, 0x080007, type);
      default:
        if (type <= proto::kEtherMtu) return EqAt(1, llc, type);
        return EqAt(2, llc + 6, type);
    }
  }

  // --- 802.11 ---------------------------------------------------------------
  ValueId Fc0() { return Load(1, Mac()); }
  ValueId Fc1() { return Load(1, Mac() + 1); }
  // A data frame, the only kind that carries LLC: libpcap tests that the
  // control bit is clear, then that the data bit is set.
  int WlanDataFrame() { return And(Not(Set(Fc0(), wlan::kFc0CtlOrExt)), Set(Fc0(), wlan::kFc0Data)); }
  int WlanCtlFrame() { return MaskedEq(1, Mac(), wlan::kFc0TypeMask, wlan::kTypeCtl); }

  // The destination address, wherever the frame type and DS bits put it;
  // `at(pos)` tests the address at pos. Control frames have none.
  template <typename F>
  int WlanDst(F at) {
    const Pos m = Mac();
    const int data = Set(Fc0(), wlan::kFc0Data);
    const int tods = Set(Fc1(), wlan::kFc1ToDs);
    return And(Not(Set(Fc0(), wlan::kFc0CtlOrExt)),
               Or(And(Not(data), at(m + wlan::kAddr1)),
                  And(data, Or(And(Not(tods), at(m + wlan::kAddr1)), And(tods, at(m + wlan::kAddr3))))));
  }
  // The source address: addr2, or addr3 from a DS, or addr4 between DSs.
  template <typename F>
  int WlanSrc(F at) {
    const Pos m = Mac();
    const int data = Set(Fc0(), wlan::kFc0Data);
    const int fromds = Set(Fc1(), wlan::kFc1FromDs);
    const int tods = Set(Fc1(), wlan::kFc1ToDs);
    return And(Not(Set(Fc0(), wlan::kFc0CtlOrExt)),
               Or(And(Not(data), at(m + wlan::kAddr2)),
                  And(data, Or(And(Not(fromds), at(m + wlan::kAddr2)),
                               And(fromds, Or(And(Not(tods), at(m + wlan::kAddr3)),
                                              And(tods, at(m + wlan::kAddr4))))))));
  }

  // "wlan [dir] ehost" (and "ether host" on 802.11).
  int WlanHost(const Node* n, Dir dir, const std::array<uint8_t, 6>& mac) {
    const auto at = [&](Pos p) { return MacAt(p, mac); };
    const Pos m = Mac();
    // Control frames other than CTS and ACK carry a second address.
    auto has_addr2 = [&] {
      return Not(And(WlanCtlFrame(), Or(MaskedEq(1, m, wlan::kFc0SubtypeMask, wlan::kSubtypeCts),
                                        MaskedEq(1, m, wlan::kFc0SubtypeMask, wlan::kSubtypeAck))));
    };
    switch (dir) {
      case Dir::kSrc: return WlanSrc(at);
      case Dir::kDst: return WlanDst(at);
      case Dir::kSrcAndDst: return And(WlanSrc(at), WlanDst(at));
      case Dir::kDefault:
      case Dir::kSrcOrDst: return Or(WlanSrc(at), WlanDst(at));
      case Dir::kAddr1: return at(m + wlan::kAddr1);
      case Dir::kAddr2: return And(has_addr2(), at(m + wlan::kAddr2));
      case Dir::kAddr3: return And(Not(WlanCtlFrame()), at(m + wlan::kAddr3));
      case Dir::kAddr4:
        return And(MaskedEq(1, m + 1, wlan::kFc1DirMask, wlan::kFc1ToDs | wlan::kFc1FromDs),
                   at(m + wlan::kAddr4));
      // As libpcap 1.10 has them: only frames with the data bit set.
      case Dir::kRa: return And(Set(Fc0(), wlan::kFc0Data), at(m + wlan::kAddr1));
      case Dir::kTa: return And(Set(Fc0(), wlan::kFc0Data), And(has_addr2(), at(m + wlan::kAddr2)));
    }
    return Fail(n, "unexpected direction");
  }

  // "type T [subtype S]", "subtype S": frame control's type and subtype.
  int WlanType(const Node* n) {
    uint32_t value = 0, mask = wlan::kFc0TypeMask;
    if (const Node* t = n->lhs) {
      if (t->kind == Kind::kIdNum) {
        if (t->num & ~wlan::kFc0TypeMask) return Fail(t, "invalid 802.11 type value " + Hex(t->num) + " (the type bits of frame control: mgt 0x00, ctl 0x04, data 0x08)", Diag::Code::kRange);
        value = t->num;
      } else if (auto v = wlan::TypeByName(t->text)) {
        value = *v;
      } else {
        return Fail(t, "unknown 802.11 type name '" + std::string(t->text) + "' (mgt, ctl or data)", Diag::Code::kUnknownName);
      }
    }
    if (const Node* s = n->rhs) {
      mask |= wlan::kFc0SubtypeMask;
      if (s->kind == Kind::kIdNum) {
        if (s->num & ~wlan::kFc0SubtypeMask) return Fail(s, "invalid 802.11 subtype value " + Hex(s->num) + " (the subtype bits of frame control, 0x00 to 0xf0)", Diag::Code::kRange);
        value |= s->num;
      } else if (auto v = n->lhs ? wlan::SubtypeByName(value, s->text) : wlan::TypeSubtypeByName(s->text)) {
        value |= *v;
      } else {
        return Fail(s, "unknown 802.11 subtype name '" + std::string(s->text) + "'", Diag::Code::kUnknownName);
      }
    }
    if (!FrameControlAllowed()) return Fail(n, "802.11 frame types are " + FrameControlWhere());
    return MaskedEq(1, Mac(), mask, value);
  }

  // "dir D": frame control's To DS / From DS bits.
  int WlanDir(const Node* n) {
    const Node* d = n->lhs;
    uint32_t value;
    if (d->kind == Kind::kIdNum) {
      value = d->num;
    } else if (auto v = wlan::DirByName(d->text)) {
      value = *v;
    } else {
      return Fail(d, "unknown 802.11 direction '" + std::string(d->text) + "' (nods, tods, fromds, dstods or a number)", Diag::Code::kUnknownName);
    }
    if (!FrameControlAllowed()) return Fail(n, "802.11 frame direction is " + FrameControlWhere());
    return MaskedEq(1, Mac() + 1, wlan::kFc1DirMask, value);
  }

  bool FrameControlAllowed() const { return Wlan() && proto::RadioInfo(link_->radio).frame_control; }
  std::string FrameControlWhere() const {
    if (Wlan()) return "not supported on " + proto::DisplayName(*link_) + " (libpcap refuses it there)";
    if (after_geneve_ && dlt_link_.mac == proto::MacHeader::kIeee80211) {
      return "not supported after 'geneve', whose inner frame is Ethernet";
    }
    return "only supported on 802.11 link types, not " + proto::DisplayName(*link_);
  }

  static std::string Hex(uint32_t v) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%02x", v);
    return buf;
  }

  // --- IP layer -----------------------------------------------------------
  int IpProto(uint32_t p) {
    return And(LinkProto(proto::kEtherIp), EqAt(1, nl() + proto::kIpOffProto, p));
  }
  // IPv6 next header, looking through one fragment header as libpcap does.
  int Ip6Proto(uint32_t p) {
    const Pos nh = nl() + proto::kIp6OffNext;
    return And(LinkProto(proto::kEtherIp6),
               Or(EqAt(1, nh, p), And(EqAt(1, nh, proto::kIpProtoFragment6),
                                      EqAt(1, nl() + proto::kIp6HdrLen, p))));
  }
  int NotFragment() {
    return Not(TestK(Load(2, nl() + proto::kIpOffFrag), Cmp::kSet, proto::kIpFragMask));
  }
  // The index of a transport header: the IPv4 header length, plus the
  // network layer's run-time offset when it has one (loads add nl().off).
  ValueId TransportVar() {
    const Pos ip = nl();
    if (ip.var == ir::kNoValue) return v_.IpHdrLen(ip.off);
    const ValueId ihl = v_.Binary(ast::BinOp::kAnd, Load(1, ip), v_.Const(0x0f));
    return v_.Binary(ast::BinOp::kAdd, v_.Binary(ast::BinOp::kLsh, ihl, v_.Const(2)), ip.var);
  }

  int ProtoAbbrev(const Node* n, Proto p) {
    const proto::ProtoInfo& info = proto::Info(p);
    if (p == Proto::kLink || p == Proto::kDefault) return Fail(n, "link layer applied in wrong context");
    if (const proto::OsiInfo* osi = proto::Osi(p)) return OsiProto(*osi, std::nullopt);
    if (info.ethertype) return LinkProto(info.ethertype);
    if (info.over_ip && info.over_ip6) return Or(IpProto(info.ipproto), Ip6Proto(info.ipproto));
    if (info.over_ip) return IpProto(info.ipproto);
    // icmp6: next header only, as libpcap does for it.
    return Ip6Proto(info.ipproto);
  }

  // "decnet host AREA.NODE": a DECnet Phase IV address (area * 1024 + node,
  // little-endian) in the routing header, which comes in four layouts:
  // short or long data packets, each with or without one byte of padding.
  int DecnetHost(const Node* id, Dir dir) {
    uint32_t area = 0, node = 0;
    if (id->kind == Kind::kIdNum) {
      node = id->num;
    } else if (id->kind == Kind::kIdHost4) {
      // As libpcap reads it: the first two numbers ("1.2.3" is 1.2).
      const std::string text(id->text);
      if (std::sscanf(text.c_str(), "%u.%u", &area, &node) != 2) {
        return Fail(id, "invalid DECnet address '" + text + "'");
      }
    } else {
      return Fail(id, "'" + Text(id) + "' is not a DECnet address (AREA.NODE)");
    }
    const uint32_t addr = ((area << 10) | (node & 0x3ff)) & 0xffff;  // node: 10 bits
    const uint32_t wire = (addr >> 8) | ((addr & 0xff) << 8);  // little-endian on the wire
    struct Layout {
      uint8_t size;
      uint32_t mask, flags;  // the flags byte (or padding + flags) at nl + 2
      uint32_t src, dst;     // address offsets from nl
    };
    static constexpr Layout kLayouts[] = {
        {1, 0x07, 0x02, 5, 3},        // short data packet
        {2, 0xff07, 0x8102, 6, 4},    // short, one byte of padding
        {1, 0x07, 0x06, 17, 9},       // long data packet
        {2, 0xff07, 0x8106, 18, 10},  // long, padded
    };
    const int link = LinkProto(proto::kEtherDecnet);
    return And(link, ByDir(dir, [&](bool src) {
      int any = kNone;
      for (const Layout& l : kLayouts) {
        const int t = And(MaskedEq(l.size, nl() + 2, l.mask, l.flags),
                          EqAt(2, nl() + (src ? l.src : l.dst), wire));
        any = any == kNone ? t : Or(any, t);
      }
      return any;
    }));
  }

  // OSI over 802.2: "iso", "clnp", "isis", "l1", ...; `pdu` narrows IS-IS to
  // one PDU type ("isis proto N").
  int OsiProto(const proto::OsiInfo& osi, std::optional<uint32_t> pdu) {
    int c = osi.nlpid ? IsoNlpid(osi.nlpid) : LinkProto(proto::kSapIsoNs);
    int pdus = kNone;
    for (uint8_t t : osi.pdus) {
      if (t == 0) break;
      const int eq = EqAt(1, IsisPdu(), t);
      pdus = pdus == kNone ? eq : Or(pdus, eq);
    }
    if (pdu) pdus = EqAt(1, IsisPdu(), *pdu);
    return pdus == kNone ? c : And(c, pdus);
  }
  static constexpr int kNone = -2;
  // "iso proto N": an OSI packet with NLPID N; Frame Relay carries the
  // NLPID in its own header, after the control byte.
  int IsoNlpid(uint32_t nlpid) {
    if (link_->iso_frelay && encap_.mode == Encap::Mode::kLink) {
      return EqAt(2, link_->type_off, kFrelayUi << 8 | (nlpid & 0xff));
    }
    return And(LinkProto(proto::kSapIsoNs), EqAt(1, Nlpid(), nlpid));
  }
  static constexpr uint32_t kFrelayUi = 0x03;  // Q.922 unnumbered information
  // Where the OSI NLPID is (inside PPPoE, right after the PPP protocol).
  Pos Nlpid() { return nl() + (pppoe_ ? 0 : link_->osi_off); }
  Pos IsisPdu() { return nl() + (pppoe_ ? 4 : link_->osi_pdu_off); }

  // --- hosts and nets -----------------------------------------------------
  // src/dst combination of two address tests.
  template <typename F>
  int ByDir(Dir d, F one) {
    switch (d) {
      case Dir::kSrc: return one(true);
      case Dir::kDst: return one(false);
      case Dir::kSrcAndDst: return And(one(true), one(false));
      case Dir::kDefault:
      case Dir::kSrcOrDst: return Or(one(true), one(false));
      case Dir::kAddr1:
      case Dir::kAddr2:
      case Dir::kAddr3:
      case Dir::kAddr4:
      case Dir::kRa:
      case Dir::kTa:
        return Fail(current_, "'" + std::string(DirWord(d)) + "' is valid only for 802.11 MAC addresses");
    }
    return kError;
  }

  static bool IsWlanDir(Dir d) { return d >= Dir::kAddr1; }
  static std::string_view DirWord(Dir d) {
    switch (d) {
      case Dir::kAddr1: return "addr1";
      case Dir::kAddr2: return "addr2";
      case Dir::kAddr3: return "addr3";
      case Dir::kAddr4: return "addr4";
      case Dir::kRa: return "ra";
      case Dir::kTa: return "ta";
      default: return "src/dst";
    }
  }

  int HostV4(const Node* n, ast::Quals q, uint32_t addr, uint32_t mask) {
    auto over = [&](uint32_t ethertype, uint32_t src_off, uint32_t dst_off) {
      return ByDir(q.dir, [&](bool src) {
        return And(LinkProto(ethertype), MaskedEq(4, nl() + (src ? src_off : dst_off), mask, addr));
      });
    };
    auto ip = [&] { return over(proto::kEtherIp, proto::kIpOffSrc, proto::kIpOffDst); };
    auto arp = [&] { return over(proto::kEtherArp, proto::kArpOffSpa, proto::kArpOffTpa); };
    auto rarp = [&] { return over(proto::kEtherRarp, proto::kArpOffSpa, proto::kArpOffTpa); };
    switch (q.proto) {
      case Proto::kDefault:
        // Over MPLS only IPv4 can carry the address (libpcap skips ARP there).
        if (encap_.mode == Encap::Mode::kMpls) return ip();
        return Or(Or(ip(), arp()), rarp());
      case Proto::kIp: return ip();
      case Proto::kArp: return arp();
      case Proto::kRarp: return rarp();
      case Proto::kIp6: return Fail(n, "'ip6' modifier applied to ip host");
      case Proto::kLink: return Fail(n, "illegal link layer address");
      default:
        return Fail(n, "'" + std::string(ast::ProtoName(q.proto)) + "' modifier applied to " +
                           (q.type == Type::kNet ? "net" : "host"));
    }
  }

  int HostV6(const Node* n, ast::Quals q, const std::array<uint8_t, 16>& addr,
             const std::array<uint8_t, 16>& mask) {
    if (q.proto != Proto::kDefault && q.proto != Proto::kIp6) {
      return Fail(n, "'" + std::string(ast::ProtoName(q.proto)) + "' modifier applied to ip6 " +
                         (q.type == Type::kNet ? "net" : "host"));
    }
    return ByDir(q.dir, [&](bool src) {
      const Pos base = nl() + (src ? proto::kIp6OffSrc : proto::kIp6OffDst);
      int words = kError;
      for (int w = 3; w >= 0; --w) {
        uint32_t a, m;
        std::memcpy(&a, &addr[4 * w], 4);
        std::memcpy(&m, &mask[4 * w], 4);
        a = ntohl(a);
        m = ntohl(m);
        int t = MaskedEq(4, base + 4 * uint32_t(w), m, a & m);
        words = words == kError ? t : And(t, words);
      }
      return And(LinkProto(proto::kEtherIp6), words);
    });
  }

  // Parses dotted IPv4 text with 1–4 parts; returns the address and the
  // number of bits given (8 per part).
  static bool ParseDotted(std::string_view s, uint32_t* addr, int* bits) {
    uint32_t v = 0;
    int parts = 0;
    size_t i = 0;
    while (i <= s.size()) {
      size_t j = s.find('.', i);
      if (j == std::string_view::npos) j = s.size();
      if (j == i) return false;
      uint32_t part = 0;
      for (size_t k = i; k < j; ++k) {
        part = part * 10 + uint32_t(s[k] - '0');
        if (part > 255) return false;
      }
      v = v << 8 | part;
      ++parts;
      i = j + 1;
    }
    if (parts > 4) return false;
    *addr = v << (8 * (4 - parts));
    *bits = 8 * parts;
    return true;
  }

  static uint32_t PrefixMask(uint32_t len) { return len == 0 ? 0 : 0xffffffffu << (32 - len); }

  int Host4Text(const Node* prim, const Node* id, ast::Quals q) {
    uint32_t addr;
    int bits;
    if (!ParseDotted(id->text, &addr, &bits)) return Fail(id, "invalid IPv4 address '" + std::string(id->text) + "'");
    if (q.proto == Proto::kLink) return Fail(id, "illegal link layer address");
    return HostV4(prim, q, addr, PrefixMask(uint32_t(bits)));
  }

  int Net4(const Node* prim, const Node* id, ast::Quals q) {
    uint32_t addr, mask;
    int bits;
    if (!ParseDotted(id->text, &addr, &bits)) return Fail(id, "invalid IPv4 address '" + std::string(id->text) + "'");
    if (id->kind == Kind::kIdNet4Len) {
      if (id->num > 32) return Fail(id, "mask length must be <= 32", Diag::Code::kRange);
      mask = PrefixMask(id->num);
    } else {
      uint32_t m;
      int mbits;
      if (!ParseDotted(id->text2, &m, &mbits) || mbits != 32)
        return Fail(id, "invalid netmask '" + std::string(id->text2) + "'", Diag::Code::kRange);
      mask = m;
    }
    if (addr & ~mask) return Fail(id, "non-network bits set in \"" + Text(id) + "\"", Diag::Code::kRange);
    // A prefix needs an explicit (or inherited) "net": libpcap refuses
    // "src 10.0.0.0/8", where the type would default to host.
    if (q.type != Type::kNet) return Fail(id, "mask syntax for networks only; write 'net " + Text(id) + "'");
    return HostV4(prim, q, addr, mask);
  }

  int Host6Text(const Node* prim, const Node* id, ast::Quals q) {
    std::array<uint8_t, 16> a{};
    std::string text(id->text);
    if (inet_pton(AF_INET6, text.c_str(), a.data()) != 1) return Fail(id, "invalid IPv6 address '" + text + "'");
    uint32_t len = 128;
    if (id->kind == Kind::kIdNet6Len) {
      if (id->num > 128) return Fail(id, "mask length must be <= 128", Diag::Code::kRange);
      len = id->num;
      if (q.type != Type::kNet) return Fail(id, "mask syntax for networks only; write 'net " + Text(id) + "'");
    }
    std::array<uint8_t, 16> m{};
    for (uint32_t i = 0; i < 16; ++i) {
      uint32_t bits = len > 8 * i ? std::min<uint32_t>(8, len - 8 * i) : 0;
      m[i] = uint8_t(bits == 0 ? 0 : 0xff << (8 - bits));
    }
    for (int i = 0; i < 16; ++i)
      if (a[i] & ~m[i]) return Fail(id, "non-network bits set in \"" + Text(id) + "\"", Diag::Code::kRange);
    if (q.type == Type::kPort || q.type == Type::kPortRange || q.type == Type::kProto ||
        q.type == Type::kProtoChain)
      return Fail(id, "illegal qualifier for an IPv6 address");
    return HostV6(prim, q, a, m);
  }

  // --- Ethernet addresses -------------------------------------------------
  static bool ParseMac(std::string_view s, std::array<uint8_t, 6>* mac) {
    // Grouped forms: each group 1–2 hex digits (or 4 in the dotted form).
    std::vector<std::string> groups;
    std::string cur;
    for (char c : s) {
      if (c == ':' || c == '-' || c == '.') {
        groups.push_back(cur);
        cur.clear();
      } else {
        cur += c;
      }
    }
    groups.push_back(cur);
    std::string digits;
    if (groups.size() == 6) {
      for (auto& g : groups) digits += (g.size() == 1 ? "0" : "") + g;
    } else {
      for (auto& g : groups) digits += g;
    }
    if (digits.size() != 12) return false;
    for (int i = 0; i < 6; ++i) (*mac)[i] = uint8_t(std::stoul(digits.substr(2 * i, 2), nullptr, 16));
    return true;
  }

  // Ethernet address at offset `off`: last four bytes first, as libpcap.
  int MacAt(Pos off, const std::array<uint8_t, 6>& m) {
    uint32_t lo = uint32_t(m[2]) << 24 | uint32_t(m[3]) << 16 | uint32_t(m[4]) << 8 | m[5];
    uint32_t hi = uint32_t(m[0]) << 8 | m[1];
    return And(EqAt(4, off + 2, lo), EqAt(2, off, hi));
  }

  int EtherHost(const Node* n, ast::Quals q, const std::array<uint8_t, 6>& mac) {
    if (!HasEtherAddrs())
      return Fail(n, "ethernet addresses supported only on ethernet/FDDI/token ring/802.11/ATM LANE/Fibre Channel");
    if (q.type != Type::kDefault && q.type != Type::kHost) return Fail(n, "illegal qualifier for an ethernet address");
    if (Wlan()) return WlanHost(n, q.dir, mac);
    if (IsWlanDir(q.dir)) {
      return Fail(n, "'" + std::string(DirWord(q.dir)) + "' names an 802.11 address field; " +
                         proto::DisplayName(*link_) + " is not an 802.11 link type");
    }
    return NotLeControl(And(InnerEther(), ByDir(q.dir, [&](bool src) {
      return MacAt(Mac() + (src ? link_->mac_src_off : link_->mac_dst_off), mac);
    })));
  }

  // --- ports --------------------------------------------------------------
  // One transport's port test over IPv4 or IPv6; `one(v)` compares the 16-bit
  // port value v.
  template <typename F>
  int PortsFor(Dir dir, bool v6, F one) {
    return ByDir(dir, [&](bool src) {
      const uint32_t off = src ? 0 : 2;
      ValueId v = v6 ? Load(2, nl() + proto::kIp6HdrLen + off) : v_.Load(2, TransportVar(), nl().off + off);
      return one(v);
    });
  }

  template <typename F>
  int PortPrimitive(const Node* n, Proto p, Dir dir, F one) {
    static constexpr Proto kCarriers[] = {Proto::kSctp, Proto::kTcp, Proto::kUdp};
    if (p != Proto::kDefault && !proto::Info(p).port_carrier) return Fail(n, "illegal qualifier of 'port'");
    auto family = [&](bool v6) {
      int any = kError;
      for (Proto c : kCarriers) {
        if (p != Proto::kDefault && p != c) continue;
        const uint32_t ipp = uint32_t(proto::Info(c).ipproto);
        int t = v6 ? And(EqAt(1, nl() + proto::kIp6OffNext, ipp), PortsFor(dir, true, one))
                   : And(EqAt(1, nl() + proto::kIpOffProto, ipp), And(NotFragment(), PortsFor(dir, false, one)));
        any = any == kError ? t : Or(any, t);
      }
      return And(LinkProto(v6 ? proto::kEtherIp6 : proto::kEtherIp), any);
    };
    return Or(family(true), family(false));
  }

  int Port(const Node* n, Proto p, Dir dir, uint32_t port) {
    return PortPrimitive(n, p, dir, [&](ValueId v) { return TestK(v, Cmp::kEq, port); });
  }
  int PortRange(const Node* n, Proto p, Dir dir, uint32_t lo, uint32_t hi) {
    if (lo > hi) std::swap(lo, hi);
    return PortPrimitive(n, p, dir, [&](ValueId v) {
      return And(TestK(v, Cmp::kGe, lo), Not(TestK(v, Cmp::kGt, hi)));
    });
  }

  // Resolves a service name for the protocol qualifier; narrows `*p` to the
  // transport the name exists for, as libpcap does.
  bool ResolvePort(const Node* id, std::string_view name, Proto* p, uint32_t* port) {
    Proto real;
    if (!LookupPort(id, name, port, &real)) return false;
    if (!PortProtoFits(id, "port '" + std::string(name) + "'", *p, real)) return false;
    if (*p == Proto::kDefault) *p = real;
    return true;
  }

  // A port number or service name, and the transport it belongs to
  // (kDefault: numbers, and names that mean the same port for tcp and udp).
  bool LookupPort(const Node* id, std::string_view name, uint32_t* port, Proto* real) {
    if (!name.empty() && std::all_of(name.begin(), name.end(), ::isdigit)) {
      unsigned long v = std::stoul(std::string(name));
      if (v > 65535) return Fail(id, "illegal port number " + std::string(name) + " > 65535", Diag::Code::kRange), false;
      *port = uint32_t(v);
      *real = Proto::kDefault;
      return true;
    }
    int tcp = names_.Port(name, PortProto::kTcp);
    int udp = names_.Port(name, PortProto::kUdp);
    if (tcp < 0 && udp < 0) return Fail(id, "unknown port '" + std::string(name) + "'", Diag::Code::kUnknownName), false;
    *real = tcp >= 0 && udp >= 0 && tcp == udp ? Proto::kDefault : tcp >= 0 ? Proto::kTcp : Proto::kUdp;
    *port = uint32_t(*real == Proto::kUdp ? udp : tcp);
    return true;
  }

  // libpcap refuses a name of one transport under another's qualifier.
  bool PortProtoFits(const Node* id, const std::string& what, Proto want, Proto real) {
    const char* real_name = real == Proto::kTcp ? "tcp" : "udp";
    if ((want == Proto::kUdp && real == Proto::kTcp) || (want == Proto::kTcp && real == Proto::kUdp) ||
        (want == Proto::kSctp && real != Proto::kDefault)) {
      return Fail(id, what + " is " + real_name), false;
    }
    return true;
  }

  // --- primitives ---------------------------------------------------------
  int Primitive(const Node* n) {
    const ast::Quals q = n->quals;
    const Node* id = n->lhs;
    if (IsWlanDir(q.dir) && (q.type == Type::kPort || q.type == Type::kPortRange)) {
      return Fail(n, "'" + std::string(DirWord(q.dir)) + "' is valid only for 802.11 MAC addresses, not for ports");
    }
    if (IsWlanDir(q.dir) && q.proto != Proto::kLink) {
      return Fail(n, "'" + std::string(DirWord(q.dir)) + "' is valid only for 802.11 MAC addresses (write 'wlan " +
                         std::string(DirWord(q.dir)) + " ADDRESS')");
    }
    if (q.proto == Proto::kDecnet &&
        (q.type == Type::kDefault || q.type == Type::kHost || q.type == Type::kNet)) {
      return DecnetHost(id, q.dir);
    }
    switch (q.type) {
      case Type::kGateway:
        // libpcap refuses it when built with IPv6 support, as every current
        // build is; so does bpfcap, with the spelled-out equivalent.
        return Fail(n, "'gateway' is not supported (nor by libpcap with IPv6); write "
                       "'ether host ROUTER-MAC and not host ROUTER'");
      case Type::kProtoChain:
        return ProtoChainQual(n, id);
      case Type::kProto:
        return ProtoQual(n, id);
      case Type::kPort:
      case Type::kPortRange:
        return PortQual(n, id);
      case Type::kDefault:
      case Type::kHost:
      case Type::kNet:
        break;
    }
    switch (id->kind) {
      case Kind::kIdHost4:
        if (q.type == Type::kNet) return Net4Short(n, id, q);
        return Host4Text(n, id, q);
      case Kind::kIdNet4Len:
      case Kind::kIdNet4Mask:
        return Net4(n, id, q);
      case Kind::kIdHost6:
      case Kind::kIdNet6Len:
        return Host6Text(n, id, q);
      case Kind::kIdMac: {
        std::array<uint8_t, 6> mac;
        if (!ParseMac(id->text, &mac)) return Fail(id, "bogus ethernet address '" + std::string(id->text) + "'");
        if (q.proto != Proto::kLink && q.proto != Proto::kDefault)
          return Fail(id, "ethernet address used in non-ether expression");
        if (q.proto == Proto::kDefault) return Fail(id, "ethernet address used in non-ether expression");
        return EtherHost(n, q, mac);
      }
      case Kind::kIdNum:
        return NumHost(n, id, q);
      case Kind::kIdName:
        return NameHost(n, id, q);
      default:
        return Fail(id, "unexpected id");
    }
  }

  // "net 10.1" (dotted, short): the given octets are the network.
  int Net4Short(const Node* prim, const Node* id, ast::Quals q) {
    uint32_t addr;
    int bits;
    if (!ParseDotted(id->text, &addr, &bits)) return Fail(id, "invalid IPv4 address '" + std::string(id->text) + "'");
    return HostV4(prim, q, addr, PrefixMask(uint32_t(bits)));
  }

  // A bare number as a host or net: "host 10" is 0.0.0.10, "net 10" is 10/8.
  int NumHost(const Node* prim, const Node* id, ast::Quals q) {
    if (q.proto == Proto::kLink) return Fail(id, "illegal link layer address");
    uint32_t v = id->num, mask = 0xffffffffu;
    if (q.type == Type::kNet) {
      while (v && (v & 0xff000000u) == 0) {
        v <<= 8;
        mask <<= 8;
      }
    }
    return HostV4(prim, q, v, mask);
  }

  int NameHost(const Node* prim, const Node* id, ast::Quals q) {
    const std::string_view name = id->text;
    if (q.proto == Proto::kLink) {
      std::array<uint8_t, 6> mac;
      if (!names_.Ether(name, &mac))
        return Fail(id, "unknown ether host '" + std::string(name) + "'", Diag::Code::kUnknownName);
      return EtherHost(prim, q, mac);
    }
    if (q.type == Type::kNet) return Fail(id, "unknown network '" + std::string(name) + "'", Diag::Code::kUnknownName);
    std::vector<uint32_t> v4;
    std::vector<std::array<uint8_t, 16>> v6;
    if (q.proto != Proto::kIp6) v4 = names_.HostV4(name);
    if (q.proto == Proto::kDefault || q.proto == Proto::kIp6) v6 = names_.HostV6(name);
    if (v4.empty() && v6.empty()) return Fail(id, "unknown host '" + std::string(name) + "'", Diag::Code::kUnknownName);
    int any = kError;
    for (uint32_t a : v4) {
      int t = HostV4(prim, q, a, 0xffffffffu);
      if (t == kError) return kError;
      any = any == kError ? t : Or(any, t);
    }
    std::array<uint8_t, 16> full;
    full.fill(0xff);
    for (const auto& a : v6) {
      int t = HostV6(prim, q, a, full);
      if (t == kError) return kError;
      any = any == kError ? t : Or(any, t);
    }
    return any;
  }

  int ProtoQual(const Node* n, const Node* id) {
    const Proto p = n->quals.proto;
    uint32_t num;
    if (id->kind == Kind::kIdNum) {
      num = id->num;
    } else if (id->kind == Kind::kIdName) {
      std::optional<uint32_t> v;
      if (p == Proto::kLink) {
        v = proto::EtherTypeByName(id->text);
      } else {
        int r = names_.Protocol(id->text);
        if (r >= 0) v = uint32_t(r);
      }
      if (!v) return Fail(id, "unknown " + std::string(p == Proto::kLink ? "ether" : "ip") + " proto '" + std::string(id->text) + "'", Diag::Code::kUnknownName);
      num = *v;
    } else {
      return Fail(id, "'" + Text(id) + "' is not a protocol number or name");
    }
    switch (p) {
      case Proto::kLink: return LinkProto(num);
      case Proto::kIp: return IpProto(num);
      case Proto::kIp6: return Ip6Proto(num);
      case Proto::kDefault: return Or(IpProto(num), Ip6Proto(num));
      case Proto::kIso:  // "iso proto N": the NLPID
        return IsoNlpid(num);
      case Proto::kIsis: return OsiProto(*proto::Osi(Proto::kIsis), num);
      default: return Fail(n, "'" + std::string(ast::ProtoName(p)) + " proto' is bogus");
    }
  }

  // "ip protochain P", "ip6 protochain P", "protochain P" (IPv4, then IPv6):
  // the IP header chain holds a header of type P (ir.h, kProtoChain).
  int ProtoChainQual(const Node* n, const Node* id) {
    const Proto p = n->quals.proto;
    if (p != Proto::kDefault && p != Proto::kIp && p != Proto::kIp6) {
      return Fail(n, "'protochain' walks IP header chains: only 'ip' or 'ip6' may come before it");
    }
    if (Wlan() || encap_.base != ir::kNoValue) {
      // The walk starts at a fixed network-layer offset; libpcap refuses it
      // where that offset is computed at run time (802.11, pflog).
      return Fail(n, "'protochain' is not supported on " + proto::DisplayName(*link_) +
                         ", whose header lengths are known only at run time (nor by libpcap)");
    }
    uint32_t num;
    if (id->kind == Kind::kIdNum) {
      num = id->num;
    } else if (id->kind == Kind::kIdName) {
      const int r = names_.Protocol(id->text);
      if (r < 0) return Fail(id, "unknown ip proto '" + std::string(id->text) + "'", Diag::Code::kUnknownName);
      num = uint32_t(r);
    } else {
      return Fail(id, "'" + Text(id) + "' is not a protocol number or name");
    }
    auto chain = [&](uint8_t version) {
      const bool v4 = version == 4;
      const ValueId first_type = Load(1, nl() + (v4 ? proto::kIpOffProto : proto::kIp6OffNext));
      const ValueId first_off = v4 ? TransportVar() : v_.Const(proto::kIp6HdrLen);
      return And(LinkProto(v4 ? proto::kEtherIp : proto::kEtherIp6),
                 TestK(v_.ProtoChain(version, nl().off, first_type, first_off, num), Cmp::kEq, 1));
    };
    if (p == Proto::kIp) return chain(4);
    if (p == Proto::kIp6) return chain(6);
    return Or(chain(4), chain(6));
  }

  int PortQual(const Node* n, const Node* id) {
    Proto p = n->quals.proto;
    const Dir dir = n->quals.dir;
    if (p != Proto::kDefault && !proto::Info(p).port_carrier) return Fail(n, "illegal qualifier of 'port'");
    if (n->quals.type == Type::kPort) {
      uint32_t port;
      if (id->kind == Kind::kIdNum) {
        if (id->num > 65535) return Fail(id, "illegal port number " + std::to_string(id->num) + " > 65535", Diag::Code::kRange);
        port = id->num;
      } else if (id->kind == Kind::kIdName) {
        if (!ResolvePort(id, id->text, &p, &port)) return kError;
      } else {
        return Fail(id, "'" + Text(id) + "' is not a port");
      }
      return Port(n, p, dir, port);
    }
    uint32_t lo, hi;
    if (id->kind == Kind::kIdNum) {
      if (id->num > 65535) return Fail(id, "illegal port number " + std::to_string(id->num) + " > 65535", Diag::Code::kRange);
      lo = hi = id->num;
    } else if (id->kind == Kind::kIdName) {
      // Split at the first '-', as libpcap does; each end is a number or
      // a service name, and the range belongs to a transport only when
      // both ends do.
      const std::string_view s = id->text;
      const size_t dash = s.find('-');
      if (dash == std::string_view::npos) {
        return Fail(id, "'" + std::string(s) + "' is not a port range (write LOW-HIGH)");
      }
      Proto rlo, rhi;
      if (!LookupPort(id, s.substr(0, dash), &lo, &rlo) || !LookupPort(id, s.substr(dash + 1), &hi, &rhi)) {
        if (diag_->code == Diag::Code::kUnknownName) {
          diag_->message = "unknown port in range '" + std::string(s) + "' (" + diag_->message + ")";
        }
        return kError;
      }
      const Proto real = rlo == rhi ? rlo : Proto::kDefault;
      if (!PortProtoFits(id, "port in range '" + std::string(s) + "'", p, real)) return kError;
      if (p == Proto::kDefault) p = real;
    } else {
      return Fail(id, "'" + Text(id) + "' is not a port range");
    }
    return PortRange(n, p, dir, lo, hi);
  }

  int Broadcast(const Node* n) {
    switch (n->quals.proto) {
      case Proto::kDefault:
      case Proto::kLink: {
        if (link_->arcnet_dst_off && encap_.mode == Encap::Mode::kLink) return EqAt(1, link_->arcnet_dst_off, 0);
        if (!HasEtherAddrs()) return Fail(n, "not a broadcast link");
        std::array<uint8_t, 6> all;
        all.fill(0xff);
        if (Wlan()) return WlanDst([&](Pos p) { return MacAt(p, all); });
        return NotLeControl(And(InnerEther(), MacAt(Mac() + link_->mac_dst_off, all)));
      }
      case Proto::kIp: {
        if (opts_.netmask == kNetmaskUnknown)
          return Fail(n, "netmask not known, so 'ip broadcast' not supported");
        const uint32_t host = ~opts_.netmask;
        const int link = LinkProto(proto::kEtherIp);
        const Pos off = nl() + proto::kIpOffDst;
        return And(link, Or(MaskedEq(4, off, host, 0), MaskedEq(4, off, host, host)));
      }
      default:
        return Fail(n, "only link-layer/IP broadcast filters supported");
    }
  }

  int Multicast(const Node* n) {
    switch (n->quals.proto) {
      case Proto::kDefault:
      case Proto::kLink:
        // ARCNET has no multicast: libpcap tests for its broadcast address.
        if (link_->arcnet_dst_off && encap_.mode == Encap::Mode::kLink) return EqAt(1, link_->arcnet_dst_off, 0);
        if (!HasEtherAddrs())
          return Fail(n, "link-layer multicast filters supported only on ethernet/FDDI/token ring/ARCNET/802.11/ATM LANE/Fibre Channel");
        if (Wlan()) return WlanDst([&](Pos p) { return Set(Load(1, p), 1); });
        return NotLeControl(And(InnerEther(), Set(Load(1, Mac() + link_->mac_dst_off), 1)));
      case Proto::kIp:
        return And(LinkProto(proto::kEtherIp), TestK(Load(1, nl() + proto::kIpOffDst), Cmp::kGe, 224));
      case Proto::kIp6:
        return And(LinkProto(proto::kEtherIp6), EqAt(1, nl() + proto::kIp6OffDst, 255));
      default:
        return Fail(n, "link-layer multicast filters supported only on ethernet/FDDI/token ring/ARCNET/802.11/ATM LANE/Fibre Channel");
    }
  }

  // --- relations ----------------------------------------------------------
  // An arithmetic operand: its IR value, and two facts about the code
  // libpcap would generate for it, because libpcap refuses divisors and
  // shift counts by looking at that code:
  //  - while parsing, when the operand's code starts by loading a constant
  //    (`len / ip[0]` is refused: the index 0 is loaded first), that constant
  //    must not be 0 for / and %, nor above 31 for << and >>;
  //  - its optimizer, when the operand's value is a constant by its
  //    propagation rules (constants, x*0, x&0, 0 op x, but not x-x).
  struct Operand {
    ValueId v;
    std::optional<uint32_t> first_k;  // constant its code starts by loading
    std::optional<uint32_t> opt_k;    // constant libpcap's optimizer knows it to be
    // Reads the packet where libpcap's optimizer cannot follow: past an
    // 802.11 header, whose length libpcap keeps in scratch memory.
    bool opaque = false;
  };

  // Lowers an arithmetic expression to a value; protocol checks the loads
  // need are appended to *checks in evaluation order. Like libpcap, a binary
  // operator keeps only its left operand's checks: in `len - ip[2:2]` the
  // load is not guarded by an IPv4 test.
  std::optional<ValueId> Arith(const Node* n, std::vector<int>* checks) {
    auto o = ArithOperand(n, checks);
    if (!o) return std::nullopt;
    return o->v;
  }

  std::optional<Operand> ArithOperand(const Node* n, std::vector<int>* checks) {
    switch (n->kind) {
      case Kind::kNum: return Operand{v_.Const(n->num), n->num, n->num};
      case Kind::kLen: return Operand{v_.Len(), std::nullopt, std::nullopt};
      case Kind::kNeg: {
        auto a = ArithOperand(n->lhs, checks);
        if (!a) return std::nullopt;
        std::optional<uint32_t> opt_k;
        if (a->opt_k) opt_k = 0u - *a->opt_k;
        if (v_.IsConst(a->v)) return Operand{v_.Const(0u - v_[a->v].k), a->first_k, opt_k};
        return Operand{v_.Neg(a->v), a->first_k, opt_k};
      }
      case Kind::kBinary: {
        auto a = ArithOperand(n->lhs, checks);
        if (!a) return std::nullopt;
        std::vector<int> dropped;  // libpcap forgets the right operand's checks
        auto b = ArithOperand(n->rhs, &dropped);
        if (!b) return std::nullopt;
        if (!CheckDivisor(n, *b)) return std::nullopt;
        std::optional<uint32_t> opt_k = LibpcapFold(n->bin, a->opt_k, b->opt_k);
        const bool opaque = a->opaque || b->opaque;
        if (opaque) opt_k = std::nullopt;
        if (v_.IsConst(a->v) && v_.IsConst(b->v)) {
          if (auto k = Fold(n->bin, v_[a->v].k, v_[b->v].k)) {
            return Operand{v_.Const(*k), a->first_k, opt_k};
          }
        }
        return Operand{v_.Binary(n->bin, a->v, b->v), a->first_k, opt_k, opaque};
      }
      case Kind::kLoad: {
        std::optional<uint32_t> first_k;
        auto v = LoadRel(n, checks, &first_k);
        if (!v) return std::nullopt;
        return Operand{*v, first_k, std::nullopt, Wlan() && n->quals.proto != Proto::kLink};
      }
      default:
        Fail(n, "'" + Text(n) + "' is not a value");
        return std::nullopt;
    }
  }

  // libpcap's refusals of a divisor or shift count `b` (see Operand).
  bool CheckDivisor(const Node* n, const Operand& b) {
    const bool literal = v_.IsConst(b.v);
    const bool libpcap_optimizes = opts_.optimize && proto::RadioInfo(link_->radio).libpcap_optimizes;
    const std::optional<uint32_t> ks[2] = {b.first_k, libpcap_optimizes ? b.opt_k : std::nullopt};
    for (int i = 0; i < 2; ++i) {
      if (!ks[i]) continue;
      const uint32_t k = *ks[i];
      std::string what;
      if ((n->bin == ast::BinOp::kDiv || n->bin == ast::BinOp::kMod) && k == 0) {
        what = n->bin == ast::BinOp::kDiv ? "division by zero" : "modulus by zero";
      } else if ((n->bin == ast::BinOp::kLsh || n->bin == ast::BinOp::kRsh) && k > 31) {
        what = "shift by more than 31 bits";
      } else {
        continue;
      }
      if (!literal) {
        what += i == 0 ? " (libpcap refuses this operand: its code starts by loading " +
                             std::to_string(k) + ")"
                       : " (libpcap's optimizer finds the operand is always " +
                             std::to_string(k) + ")";
      }
      Fail(n->rhs, what, Diag::Code::kRange);
      return false;
    }
    return true;
  }

  static std::optional<uint32_t> Fold(ast::BinOp op, uint32_t a, uint32_t b) {
    switch (op) {
      case ast::BinOp::kAdd: return a + b;
      case ast::BinOp::kSub: return a - b;
      case ast::BinOp::kMul: return a * b;
      case ast::BinOp::kDiv: return a / b;
      case ast::BinOp::kMod: return a % b;
      case ast::BinOp::kAnd: return a & b;
      case ast::BinOp::kOr: return a | b;
      case ast::BinOp::kXor: return a ^ b;
      case ast::BinOp::kLsh: if (b < 32) return a << b; return std::nullopt;
      case ast::BinOp::kRsh: if (b < 32) return a >> b; return std::nullopt;
    }
    return std::nullopt;
  }

  // proto[index:size]. *first_k: the constant the index's code starts with.
  std::optional<ValueId> LoadRel(const Node* n, std::vector<int>* checks,
                                 std::optional<uint32_t>* first_k) {
    const Proto p = n->quals.proto;
    if (n->num != 1 && n->num != 2 && n->num != 4) {
      Fail(n, "data size must be 1, 2, or 4", Diag::Code::kRange);
      return std::nullopt;
    }
    const proto::ProtoInfo& info = proto::Info(p);
    if (!info.indexable) {
      Fail(n, "unsupported index operation");
      return std::nullopt;
    }
    // Transport loads test IPv4 before the index's own checks, then the
    // transport protocol after them (libpcap's order; it matters under
    // "not" on packets too short for the IPv4 test).
    const bool transport = info.ipproto >= 0 && p != Proto::kIcmp6;
    if (transport) checks->push_back(LinkProto(proto::kEtherIp));
    auto index_op = ArithOperand(n->lhs, checks);
    if (!index_op) return std::nullopt;
    *first_k = index_op->first_k;
    std::optional<ValueId> index = index_op->v;
    const uint8_t size = uint8_t(n->num);
    const bool konst = v_.IsConst(*index);
    const uint32_t k = konst ? v_[*index].k : 0;
    ValueId var = konst ? ir::kNoValue : *index;
    Pos base;
    switch (p) {
      case Proto::kLink:
        base = Mac() + link_->link_off;  // on 802.11, the MAC header after any radio header
        break;
      case Proto::kIp:
      case Proto::kIp6:
      case Proto::kArp:
      case Proto::kRarp:
      case Proto::kAtalk:
      case Proto::kDecnet:
      case Proto::kLat:
      case Proto::kSca:
      case Proto::kMopdl:
      case Proto::kMoprc:
        checks->push_back(LinkProto(info.ethertype));
        base = nl();
        break;
      case Proto::kIcmp6:
        checks->push_back(And(LinkProto(proto::kEtherIp6), EqAt(1, nl() + proto::kIp6OffNext, 58)));
        base = nl() + proto::kIp6HdrLen;
        break;
      default:  // transports over IPv4: after the variable-length header
        // The protocol test is the keyword's, IPv6 included as in libpcap
        // (the optimizer drops that branch after the IPv4 test; libpcap's
        // refusals of "rejects all packets" follow its shape).
        checks->push_back(And(info.over_ip6 ? Or(IpProto(uint32_t(info.ipproto)), Ip6Proto(uint32_t(info.ipproto)))
                                            : IpProto(uint32_t(info.ipproto)),
                              NotFragment()));
        var = konst ? TransportVar() : v_.Binary(ast::BinOp::kAdd, *index, TransportVar());
        base = Pos{ir::kNoValue, nl().off};
        break;
    }
    if (p != Proto::kLink && konst && k > 65535) {
      Fail(n, std::string(ast::ProtoName(p)) + "[" + std::to_string(k) +
                  "] is beyond the largest possible IP packet (65535 bytes)", Diag::Code::kRange);
      return std::nullopt;
    }
    // libpcap loads proto[k] as [x + base] with x = k, which no packet
    // satisfies when the sum passes 2^32 (bpf_filter does not wrap it):
    // such a constant index is a load past the end of every packet.
    // (Each index gets its own such offset, so that two of them are not
    // taken for the same value, which libpcap would not know either.)
    if (base.var != ir::kNoValue) {
      var = var == ir::kNoValue ? base.var : v_.Binary(ast::BinOp::kAdd, var, base.var);
      if (uint64_t{base.off} + k > 0xffff) {
        // libpcap adds a huge index to the run-time base modulo 2^32
        // (link[0xffffffff] reads the byte before the MAC header); a load
        // of var + k would instead fail.
        return v_.Load(size, v_.Binary(ast::BinOp::kAdd, var, v_.Const(base.off + k)), 0);
      }
    } else if (Wlan() && link_->radio != proto::RadioHeader::kNone && p == Proto::kLink) {
      // A prism header's fixed length is a run-time value to libpcap too:
      // the index wraps as above.
      return v_.Load(size, var, base.off + k);
    } else if (var == ir::kNoValue && base.off + k < base.off) {
      return v_.Load(size, ir::kNoValue, kBeyondAnyPacket | (k & ~kBeyondAnyPacket));
    }
    return v_.Load(size, var, base.off + k);
  }
  static constexpr uint32_t kBeyondAnyPacket = 0xfff00000;  // past every capture (caplen < 2^20)

  int Relation(const Node* n) {
    std::vector<int> checks;
    auto l = Arith(n->lhs, &checks);
    if (!l) return kError;
    auto r = Arith(n->rhs, &checks);
    if (!r) return kError;
    int t = kError;
    switch (n->rel) {
      case ast::RelOp::kEq: t = Test(*l, Cmp::kEq, *r); break;
      case ast::RelOp::kNe: t = Not(Test(*l, Cmp::kEq, *r)); break;
      case ast::RelOp::kGt: t = Test(*l, Cmp::kGt, *r); break;
      case ast::RelOp::kGe: t = Test(*l, Cmp::kGe, *r); break;
      case ast::RelOp::kLt: t = Not(Test(*l, Cmp::kGe, *r)); break;
      case ast::RelOp::kLe: t = Not(Test(*l, Cmp::kGt, *r)); break;
    }
    for (auto it = checks.rbegin(); it != checks.rend(); ++it) t = And(*it, t);
    return t;
  }

  // --- dispatch -----------------------------------------------------------
  int Lower(const Node* n) {
    if (n->kind != Kind::kAnd && n->kind != Kind::kOr && n->kind != Kind::kNot &&
        n->kind != Kind::kGroup) {
      current_ = n;
    }
    switch (n->kind) {
      case Kind::kAnd:
      case Kind::kOr: {
        // Iterate the left spine (long chains).
        std::vector<const Node*> spine;
        const Node* cur = n;
        while (cur->kind == n->kind) {
          spine.push_back(cur);
          cur = cur->lhs;
        }
        int acc = Lower(cur);
        if (acc == kError) return kError;
        for (auto it = spine.rbegin(); it != spine.rend(); ++it) {
          int r = Lower((*it)->rhs);
          if (r == kError) return kError;
          acc = n->kind == Kind::kAnd ? And(acc, r) : Or(acc, r);
        }
        return acc;
      }
      case Kind::kNot: {
        int a = Lower(n->lhs);
        return a == kError ? kError : Not(a);
      }
      case Kind::kGroup: return Lower(n->lhs);
      case Kind::kPrimitive: return Primitive(n);
      case Kind::kProtoAbbrev: return ProtoAbbrev(n, n->quals.proto);
      case Kind::kRelation: return Relation(n);
      case Kind::kBroadcast: return Broadcast(n);
      case Kind::kMulticast: return Multicast(n);
      case Kind::kVlan: return Vlan(n);
      case Kind::kLlc: return Llc(n);
      case Kind::kInbound:
        return DirectionTest(link_->direction.in_value, link_->direction.in_negated);
      case Kind::kOutbound:
        return DirectionTest(link_->direction.out_value, link_->direction.out_negated);
      case Kind::kIfIndex:
        return link_->ifindex_size ? EqAt(link_->ifindex_size, link_->ifindex_off, n->num)
                                  : EqAt(4, cbpf::kSkfAdOff + cbpf::kAdIfIndex, n->num);
      case Kind::kMpls: return Mpls(n);
      case Kind::kPppoed: return LinkProto(proto::kEtherPppoeDiscovery);
      case Kind::kPppoes: return Pppoes(n);
      case Kind::kGeneve: return Geneve(n);
      case Kind::kWlanType: return WlanType(n);
      case Kind::kWlanDir: return WlanDir(n);
      case Kind::kPfField: return PfFieldTest(n);
      case Kind::kLane: return Lane(n);
      case Kind::kAtmCircuit: return AtmCircuit(n);
      case Kind::kAtmField: return AtmField(n);
      case Kind::kSs7Unit: return Ss7Unit(n);
      case Kind::kSs7Field: return Ss7Field(n);
      case Kind::kLess: return Not(TestK(v_.Len(), Cmp::kGt, n->num));
      case Kind::kGreater: return TestK(v_.Len(), Cmp::kGe, n->num);
      default: return Fail(n, "'" + Text(n) + "' is not a test");
    }
  }

  // --- 802.11 layouts -------------------------------------------------------
  // An 802.11 frame's offsets are known only at run time: the radio header's
  // length is in the header (radiotap, PPI, AVS; prism's 144 bytes may be an
  // AVS header instead), and the MAC header is 24 bytes, 26 for QoS data,
  // rounded up to 4 when radiotap says the driver padded it. libpcap works
  // these out once, at the start of the program, whenever the expression
  // reads the MAC header or what follows it (so that a packet too short for
  // that work is rejected whatever the expression), and tests everything
  // against the results.
  //
  // bpfcap does the same with a decision tree at the start of the program
  // that makes the same loads and tells the layouts apart. Without a radio
  // header each leaf holds the whole expression lowered for that layout, so
  // that every offset is a constant. Behind a radio header, whose length is
  // in the packet, the leaves store the MAC header's and the payload's
  // offsets in two slots (kWlanMacSlot, kWlanPayloadSlot) and the
  // expression, lowered once, reads them, as libpcap's program reads its
  // scratch memory. The first lowering finds out what the expression reads;
  // only then are the layouts it needs worked out (at most four).
  int LowerWlan() {
    const proto::RadioLayout& radio = proto::RadioInfo(link_->radio);
    const Encap start = encap_;
    // What does the expression read? (Any layout tells: they differ in
    // offsets only.)
    SetLayout(Pos{}, Pos{ir::kNoValue, wlan::kHdrLen});
    const int first = Lower(ast_.root);
    link_ = &dlt_link_;
    if (first == kError) return kError;
    const bool mac = used_mac_, payload = used_payload_;
    // Prism's length, when the expression needs it, is a branch of its own.
    info_->runtime_offsets = payload || (mac && radio.avs_mask != 0) || !radio.libpcap_optimizes;
    int c = first;
    // A radio header of run-time length and a payload to find: slots.
    const bool by_slot = payload && (radio.len_size != 0 || radio.avs_mask != 0);
    if (mac || payload) {
      auto for_radio = [&](ValueId len) {
        if (by_slot) {
          return And(Store(kWlanMacSlot, len),  // (a radio header: len is a value)
                     ByMacLayout(start, radio, v_.Slot(kWlanMacSlot), /*store=*/true));
        }
        if (payload) return ByMacLayout(start, radio, len, /*store=*/false);
        const int lowered = LowerAt(start, MacPos(len), Pos{});
        return len == ir::kNoValue || v_.IsConst(len) ? lowered : And(Probe(len), lowered);
      };
      if (radio.avs_mask != 0) {
        // prism: an AVS header's length, or the fixed length.
        c = If(MaskedEq(4, 0, radio.avs_mask, radio.avs_magic), for_radio(Load(radio.len_size, radio.len_off)),
               for_radio(v_.Const(radio.fixed_len)));
      } else {
        c = for_radio(RadioLen(radio));
      }
      if (by_slot) c = And(c, LowerAt(start, Pos{v_.Slot(kWlanMacSlot), 0}, Pos{v_.Slot(kWlanPayloadSlot), 0}));
    }
    if (radio.guard_value != 0) c = And(EqAt(4, radio.guard_off, radio.guard_value), c);
    return c;
  }

  // The radio header's length (kNoValue: there is none).
  ValueId RadioLen(const proto::RadioLayout& radio) {
    if (radio.len_size == 0) return ir::kNoValue;
    if (!radio.len_little_endian) return Load(radio.len_size, radio.len_off);
    // Little-endian 16 bits: the high byte shifted over the low one.
    return v_.Binary(ast::BinOp::kOr, v_.Binary(ast::BinOp::kLsh, Load(1, radio.len_off + 1), v_.Const(8)),
                     Load(1, radio.len_off));
  }

  Pos MacPos(ValueId len) {
    if (len == ir::kNoValue) return Pos{};
    if (v_.IsConst(len)) return Pos{ir::kNoValue, v_[len].k};
    return Pos{len, 0};
  }

  // Splits on the MAC header's length, as libpcap computes it: 24 bytes, 2
  // more for a QoS data frame, and (radiotap) rounded up to a multiple of 4
  // for a data frame whose radiotap flags say the driver padded it. The
  // flags are looked for only in the simple place: right after the header
  // when only TSFT may come before them, and not with extended present
  // bitmaps. The rounding is of the offset from the start of the packet.
  // Each leaf is the expression lowered for its layout, or with `store`,
  // the payload's offset stored in kWlanPayloadSlot.
  int ByMacLayout(const Encap& start, const proto::RadioLayout& radio, ValueId len, bool store) {
    const Pos m = MacPos(len);
    const ValueId fc0 = Load(1, m);
    const int data = And(Set(fc0, wlan::kFc0Data), Not(Set(fc0, wlan::kFc0CtlOrExt)));
    const int qos = Set(fc0, wlan::kFc0Qos);
    auto at = [&](uint32_t hdrlen, bool padded) {
      Pos payload = m + hdrlen;
      if (padded) {
        // (len + hdrlen + 3) & ~3
        const ValueId end = payload.var == ir::kNoValue
                                ? v_.Const(payload.off)
                                : v_.Binary(ast::BinOp::kAdd, payload.var, v_.Const(payload.off));
        const ValueId rounded = v_.Binary(ast::BinOp::kAnd, v_.Binary(ast::BinOp::kAdd, end, v_.Const(3)),
                                          v_.Const(~3u));
        payload = v_.IsConst(end) ? Pos{ir::kNoValue, (payload.off + 3) & ~3u} : Pos{rounded, 0};
      }
      if (store) return Store(kWlanPayloadSlot, Abs(payload));
      return LowerAt(start, m, payload);
    };
    auto by_qos = [&](bool padded) {
      return If(qos, at(wlan::kHdrLen + wlan::kQosLen, padded), at(wlan::kHdrLen, padded));
    };
    int data_layouts = by_qos(false);
    if (radio.data_pad) {
      const ValueId present = Load(4, wlan::kRadiotapPresentOff);
      const int tsft = Set(present, wlan::kRadiotapPresentTsft);
      const int pad_flag = If(tsft, Set(Load(1, wlan::kRadiotapFlagsOff + wlan::kRadiotapTsftLen), wlan::kRadiotapFlagDataPad),
                              Set(Load(1, wlan::kRadiotapFlagsOff), wlan::kRadiotapFlagDataPad));
      const int padded = And(Set(present, wlan::kRadiotapPresentFlags),
                             And(Not(Set(present, wlan::kRadiotapPresentExt)), pad_flag));
      data_layouts = If(padded, by_qos(true), by_qos(false));
    }
    return If(data, data_layouts, at(wlan::kHdrLen, false));
  }

  void SetLayout(Pos mac, Pos payload) {
    mac_ = mac;
    encap_.type_off = payload.off + link_->type_off;
    encap_.nl_off = payload.off + link_->nl_off;
    encap_.base = payload.var;
    encap_.type_base = payload.var;
  }

  // Back to the start of the expression, to lower it again (for another
  // place of the outer VLAN tag, another 802.11 layout): the state the
  // primitives change as they go in text order.
  void Restart(const Encap& start, Pos mac) {
    encap_ = start;
    link_ = &dlt_link_;
    pppoe_ = false;
    mac_ = mac;
    after_geneve_ = false;
  }

  // The whole expression again, for one layout.
  int LowerAt(const Encap& start, Pos mac, Pos payload) {
    Restart(start, mac);
    SetLayout(mac, payload);
    return Lower(ast_.root);
  }

  // --- link-type keywords: pflog, SunATM, SS7 ------------------------------
  // Keyword spelling as written, for messages.
  std::string KeywordText(const Node* n) const {
    const std::string t = Text(n);
    return t.substr(0, t.find_first_of(" \t\r\n(<>=!"));
  }

  // The name `name` at `off`, as its strlen bytes (no NUL: "em0" also
  // matches "em01", as in libpcap), compared 4-byte words from the end
  // first, then a halfword, then a byte, in libpcap's order.
  int NameAt(uint32_t off, std::string_view name) {
    auto bytes = [&](size_t at, size_t len) {
      uint32_t v = 0;
      for (size_t i = 0; i < len; ++i) v = v << 8 | uint8_t(name[at + i]);
      return v;
    };
    int c = kNone;
    auto add = [&](int t) { c = c == kNone ? t : And(c, t); };
    size_t rem = name.size();
    for (; rem >= 4; rem -= 4) add(EqAt(4, off + uint32_t(rem - 4), bytes(rem - 4, 4)));
    if (rem >= 2) {
      add(EqAt(2, off + uint32_t(rem - 2), bytes(rem - 2, 2)));
      rem -= 2;
    }
    if (rem == 1) add(EqAt(1, off, bytes(0, 1)));
    return c == kNone ? True() : c;
  }

  // "ifname em0", "rset NAME", "rnr N", "srnr N", "reason CODE", "action ACT".
  int PfFieldTest(const Node* n) {
    const proto::PfFieldInfo& info = proto::Info(proto::PfField(n->num));
    const Node* id = n->lhs;
    const std::string kw = KeywordText(n);
    const bool named = id->kind == Kind::kIdName;
    uint32_t value = id->num;
    switch (info.field) {
      case proto::PfField::kIfName:
      case proto::PfField::kRuleset:
        if (!named) return Fail(id, "'" + kw + "' takes a name, not the number '" + Text(id) + "'");
        break;
      case proto::PfField::kRuleNr:
      case proto::PfField::kSubRuleNr:
        if (named) return Fail(id, "'" + kw + "' takes a rule number, not '" + Text(id) + "'");
        break;
      case proto::PfField::kReason:
        if (named) {
          std::optional<uint32_t> r = proto::PfReasonByName(id->text);
          if (!r) return Fail(id, "unknown PF reason '" + std::string(id->text) + "'", Diag::Code::kUnknownName);
          value = *r;
        }
        break;
      case proto::PfField::kAction: {
        if (!named) return Fail(id, "'action' takes a name (pass, block, nat, rdr, ...), not '" + Text(id) + "'");
        std::optional<uint32_t> a = proto::PfActionByName(id->text);
        if (!a) return Fail(id, "unknown PF action '" + std::string(id->text) + "'", Diag::Code::kUnknownName);
        value = *a;
        break;
      }
    }
    if (dlt_link_.keywords != proto::LinkKeywords::kPflog) {
      return Fail(n, "'" + kw + "' needs pflog captures (link type PFLOG), not " + proto::DisplayName(dlt_link_));
    }
    if (named && info.size > 4) {
      if (id->text.size() > proto::kPflogNameMax) {
        return Fail(id, std::string(info.field == proto::PfField::kIfName ? "interface" : "ruleset") +
                            " names can only be " + std::to_string(proto::kPflogNameMax) + " characters",
                    Diag::Code::kRange);
      }
      return NameAt(info.off, id->text);
    }
    return EqAt(info.size, info.off, value);
  }

  // A field compared as written: "vpi > 3", "sio != 2". `!=` is the negated
  // equality, as pcap-filter(7) means it (libpcap 1.10.3 tests equality for
  // the ATM and SS7 fields instead: README, deliberate differences).
  int RelTest(ValueId v, ast::RelOp rel, uint32_t k) {
    switch (rel) {
      case ast::RelOp::kEq: return TestK(v, Cmp::kEq, k);
      case ast::RelOp::kNe: return Not(TestK(v, Cmp::kEq, k));
      case ast::RelOp::kGt: return TestK(v, Cmp::kGt, k);
      case ast::RelOp::kGe: return TestK(v, Cmp::kGe, k);
      case ast::RelOp::kLt: return Not(TestK(v, Cmp::kGe, k));
      case ast::RelOp::kLe: return Not(TestK(v, Cmp::kGt, k));
    }
    return kError;
  }

  bool NeedsAtm(const Node* n) {
    if (dlt_link_.keywords == proto::LinkKeywords::kSunAtm) return true;
    Fail(n, "'" + KeywordText(n) + "' needs SunATM captures (link type SUNATM), not " +
                proto::DisplayName(dlt_link_));
    return false;
  }

  // "lane": a LANE frame. Everything after the first one reads the packet as
  // the emulated Ethernet frame behind the 2-byte LE client id (the ATM
  // fields too, moved with it); its tests of the frame (protocol, MAC
  // addresses) first skip LE control frames. A later "lane" looks at the
  // moved offsets and changes nothing more.
  int Lane(const Node* n) {
    current_ = n;
    if (!NeedsAtm(n)) return kError;
    const int c = MaskedEq(1, Mac() + proto::kAtmTypeOff, proto::kAtmTypeMask, proto::kAtmTypeLane);
    if (link_ == &dlt_link_) {
      static const proto::LinkType* const kEthernet = proto::FindLinkType(kDltEn10mb);
      link_ = kEthernet;
      skip_le_control_ = true;
      mac_ = Pos{ir::kNoValue, proto::kLaneEtherOff};
      encap_ = Encap{Encap::Mode::kLink, proto::kLaneEtherOff + kEthernet->type_off,
                     proto::kLaneEtherOff + kEthernet->nl_off, 0};
    } else {
      skip_le_control_ = false;
    }
    return c;
  }

  // After the first "lane": not an LE control frame, and `c`.
  int NotLeControl(int c) {
    if (!skip_le_control_) return c;
    return And(Not(EqAt(2, proto::kLaneLecIdOff, proto::kLaneControl)), c);
  }

  // "oam", "metac", "connectmsg", ...: VPI 0, one of the circuit's VCIs and
  // (signalling) one of its message types.
  int AtmCircuit(const Node* n) {
    if (!NeedsAtm(n)) return kError;
    const proto::AtmCircuit* row = nullptr;
    for (const proto::AtmCircuit& a : proto::kAtmCircuits)
      if (a.keyword == n->text) row = &a;
    auto any_of = [&](Pos off, uint8_t size, std::span<const uint8_t> values) {
      int c = kNone;
      for (uint8_t v : values) {
        if (v == 0) break;
        const int t = EqAt(size, off, v);
        c = c == kNone ? t : Or(c, t);
      }
      return c;
    };
    int c = And(EqAt(1, Mac() + proto::kAtmVpiOff, 0), any_of(Mac() + proto::kAtmVciOff, 2, row->vcis));
    if (row->msgs[0]) c = And(c, any_of(Mac() + proto::kAtmMsgTypeOff, 1, row->msgs));
    return c;
  }

  // "vpi N", "vci N" and their relations.
  int AtmField(const Node* n) {
    if (!NeedsAtm(n)) return kError;
    for (const proto::AtmField& f : proto::kAtmFields) {
      if (f.keyword == n->text) return RelTest(Load(f.size, Mac() + f.off), n->rel, n->num);
    }
    return Fail(n, "unknown ATM field");
  }

  bool NeedsSs7(const Node* n) {
    if (dlt_link_.keywords == proto::LinkKeywords::kSs7) return true;
    Fail(n, "'" + KeywordText(n) + "' needs SS7 MTP2 captures (link type MTP2, MTP2_WITH_PHDR or ERF), not " +
                proto::DisplayName(dlt_link_));
    return false;
  }

  // "fisu", "lssu", "msu" and the h forms: the length indicator's range.
  int Ss7Unit(const Node* n) {
    if (!NeedsSs7(n)) return kError;
    for (const proto::Ss7Unit& u : proto::kSs7Units) {
      if (u.keyword != n->text) continue;
      const ValueId field = Load(u.size, dlt_link_.ss7_off + u.off);
      if (u.upto == 0) return Not(TestK(field, Cmp::kSet, u.mask));
      const ValueId li = v_.Binary(ast::BinOp::kAnd, field, v_.Const(u.mask));
      int c = TestK(li, Cmp::kGt, u.above);
      if (u.upto != UINT32_MAX) c = And(c, Not(TestK(li, Cmp::kGt, u.upto)));
      return c;
    }
    return Fail(n, "unknown SS7 unit");
  }

  // "sio N", "opc N", "dpc N", "sls N", the h forms, and their relations.
  int Ss7Field(const Node* n) {
    if (!NeedsSs7(n)) return kError;
    for (const proto::Ss7Field& f : proto::kSs7Fields) {
      if (f.keyword != n->text) continue;
      if (n->num > f.max) {
        Fail(n, std::string(f.name) + " value " + std::to_string(n->num) + " too big; max value = " +
                    std::to_string(f.max), Diag::Code::kRange);
        diag_->range = n->range2;
        return kError;
      }
      ValueId v = Load(f.size, dlt_link_.ss7_off + f.off);
      if (f.mask != 0xffffffffu) v = v_.Binary(ast::BinOp::kAnd, v, v_.Const(f.mask));
      return RelTest(v, n->rel, proto::Ss7Placed(f.layout, n->num));
    }
    return Fail(n, "unknown SS7 field");
  }

  // --- variable-length link headers -------------------------------------
  // The run-time part of the network layer's offset on `link` (Encap::base):
  // on pflog, (P[0] + 3) & ~3, the header's length rounded up to 4.
  ValueId NetworkLayerVar(const proto::LinkType& link) {
    if (link.nl_kind != proto::NlKind::kPflogLength) return ir::kNoValue;
    hdr_len_ = v_.Binary(ast::BinOp::kAnd,
                         v_.Binary(ast::BinOp::kAdd, Load(1, proto::kPflogLengthOff), v_.Const(3)),
                         v_.Const(~3u));
    return hdr_len_;
  }

  // libpcap computes a variable header length once, at the start of the
  // program, whenever its code uses it anywhere, even in a part that can
  // never run ("not iso or clnp" on pflog, where "iso" is false): a packet
  // too short for the length byte is then rejected first, even by a test
  // that does not read the packet ("len > 10 or ip[0] = 1"). So `c` gets,
  // in front, a probe of that byte (a test true whenever it can load) if
  // any test of the formula uses the length.
  // libpcap 1.10.3 forgets the computation once "pppoes" has moved the
  // offsets (its later loads then read a scratch register never written);
  // there is no probe then either, which only matters on empty captures.
  int WithHeaderLengthProbe(int c) {
    if (hdr_len_ == ir::kNoValue || pppoe_) return c;
    std::vector<int8_t> memo(v_.size(), -1);
    auto uses = [&](auto& self, ValueId v) -> bool {
      if (v == ir::kNoValue) return false;
      if (v == hdr_len_) return true;
      if (memo[v] >= 0) return memo[v];
      const ir::Value& x = v_[v];
      const bool u = self(self, x.a) || self(self, x.b);
      memo[v] = u;
      return u;
    };
    std::vector<bool> seen(conds_.size());
    std::vector<int> todo = {c};
    bool used = false;
    while (!todo.empty() && !used) {
      const int i = todo.back();
      todo.pop_back();
      if (i < 0 || seen[size_t(i)]) continue;
      seen[size_t(i)] = true;
      const Cond& n = conds_[size_t(i)];
      if (n.op == Cond::Op::kTest || n.op == Cond::Op::kProbe || n.op == Cond::Op::kStore) {
        used = uses(uses, n.test.lhs) || uses(uses, n.test.rhs);
      }
      todo.push_back(n.a);
      todo.push_back(n.b);
      todo.push_back(n.c);
    }
    if (!used) return c;
    return And(Probe(Load(1, proto::kPflogLengthOff)), c);
  }

  // --- encapsulations ----------------------------------------------------
  // "vlan [id]": an 802.1Q/802.1ad tag at the current type field; later
  // primitives see everything 4 bytes further on.
  int Vlan(const Node* n) {
    current_ = n;
    if (!link_->vlan) {
      return Fail(n, "'vlan' needs Ethernet frames; " + proto::DisplayName(*link_) + " has no VLAN tags");
    }
    if (encap_.mode == Encap::Mode::kMpls) return Fail(n, "no VLAN match after MPLS");
    if (encap_.mode == Encap::Mode::kPpp) return Fail(n, "no VLAN match inside PPPoE");
    if (n->lhs && n->lhs->num > 4095) {
      return Fail(n->lhs, "VLAN tag " + std::to_string(n->lhs->num) + " greater than maximum 4095",
                  Diag::Code::kRange);
    }
    if (kernel_tag_ && !after_geneve_) {
      // The first tag, taken out of the packet by the kernel: its id is in
      // the ancillary data, and nothing after it moves. (A tag after
      // "geneve" is in the inner frame, where the kernel leaves it.)
      kernel_tag_ = false;
      if (!n->lhs) return True();
      return MaskedEq(4, cbpf::kSkfAdOff + cbpf::kAdVlanTag, 0x0fff, n->lhs->num);
    }
    int c;
    if (link_->type_kind == proto::TypeKind::kLlc) {
      // 802.11: the tag's type is the SNAP header's EtherType, its TCI
      // right after it; both the LLC header and the payload move on by 4.
      c = Or(LinkProto(proto::kEtherVlan), Or(LinkProto(proto::kEtherQinQ), LinkProto(proto::kEtherQinQOld)));
      if (n->lhs) c = And(c, MaskedEq(2, TypePos() + kSnapTciOff, 0x0fff, n->lhs->num));
    } else {
      const Pos off = TypePos();
      c = NotLeControl(Or(EqAt(2, off, proto::kEtherVlan),
                          Or(EqAt(2, off, proto::kEtherQinQ), EqAt(2, off, proto::kEtherQinQOld))));
      if (n->lhs) c = And(c, MaskedEq(2, off + 2, 0x0fff, n->lhs->num));
    }
    encap_.type_off += 4;
    encap_.nl_off += 4;
    return c;
  }

  // "mpls [label]": a label stack entry; later primitives look past it.
  int Mpls(const Node* n) {
    current_ = n;
    if (n->lhs && n->lhs->num > 0xfffff) {
      return Fail(n->lhs, "MPLS label " + std::to_string(n->lhs->num) + " greater than maximum 1048575",
                  Diag::Code::kRange);
    }
    int c;
    if (encap_.mode == Encap::Mode::kMpls) {
      c = MaskedEq(1, encap_.Label() + 2, 0x01, 0x00);  // the previous label was not the last
    } else if (encap_.mode == Encap::Mode::kPpp && (link_->mpls || pppoe_)) {
      c = EqAt(2, TypePos(), proto::kPppMplsUnicast);
    } else if (link_->mpls && encap_.mode == Encap::Mode::kLink) {
      c = LinkProto(proto::kEtherMpls);
    } else {
      return Fail(n, "'mpls' needs Ethernet frames; " + proto::DisplayName(*link_) + " carries no MPLS");
    }
    if (n->lhs) c = And(c, MaskedEq(4, nl(), 0xfffff000, n->lhs->num << 12));
    encap_.mode = Encap::Mode::kMpls;
    encap_.label_off = nl().off;
    encap_.label_base = nl().var;
    encap_.nl_off += 4;
    return c;
  }

  // "pppoes [session]": a PPPoE session header; later primitives test the
  // PPP protocol field and the payload after it.
  int Pppoes(const Node* n) {
    current_ = n;
    if (n->lhs && n->lhs->num > 0xffff) {
      return Fail(n->lhs, "PPPoE session number " + std::to_string(n->lhs->num) +
                              " greater than maximum 65535", Diag::Code::kRange);
    }
    int c = LinkProto(proto::kEtherPppoeSession);
    if (n->lhs) c = And(c, MaskedEq(4, nl(), 0xffff, n->lhs->num));
    encap_.mode = Encap::Mode::kPpp;
    pppoe_ = true;
    encap_.type_off = nl().off + 6;  // version/type, code, session, length, then PPP protocol
    encap_.type_base = nl().var;
    encap_.nl_off = nl().off + 8;
    return c;
  }

  static constexpr int kDltEn10mb = 1;

  static bool HasKind(const Node* n, Kind k) {
    if (n == nullptr) return false;
    return n->kind == k || HasKind(n->lhs, k) || HasKind(n->rhs, k);
  }

  // --- geneve -------------------------------------------------------------
  // "geneve [vni]": UDP to port 6081 over IPv4 or IPv6, a Geneve header of
  // version 0 (and the VNI). Everything after it in the expression reads
  // the inner frame, whose place is known only at run time: after the
  // outer IPv4 header's length, the UDP header, the Geneve header and its
  // options. The inner frame is Ethernet when the Geneve protocol type is
  // Transparent Ethernet Bridging; otherwise the payload starts right after
  // the options and the protocol type is its EtherType.
  //
  // As libpcap does, a "geneve" that succeeds stores three offsets in slots
  // of its own (run-time variables, ir.h): the inner protocol field, the
  // inner link header and the inner network layer; every later primitive
  // reads those of the last "geneve" before it in the text. A primitive
  // reached when that "geneve" failed or was skipped (the other side of an
  // "or" decided) reads slots never stored: 0, the IR's initial value (the
  // kernel would refuse libpcap's program there, and libpcap's bpf_filter
  // reads its uninitialised stack; zeros are the differential suite's
  // reading too). A "geneve" whose offsets nothing reads stores nothing.
  struct GeneveSlots {
    uint32_t type, link, nl;
  };
  static constexpr uint32_t kSlotsPerGeneve = 3;
  // 802.11 behind a radio header (LowerWlan): the last two slots.
  static constexpr uint32_t kWlanMacSlot = ir::kMaxSlots - 2;
  static constexpr uint32_t kWlanPayloadSlot = ir::kMaxSlots - 1;

  // The slots of geneve `n` (the same in every lowering of the expression).
  std::optional<GeneveSlots> SlotsOf(const Node* n) {
    auto it = std::find(genevi_.begin(), genevi_.end(), n);
    if (it == genevi_.end()) it = genevi_.insert(it, n);
    const uint32_t first = uint32_t(it - genevi_.begin()) * kSlotsPerGeneve;
    if (first + kSlotsPerGeneve > kWlanMacSlot) return std::nullopt;
    return GeneveSlots{first, first + 1, first + 2};
  }

  ValueId Abs(Pos p) {
    if (p.var == ir::kNoValue) return v_.Const(p.off);
    return p.off == 0 ? p.var : v_.Binary(ast::BinOp::kAdd, p.var, v_.Const(p.off));
  }
  ValueId Plus(ValueId v, uint32_t k) { return v_.Binary(ast::BinOp::kAdd, v, v_.Const(k)); }

  int Geneve(const Node* n) {
    current_ = n;
    if (n->lhs && n->lhs->num > proto::kGeneveVniMax) {
      return Fail(n->lhs, "Geneve VNI " + std::to_string(n->lhs->num) + " greater than maximum 16777215",
                  Diag::Code::kRange);
    }
    const std::optional<GeneveSlots> slots = SlotsOf(n);
    if (!slots) {
      return Fail(n, "too many 'geneve' in one expression (at most " +
                         std::to_string(kWlanMacSlot / kSlotsPerGeneve) + ")", Diag::Code::kLimit);
    }
    info_->runtime_offsets = true;  // libpcap's optimizer proves nothing through scratch memory
    const uint32_t udp = uint32_t(proto::Info(Proto::kUdp).ipproto);
    // The Geneve header at `g`: its checks, then where it leads.
    auto at = [&](Pos g) {
      int c = MaskedEq(1, g, proto::kGeneveVersionMask, 0);
      if (n->lhs) c = And(c, MaskedEq(4, g + proto::kGeneveOffVni, 0xffffff00u, n->lhs->num << 8));
      // The payload: ((P[g] & 0x3f) << 2) + 8 + g, with g in X when it is
      // not a constant (cBPF: ldb [x + 0] and no spill).
      const ValueId start = Abs(g);
      const bool fixed = v_.IsConst(start);
      const ValueId len_byte = fixed ? Load(1, g) : v_.Load(1, start, 0);
      const ValueId opts = v_.Binary(ast::BinOp::kLsh, v_.Binary(ast::BinOp::kAnd, len_byte, v_.Const(proto::kGeneveOptLenMask)), v_.Const(2));
      const ValueId payload = fixed ? Plus(opts, v_[start].k + proto::kGeneveHdrLen)
                                    : v_.Binary(ast::BinOp::kAdd, Plus(opts, proto::kGeneveHdrLen), start);
      // It goes to the link slot first; the others are computed from it.
      const ValueId link = v_.Slot(slots->link);
      const int ether = And(Store(slots->type, Plus(link, proto::kEtherOffType)),
                            Store(slots->nl, Plus(link, proto::kEtherHdrLen)));
      const int other = And(Store(slots->type, Abs(g + proto::kGeneveOffProto)), Store(slots->nl, link));
      return And(c, And(Store(slots->link, payload),
                        If(EqAt(2, g + proto::kGeneveOffProto, proto::kEtherTeb), ether, other)));
    };
    const Pos ip = nl();
    // IPv4: the UDP header after the header's run-time length.
    const Pos udp4{TransportVar(), ip.off};
    const int over4 = And(LinkProto(proto::kEtherIp),
                          And(EqAt(1, ip + proto::kIpOffProto, udp),
                              And(NotFragment(), And(EqAt(2, udp4 + proto::kUdpOffDstPort, proto::kGenevePort),
                                                     at(udp4 + proto::kUdpHdrLen)))));
    const Pos udp6 = ip + proto::kIp6HdrLen;
    const int over6 = And(LinkProto(proto::kEtherIp6),
                          And(EqAt(1, ip + proto::kIp6OffNext, udp),
                              And(EqAt(2, udp6 + proto::kUdpOffDstPort, proto::kGenevePort),
                                  at(udp6 + proto::kUdpHdrLen))));
    // From here on, the inner frame, as Ethernet.
    link_ = proto::FindLinkType(kDltEn10mb);
    encap_ = Encap{Encap::Mode::kLink, 0, 0, 0, v_.Slot(slots->nl), v_.Slot(slots->type)};
    pppoe_ = false;  // (the inner frame is Ethernet, even after "pppoes")
    mac_ = Pos{v_.Slot(slots->link), 0};
    after_geneve_ = true;
    inner_ = *slots;
    return Or(over4, over6);
  }

  // After "geneve", link-layer addresses exist only in an inner Ethernet
  // frame: one whose link header is not where its network layer is (libpcap
  // compares the two offsets, loading nothing).
  int InnerEther() {
    if (!after_geneve_) return True();
    return Not(Test(v_.Slot(inner_.link), Cmp::kEq, v_.Slot(inner_.nl)));
  }

  // The slots in use fit the back ends' scratch memory (cbpf::kMemWords
  // words; eBPF keeps as many); else an error at the first "geneve" past it.
  bool SlotsFit() {
    const ir::SlotSet wlan = ir::SlotSet{1} << kWlanMacSlot | ir::SlotSet{1} << kWlanPayloadSlot;
    uint32_t words = uint32_t(std::popcount(used_slots_ & wlan));
    for (size_t index = 0; index < genevi_.size(); ++index) {
      const Node* node = genevi_[index];
      const ir::SlotSet mine = ((ir::SlotSet{1} << kSlotsPerGeneve) - 1) << (index * kSlotsPerGeneve);
      words += uint32_t(std::popcount(used_slots_ & mine));
      if (words > cbpf::kMemWords) {
        Fail(node, "too many 'geneve' in one expression: their inner frames' offsets need more than the " +
                       std::to_string(cbpf::kMemWords) + " words of scratch memory a filter has",
             Diag::Code::kLimit);
        return false;
      }
    }
    return true;
  }

  // Keeps only the stores of slots something reads: a "geneve" whose inner
  // frame nothing looks at, or the slots of it that nothing uses.
  void FindUsedSlots(int root) {
    std::vector<bool> seen(conds_.size());
    std::vector<int> todo = {root}, stores;
    while (!todo.empty()) {
      const int i = todo.back();
      todo.pop_back();
      if (i < 0 || seen[size_t(i)]) continue;
      seen[size_t(i)] = true;
      const Cond& n = conds_[size_t(i)];
      if (n.op == Cond::Op::kStore) stores.push_back(i);
      else if (n.op == Cond::Op::kTest || n.op == Cond::Op::kProbe) used_slots_ |= v_.SlotsRead(n.test.lhs) | v_.SlotsRead(n.test.rhs);
      todo.push_back(n.a);
      todo.push_back(n.b);
      todo.push_back(n.c);
    }
    // A store's value may read an earlier "geneve"'s slots.
    for (ir::SlotSet before = ~used_slots_; before != used_slots_;) {
      before = used_slots_;
      for (int i : stores) {
        if (used_slots_ & v_.SlotsRead(conds_[size_t(i)].test.lhs)) used_slots_ |= v_.SlotsRead(conds_[size_t(i)].test.rhs);
      }
    }
  }
  static constexpr uint32_t kSnapTciOff = 8;  // a VLAN tag's TCI after LLC/SNAP's EtherType

  static bool HasVlan(const Node* n) {
    if (n == nullptr) return false;
    if (n->kind == Kind::kVlan) return true;
    if (n->kind == Kind::kAnd || n->kind == Kind::kOr || n->kind == Kind::kNot ||
        n->kind == Kind::kGroup) {
      return HasVlan(n->lhs) || HasVlan(n->rhs);
    }
    return false;
  }

  // "llc [kind]": an 802.3 frame with an 802.2 header (not Novell's raw
  // 802.3, which starts 0xffff); the kind tests the control byte.
  int Llc(const Node* n) {
    struct LlcKind {
      std::string_view name;
      uint8_t mask, value;
    };
    static constexpr LlcKind kKinds[] = {
        {"i", 0x01, 0x00},     {"s", 0x03, 0x01},     {"u", 0x03, 0x03},
        {"rr", 0x0f, 0x01},    {"rnr", 0x0f, 0x05},   {"rej", 0x0f, 0x09},    // supervisory
        {"ui", 0xef, 0x03},    {"ua", 0xef, 0x63},    {"disc", 0xef, 0x43},   // unnumbered,
        {"dm", 0xef, 0x0f},    {"sabme", 0xef, 0x6f}, {"test", 0xef, 0xe3},   // P/F bit masked
        {"xid", 0xef, 0xaf},   {"frmr", 0xef, 0x87},
    };
    const bool atm = link_->type_kind == proto::TypeKind::kSunAtmLlc;
    if (link_->llc == proto::LinkType::Llc::kNone && !atm) {
      return Fail(n, "'llc' not supported on " + proto::DisplayName(*link_));
    }
    if (encap_.mode == Encap::Mode::kPpp) return Fail(n, "'llc' not supported inside PPPoE");
    const LlcKind* kind = nullptr;
    if (!n->text.empty()) {
      for (const LlcKind& k : kKinds) {
        if (k.name == n->text) kind = &k;
      }
      if (!kind) return Fail(n, "unknown LLC type name '" + std::string(n->text) + "'");
    }
    if (atm) {  // SunATM says LLC in its pseudo-header; the LLC header is at type_off
      int c = MaskedEq(1, proto::kAtmTypeOff, proto::kAtmTypeMask, proto::kAtmTypeLlc);
      if (kind) c = And(c, MaskedEq(1, link_->type_off + 2, kind->mask, kind->value));
      return c;
    }
    // Every frame of an LLC-encapsulated link is an LLC frame.
    const bool always = link_->llc == proto::LinkType::Llc::kAlways;
    // (On 802.11, every data frame.)
    const Pos llc = always ? TypePos() : nl();
    int c = always ? (Wlan() ? WlanDataFrame() : True())
                   : And(Not(TestK(Load(2, TypePos()), Cmp::kGt, proto::kEtherMtu)),
                         Not(EqAt(2, llc, 0xffff)));
    if (kind) c = And(c, MaskedEq(1, llc + 2, kind->mask, kind->value));
    return c;
  }

  // "inbound"/"outbound": a direction field of the link header compared
  // with `value` (LinkType::direction), or, where the header has none, the
  // kernel's ancillary packet type compared with PACKET_OUTGOING (which
  // libpcap's bpf_filter, reading a savefile, cannot see: the test then
  // rejects).
  int DirectionTest(uint32_t value, bool negated) {
    int t;
    if (link_->pkttype_size) {
      t = MaskedEq(link_->pkttype_size, link_->pkttype_off, link_->direction.mask, value);
    } else {
      t = EqAt(2, cbpf::kSkfAdOff + cbpf::kAdPktType, value);
    }
    return negated ? Not(t) : t;
  }

  const ast::Ast& ast_;
  // The link type the packets have, as far as the primitives lowered so far
  // go: after "lane", the Ethernet row; dlt_link_ is the capture's own.
  const proto::LinkType* link_;
  const proto::LinkType& dlt_link_;
  const CompileOptions& opts_;
  const NameResolver& names_;
  ir::Program* prog_;
  ir::Values& v_;
  Diag* diag_;
  LowerInfo* info_;
  std::vector<Cond> conds_;
  ValueId hdr_len_ = ir::kNoValue;  // pflog: the network layer's run-time offset (before encap_)
  Encap encap_;
  bool kernel_tag_ = false;        // for_kernel: the next "vlan" is the stripped tag
  bool pppoe_ = false;             // a "pppoes" was seen
  Pos mac_;                        // the MAC header: after the radio header, if any
  bool used_mac_ = false;          // a test read the MAC header (Mac())
  bool used_payload_ = false;      // a test read past it (nl(), TypePos())
  // geneve (see Geneve)
  std::vector<const Node*> genevi_;  // each "geneve", in text order (its slots: SlotsOf)
  ir::SlotSet used_slots_ = 0;     // the slots something reads (FindUsedSlots)
  bool after_geneve_ = false;      // a "geneve" was seen, in text order so far
  GeneveSlots inner_{};            // ... the last one's slots
  const Node* current_ = nullptr;  // the primitive being lowered, for errors
  bool skip_le_control_ = false;   // after the first "lane": see NotLeControl
};

}  // namespace

bool Lower(const ast::Ast& ast, const proto::LinkType& link, const CompileOptions& opts,
           const NameResolver& names, ir::Program* out, Diag* diag, LowerInfo* info) {
  LowerInfo unused;
  return Lowerer(ast, link, opts, names, out, diag, info ? info : &unused).Run();
}

}  // namespace bpfcap
