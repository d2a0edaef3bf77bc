// IR → symbolic eBPF → wire program; see codegen.h for the register
// convention, the packet access of each target and the verdicts.

#include "compiler/ebpf/codegen.h"

#include <linux/bpf.h>

#include <algorithm>
#include <cstddef>
#include <string>
#include <vector>

#include "compiler/cbpf/insn.h"
#include "compiler/proto/protocols.h"

namespace bpfcap::ebpf {
namespace {

using ir::ValueId;
using ir::ValueKind;

constexpr int32_t kSkbLoadBytes = BPF_FUNC_skb_load_bytes;
constexpr int16_t kSkbLen = offsetof(struct __sk_buff, len);
constexpr int16_t kXdpData = offsetof(struct xdp_md, data);
constexpr int16_t kXdpDataEnd = offsetof(struct xdp_md, data_end);
constexpr int16_t kXdpIfindex = offsetof(struct xdp_md, ingress_ifindex);
constexpr int16_t kXdpRxQueue = offsetof(struct xdp_md, rx_queue_index);
constexpr int16_t kLoadBuf = -8;      // fp-8: bytes copied out by the helper
constexpr int16_t kXdpCtxSlot = -8;   // fp-8: XDP's ctx, when kept (codegen.h)
constexpr int16_t kCounterKey = -16;  // fp-16: the counters' key in the on-match leaf
constexpr int16_t kSpillBase = -16;   // fp-16-8*d: spill of value register d
constexpr int kMaxSpills = 46;        // spills: down to fp-376
constexpr int16_t kSlotBase = -384;   // fp-384-8*w: the IR's slot in word w (16 words, to fp-504)
constexpr uint32_t kMaxHelperOffset = 0x7fffffff;  // bpf_skb_load_bytes: > INT_MAX fails

// The kernel's ancillary data: a fixed load at SKF_AD_OFF + field, which a
// cBPF socket filter reads from the skb whatever the load's size (ld, ldh
// and ldb all give the whole field). One row per field cbpf::IsAncillaryField
// accepts, saying where each target finds it: a struct __sk_buff field
// (socket filter), a helper (socket filter), a struct xdp_md field (XDP).
// Fields no eBPF program can read are refused at compile time, with `what`.
constexpr int16_t kNoField = -1;
constexpr int16_t kHostAtXdp = -2;  // XDP: always PACKET_HOST (0): it sees received frames only
#define SKB(f) static_cast<int16_t>(offsetof(struct __sk_buff, f))
#define XDPMD(f) static_cast<int16_t>(offsetof(struct xdp_md, f))
struct AncillaryRow {
  uint32_t field;      // cbpf::SkfAd: offset from SKF_AD_OFF
  const char* name;    // bpf_image's name for the load ("ldh [type]")
  const char* what;    // what it is, for messages
  int16_t skb;         // __sk_buff field, or kNoField
  int32_t helper;      // else a helper giving the value (socket filter), or 0
  bool be16;           // the skb field holds a big-endian u16: swap it
  int16_t xdp;         // xdp_md field, or kNoField
};
constexpr AncillaryRow kAncillary[] = {
    {cbpf::kAdProtocol, "proto", "the skb's protocol", SKB(protocol), 0, true, kNoField},
    {cbpf::kAdPktType, "type", "the packet type", SKB(pkt_type), 0, false, kHostAtXdp},
    {cbpf::kAdIfIndex, "ifidx", "the interface index", SKB(ifindex), 0, false, XDPMD(ingress_ifindex)},
    {12, "nla", "a netlink attribute search (on A and X)", kNoField, 0, false, kNoField},
    {16, "nlan", "a nested netlink attribute search (on A and X)", kNoField, 0, false, kNoField},
    {20, "mark", "the skb's mark", SKB(mark), 0, false, kNoField},
    {24, "queue", "the queue", SKB(queue_mapping), 0, false, XDPMD(rx_queue_index)},
    {cbpf::kAdHaType, "hatype", "the device type", kNoField, 0, false, kNoField},
    {32, "rxhash", "the skb's hash", SKB(hash), 0, false, kNoField},
    {36, "cpu", "the CPU number", kNoField, BPF_FUNC_get_smp_processor_id, false, kNoField},
    {40, "xor_x", "the classic A ^ X (an operation, not a field)", kNoField, 0, false, kNoField},
    {cbpf::kAdVlanTag, "vlan_tci", "the VLAN tag the kernel took out of the frame", SKB(vlan_tci), 0, false,
     kNoField},
    {cbpf::kAdVlanPresent, "vlanp", "whether the kernel took a VLAN tag out of the frame",
     SKB(vlan_present), 0, false, kNoField},
    {52, "poff", "the payload offset (a flow dissection)", kNoField, 0, false, kNoField},
    {56, "random", "a random number", kNoField, BPF_FUNC_get_prandom_u32, false, kNoField},
    {cbpf::kAdVlanTpid, "vlan_tpid", "the stripped VLAN tag's protocol", SKB(vlan_proto), 0, true,
     kNoField},
};
#undef SKB
#undef XDPMD
static_assert(std::size(kAncillary) == cbpf::kAdVlanTpid / 4 + 1);
constexpr bool AncillaryRowsInOrder() {
  for (size_t i = 0; i < std::size(kAncillary); ++i) {
    if (kAncillary[i].field != 4 * i) return false;
  }
  return true;
}
static_assert(AncillaryRowsInOrder(), "row i is SKF_AD_OFF + 4 * i");

// The row for a fixed load at k, or null when k is not an ancillary field.
const AncillaryRow* AncillaryAt(uint32_t k) {
  return cbpf::IsAncillaryField(k) ? &kAncillary[(k - cbpf::kSkfAdOff) / 4] : nullptr;
}

// Registers per target (codegen.h).
struct Layout {
  std::vector<Reg> values;  // value register d holds the value at depth d
};

const Layout& LayoutFor(Target t) {
  static const Layout kSocket{{Reg::kR7, Reg::kR8, Reg::kR9}};
  static const Layout kXdp{{Reg::kR8, Reg::kR9, Reg::kR3, Reg::kR4, Reg::kR5}};
  return t == Target::kXdp ? kXdp : kSocket;
}

AluOp AluFor(ast::BinOp op) {
  switch (op) {
    case ast::BinOp::kAdd: return AluOp::kAdd;
    case ast::BinOp::kSub: return AluOp::kSub;
    case ast::BinOp::kMul: return AluOp::kMul;
    case ast::BinOp::kDiv: return AluOp::kDiv;
    case ast::BinOp::kMod: return AluOp::kMod;
    case ast::BinOp::kAnd: return AluOp::kAnd;
    case ast::BinOp::kOr: return AluOp::kOr;
    case ast::BinOp::kXor: return AluOp::kXor;
    case ast::BinOp::kLsh: return AluOp::kLsh;
    case ast::BinOp::kRsh: return AluOp::kRsh;
  }
  return AluOp::kAdd;
}

Size SizeFor(uint8_t bytes) { return bytes == 1 ? Size::kB : bytes == 2 ? Size::kH : Size::kW; }

// A test holds: jump. Its negation, where eBPF has one (jset has none).
JmpOp JmpFor(ir::Cmp c) {
  switch (c) {
    case ir::Cmp::kEq: return JmpOp::kJeq;
    case ir::Cmp::kGt: return JmpOp::kJgt;
    case ir::Cmp::kGe: return JmpOp::kJge;
    case ir::Cmp::kSet: return JmpOp::kJset;
    case ir::Cmp::kStore: break;  // (a store: EmitStore)
  }
  return JmpOp::kJeq;
}
bool Negate(ir::Cmp c, JmpOp* out) {
  switch (c) {
    case ir::Cmp::kEq: *out = JmpOp::kJne; return true;
    case ir::Cmp::kGt: *out = JmpOp::kJle; return true;
    case ir::Cmp::kGe: *out = JmpOp::kJlt; return true;
    case ir::Cmp::kSet:
    case ir::Cmp::kStore: return false;
  }
  return false;
}

class Generator {
 public:
  Generator(const ir::Program& p, const GenOptions& opts, SymProgram* out, Diag* diag)
      : p_(p), v_(p.values), opts_(opts), layout_(LayoutFor(opts.target)), out_(out), diag_(diag) {}

  bool Run() {
    accept_ = out_->NewLabel();
    reject_ = out_->NewLabel();
    if (!ir::AssignSlotWords(p_, kSlotWords, &slots_)) {
      return Fail("too many run-time offsets: more than " + std::to_string(kSlotWords) + " words");
    }
    EmitPrologue();
    if (p_.entry == ir::kReject) {
      Emit(Ja(reject_));
    } else if (p_.entry != ir::kAccept) {  // accept: fall into the leaf
      const std::vector<ir::BlockId> order = Reachable();
      labels_.assign(p_.num_blocks(), kNoLabel);
      for (ir::BlockId b : order) labels_[b] = out_->NewLabel();
      for (size_t i = 0; i < order.size(); ++i) {
        // The accept leaf is laid out right after the last block.
        const ir::BlockId next = i + 1 < order.size() ? order[i + 1] : ir::kAccept;
        out_->Bind(labels_[order[i]]);
        if (!EmitBlock(p_.block(order[i]), next)) return false;
      }
    }
    EmitLeaves();
    return true;
  }

 private:
  bool Xdp() const { return opts_.target == Target::kXdp; }
  void Emit(const SymInsn& i) { out_->Emit(i); }
  Reg ValueReg(int d) const { return layout_.values[size_t(d)]; }
  int NumValueRegs() const { return int(layout_.values.size()); }

  Label Target(ir::BlockId b) const {
    if (b == ir::kAccept) return accept_;
    if (b == ir::kReject) return reject_;
    return labels_[b];
  }

  bool Fail(std::string msg) {
    diag_->code = Diag::Code::kLimit;
    diag_->message = std::move(msg);
    return false;
  }

  // --- what fails on every packet, statically ---------------------------------

  // True if evaluating `id` rejects every packet: a load at or past
  // kNeverInPacket (or past what the target can address), or a division by
  // the constant 0.
  bool AlwaysFails(ValueId id) const {
    const ir::Value& v = v_[id];
    switch (v.kind) {
      case ValueKind::kConst:
      case ValueKind::kLen:
      case ValueKind::kSlot: return false;
      case ValueKind::kLoad:
        if (v.a != ir::kNoValue) return AlwaysFails(v.a) || OffsetNeverInPacket(v.k, v.size);
        if (AncillaryAt(v.k)) return false;  // read from the context (EmitAncillary)
        return v.k >= ir::kNeverInPacket || OffsetNeverInPacket(v.k, v.size);
      case ValueKind::kIpHdrLen: return v.k >= ir::kNeverInPacket || OffsetNeverInPacket(v.k, 1);
      case ValueKind::kNeg: return AlwaysFails(v.a);
      case ValueKind::kBinary:
        if (AlwaysFails(v.a) || AlwaysFails(v.b)) return true;
        return (v.op == ast::BinOp::kDiv || v.op == ast::BinOp::kMod) && v_.IsConst(v.b) &&
               v_[v.b].k == 0;
      case ValueKind::kProtoChain:
        return AlwaysFails(v.a) || AlwaysFails(v.b);  // (a walk past k2 may still not load)
    }
    return false;
  }

  // A load of `size` bytes at an offset of at least k misses every packet
  // the target can see.
  bool OffsetNeverInPacket(uint32_t k, uint8_t size) const {
    if (Xdp()) return uint64_t{k} + size > kXdpMaxLoadEnd;
    return k > kMaxHelperOffset;
  }

  // A fixed load that reads one of the kernel's ancillary fields.

  bool TestAlwaysFails(const ir::Test& t) const { return AlwaysFails(t.lhs) || AlwaysFails(t.rhs); }

  // Blocks reachable from the entry when a test that always fails has no
  // successors, in the IR's reverse post-order (a topological order).
  std::vector<ir::BlockId> Reachable() const {
    std::vector<bool> seen(p_.num_blocks(), false);
    std::vector<ir::BlockId> stack = {p_.entry};
    seen[p_.entry] = true;
    while (!stack.empty()) {
      const ir::Block& b = p_.block(stack.back());
      stack.pop_back();
      if (TestAlwaysFails(b.test)) continue;
      for (ir::BlockId s : {b.t, b.f}) {
        if (!ir::IsLeaf(s) && !seen[s]) {
          seen[s] = true;
          stack.push_back(s);
        }
      }
    }
    std::vector<ir::BlockId> order;
    for (ir::BlockId b : p_.Order()) {
      if (seen[b]) order.push_back(b);
    }
    return order;
  }

  // --- prologue and leaves ------------------------------------------------------

  // XDP keeps ctx on the stack when something after the prologue needs it.
  bool XdpKeepsCtx() const {
    return Xdp() && (ReadsAncillary() || opts_.on_match.kind != XdpOnMatch::Kind::kReturn);
  }

  void EmitPrologue() {
    if (XdpKeepsCtx()) Emit(StoreMem(Size::kDw, Reg::kR10, kXdpCtxSlot, Reg::kR1));
    // Slots some path reads before storing start as 0 (and the verifier
    // wants the stack written before it is read).
    const ir::SlotSet zero = ir::IsLeaf(p_.entry) ? 0 : ir::SlotsReadBeforeStored(p_);
    for (uint32_t k = 0; k < ir::kMaxSlots; ++k) {
      if (zero >> k & 1) Emit(StoreImm(Size::kW, Reg::kR10, SlotOff(k), 0));
    }
    if (Xdp()) {
      Emit(LoadMem(Size::kW, Reg::kR6, Reg::kR1, kXdpData));
      Emit(LoadMem(Size::kW, Reg::kR7, Reg::kR1, kXdpDataEnd));
    } else {
      Emit(Mov64Reg(Reg::kR6, Reg::kR1));
    }
  }

  void EmitLeaves() {
    // Control falls into the accept leaf unless the last block ends in a jump.
    const uint8_t last = out_->insns.back().insn.code;
    bool use_accept = last != (BPF_JMP | static_cast<uint8_t>(JmpOp::kJa)) &&
                      last != (BPF_JMP | static_cast<uint8_t>(JmpOp::kExit));
    bool use_reject = false;
    for (const SymInsn& i : out_->insns) {
      use_accept |= i.target == accept_;
      use_reject |= i.target == reject_;
    }
    const int32_t accept = Xdp() ? opts_.xdp_accept : static_cast<int32_t>(opts_.snaplen);
    const int32_t reject = Xdp() ? opts_.xdp_reject : 0;
    if (use_accept) {
      out_->Bind(accept_);
      if (!Xdp() || !EmitOnMatch()) {  // unless the action ended the program
        Emit(Mov32Imm(Reg::kR0, accept));
        Emit(Exit());
      }
    }
    if (use_reject) {
      out_->Bind(reject_);
      Emit(Mov32Imm(Reg::kR0, reject));
      Emit(Exit());
    }
  }

  // --- blocks -------------------------------------------------------------------

  // Jumps to the true successor when the test holds and falls through or
  // jumps to the false one otherwise; `next` is the block laid out next.
  bool EmitBlock(const ir::Block& b, ir::BlockId next) {
    const ir::Test& t = b.test;
    if (TestAlwaysFails(t)) {
      Emit(Ja(reject_));
      return true;
    }
    if (ir::IsStore(t)) {
      if (!Eval(t.rhs, 0)) return false;
      Emit(StoreMem(Size::kW, Reg::kR10, SlotOff(v_[t.lhs].k), ValueReg(0)));
      if (b.t != next) Emit(Ja(Target(b.t)));
      return true;
    }
    if (!Eval(t.lhs, 0)) return false;
    const bool by_imm = v_.IsConst(t.rhs);
    if (!by_imm && !Eval(t.rhs, 1)) return false;
    const Reg lhs = ValueReg(0);
    auto jump = [&](JmpOp op, Label to) {
      if (by_imm) {
        Emit(Jmp32Imm(op, lhs, static_cast<int32_t>(v_[t.rhs].k), to));
      } else {
        Emit(Jmp32Reg(op, lhs, ValueReg(1), to));
      }
    };
    JmpOp negated;
    if (b.t == next && Negate(t.cmp, &negated)) {
      jump(negated, Target(b.f));
      return true;
    }
    jump(JmpFor(t.cmp), Target(b.t));
    if (b.f != next) Emit(Ja(Target(b.f)));
    return true;
  }

  // --- values -------------------------------------------------------------------

  // Computes `id` into value register d; may use the value registers above
  // d, the temporaries, and the spill slots at depth d and deeper.
  bool Eval(ValueId id, int d) {
    const ir::Value& v = v_[id];
    const Reg dst = ValueReg(d);  // d < NumValueRegs(): EvalBinary spills instead
    switch (v.kind) {
      case ValueKind::kConst:
        Emit(Mov32Imm(dst, static_cast<int32_t>(v.k)));
        return true;
      case ValueKind::kLen:
        EmitLen(dst);
        return true;
      case ValueKind::kSlot:
        Emit(LoadMem(Size::kW, dst, Reg::kR10, SlotOff(v.k)));
        return true;
      case ValueKind::kLoad:
        if (v.a == ir::kNoValue) {
          if (const AncillaryRow* row = AncillaryAt(v.k)) return EmitAncillary(*row, dst);
          EmitLoadFixed(v.size, v.k, dst);
          return true;
        }
        if (!Eval(v.a, d)) return false;
        EmitLoadVar(v.size, dst, v.k, dst);
        return true;
      case ValueKind::kIpHdrLen:
        EmitLoadFixed(1, v.k, dst);
        Emit(Alu32Imm(AluOp::kAnd, dst, 0xf));
        Emit(Alu32Imm(AluOp::kLsh, dst, 2));
        return true;
      case ValueKind::kNeg:
        if (!Eval(v.a, d)) return false;
        Emit(Neg32(dst));
        return true;
      case ValueKind::kBinary:
        return EvalBinary(v, d, dst);
      case ValueKind::kProtoChain:
        return EvalProtoChain(v, d, dst);
    }
    return true;
  }

  // The protochain walk (ir.h), unrolled, into dst as 1 or 0. The offset of
  // the current header and the next header's type live in two spill slots;
  // dst holds the current type. Per step:
  //        if dst == proto goto found
  //        if dst == 0 goto ext            ; one per walked type
  //        if dst == 51 goto ah
  //        goto missing
  //   ext: dst = P[off + nl]; next = dst; dst = P[off + nl + 1];
  //        dst = (dst + 1) * 8 + off; off = dst; dst = next; goto step
  //   ah:  ... dst = (dst + 2) * 4 ...
  bool EvalProtoChain(const ir::Value& v, int d, Reg dst) {
    if (spills_ + 2 > kMaxSpills) return Fail("expression too complex for eBPF: more than 46 nested operations");
    if (!Eval(v.b, d)) return false;
    const int16_t off_slot = static_cast<int16_t>(kSpillBase - 8 * spills_++);
    Emit(StoreMem(Size::kDw, Reg::kR10, off_slot, dst));
    if (!Eval(v.a, d)) return false;
    const int16_t next_slot = static_cast<int16_t>(kSpillBase - 8 * spills_++);
    std::vector<const proto::ChainHeader*> rows;
    for (const proto::ChainHeader& h : proto::kChainHeaders) {
      if (proto::Walks(h, v.size)) rows.push_back(&h);
    }
    const Label found = out_->NewLabel(), missing = out_->NewLabel(), done = out_->NewLabel();
    // The network layer "before" the frame (proto/linktypes.h): walking
    // past a header loads where no packet reaches, and rejects.
    const bool walk_fails = v.k2 >= ir::kNeverInPacket || OffsetNeverInPacket(v.k2, 1);
    for (uint32_t step = 0;; ++step) {
      Emit(Jmp32Imm(JmpOp::kJeq, dst, static_cast<int32_t>(v.k), found));
      if (walk_fails) {
        for (const proto::ChainHeader* h : rows) Emit(Jmp32Imm(JmpOp::kJeq, dst, h->type, reject_));
        Emit(Ja(missing));
        break;
      }
      if (step == ir::kProtoChainDepth) {
        // The bound: a header to walk past is still read as far as libpcap
        // would before its next step (ir.h), then the walk ends.
        const Label probe = out_->NewLabel();
        for (const proto::ChainHeader* h : rows) Emit(Jmp32Imm(JmpOp::kJeq, dst, h->type, probe));
        Emit(Ja(missing));
        out_->Bind(probe);
        Emit(LoadMem(Size::kDw, dst, Reg::kR10, off_slot));
        EmitLoadVar(1, dst, v.k2 + 1, dst);
        Emit(Ja(missing));
        break;
      }
      std::vector<Label> group(rows.size());
      for (size_t i = 0; i < rows.size(); ++i) {
        group[i] = i > 0 && proto::SameStep(*rows[i - 1], *rows[i]) ? group[i - 1] : out_->NewLabel();
        Emit(Jmp32Imm(JmpOp::kJeq, dst, rows[i]->type, group[i]));
      }
      Emit(Ja(missing));
      const Label step_done = out_->NewLabel();
      for (size_t i = 0; i < rows.size(); ++i) {
        if (i > 0 && group[i] == group[i - 1]) continue;
        const proto::ChainHeader& h = *rows[i];
        out_->Bind(group[i]);
        Emit(LoadMem(Size::kDw, dst, Reg::kR10, off_slot));
        EmitLoadVar(1, dst, v.k2, dst);
        Emit(StoreMem(Size::kDw, Reg::kR10, next_slot, dst));
        Emit(LoadMem(Size::kDw, dst, Reg::kR10, off_slot));
        EmitLoadVar(1, dst, v.k2 + 1, dst);
        Emit(Alu32Imm(AluOp::kAdd, dst, h.len_bias));
        Emit(Alu32Imm(AluOp::kMul, dst, h.unit));
        if (!h.from_ip_start) {
          Emit(LoadMem(Size::kDw, Reg::kR0, Reg::kR10, off_slot));
          Emit(Alu32Reg(AluOp::kAdd, dst, Reg::kR0));
        }
        Emit(StoreMem(Size::kDw, Reg::kR10, off_slot, dst));
        Emit(LoadMem(Size::kDw, dst, Reg::kR10, next_slot));
        Emit(Ja(step_done));
      }
      out_->Bind(step_done);
    }
    out_->Bind(found);
    Emit(Mov32Imm(dst, 1));
    Emit(Ja(done));
    out_->Bind(missing);
    Emit(Mov32Imm(dst, 0));
    out_->Bind(done);
    spills_ -= 2;
    return true;
  }

  bool EvalBinary(const ir::Value& v, int d, Reg dst) {
    if (!Eval(v.a, d)) return false;
    const AluOp op = AluFor(v.op);
    if (v_.IsConst(v.b)) {
      uint32_t k = v_[v.b].k;
      if ((op == AluOp::kLsh || op == AluOp::kRsh) && k >= 32) {
        // Every bit shifted out, as the IR and the cBPF back end have it
        // (libpcap computes such a shift at run time, by X, and gets 0).
        Emit(Mov32Imm(dst, 0));
        return true;
      }
      Emit(Alu32Imm(op, dst, static_cast<int32_t>(k)));
      return true;
    }
    if (d + 1 < NumValueRegs()) {
      if (!Eval(v.b, d + 1)) return false;
      EmitAluReg(op, dst, ValueReg(d + 1));
      return true;
    }
    // Out of value registers: park the left operand on the stack, in a slot
    // of its own (the right operand may spill too).
    if (spills_ >= kMaxSpills) return Fail("expression too complex for eBPF: more than 46 nested operations");
    const int16_t slot = static_cast<int16_t>(kSpillBase - 8 * spills_++);
    Emit(StoreMem(Size::kDw, Reg::kR10, slot, dst));
    if (!Eval(v.b, d)) return false;
    Emit(Mov64Reg(Reg::kR0, dst));
    Emit(LoadMem(Size::kDw, dst, Reg::kR10, slot));
    --spills_;
    EmitAluReg(op, dst, Reg::kR0);
    return true;
  }

  // dst op= src with cBPF's semantics for the cases where eBPF differs.
  void EmitAluReg(AluOp op, Reg dst, Reg src) {
    if (op == AluOp::kDiv || op == AluOp::kMod) {
      Emit(Jmp32Imm(JmpOp::kJeq, src, 0, reject_));  // cBPF: x / 0 rejects
      Emit(Alu32Reg(op, dst, src));
      return;
    }
    if (op == AluOp::kLsh || op == AluOp::kRsh) {
      // cBPF: a shift by 32 or more gives 0; eBPF masks the count.
      const Label zero = out_->NewLabel(), done = out_->NewLabel();
      Emit(Jmp32Imm(JmpOp::kJgt, src, 31, zero));
      Emit(Alu32Reg(op, dst, src));
      Emit(Ja(done));
      out_->Bind(zero);
      Emit(Mov32Imm(dst, 0));
      out_->Bind(done);
      return;
    }
    Emit(Alu32Reg(op, dst, src));
  }

  void EmitLen(Reg dst) {
    if (Xdp()) {
      Emit(Mov64Reg(dst, Reg::kR7));
      Emit(Alu64Reg(AluOp::kSub, dst, Reg::kR6));
      Emit(Mov32Reg(dst, dst));
    } else {
      Emit(LoadMem(Size::kW, dst, Reg::kR6, kSkbLen));
    }
  }

  // --- the kernel's ancillary data ------------------------------------------------

  // dst = the field, as a cBPF socket filter's ancillary load gives it.
  bool EmitAncillary(const AncillaryRow& row, Reg dst) {
    if (Xdp()) {
      if (row.xdp == kNoField) return FailSemantic(XdpRefusal(row));
      if (row.xdp == kHostAtXdp) {
        Emit(Mov32Imm(dst, 0));
        return true;
      }
      Emit(LoadMem(Size::kDw, Reg::kR1, Reg::kR10, kXdpCtxSlot));
      Emit(LoadMem(Size::kW, dst, Reg::kR1, row.xdp));
      return true;
    }
    if (row.skb != kNoField) {
      Emit(LoadMem(Size::kW, dst, Reg::kR6, row.skb));
      if (row.be16) Emit(ToBe(dst, 16));
      return true;
    }
    if (row.helper != 0) {
      Emit(Call(row.helper));
      Emit(Mov32Reg(dst, Reg::kR0));
      return true;
    }
    return FailSemantic("eBPF socket filters cannot read " + std::string(row.what) + " (ld [" +
                        row.name + "], SKF_AD_OFF + " + std::to_string(row.field) +
                        "), which a classic socket filter reads from the kernel");
  }

  static std::string XdpRefusal(const AncillaryRow& row) {
    return std::string(row.what) + " (ld [" + row.name + "]) is not available to XDP programs, "
           "which run before the kernel builds its socket buffer";
  }

  bool FailSemantic(std::string msg) {
    diag_->code = Diag::Code::kSemantic;
    diag_->message = std::move(msg);
    return false;
  }

  // True if a block the program runs reads an ancillary field.
  bool ReadsAncillary() const {
    auto reads = [&](auto&& self, ValueId id) -> bool {
      const ir::Value& v = v_[id];
      switch (v.kind) {
        case ValueKind::kLoad:
          return v.a == ir::kNoValue ? AncillaryAt(v.k) != nullptr : self(self, v.a);
        case ValueKind::kNeg: return self(self, v.a);
        case ValueKind::kBinary: return self(self, v.a) || self(self, v.b);
        default: return false;
      }
    };
    if (ir::IsLeaf(p_.entry)) return false;
    for (ir::BlockId b : Reachable()) {
      const ir::Test& t = p_.block(b).test;
      if (!TestAlwaysFails(t) && (reads(reads, t.lhs) || reads(reads, t.rhs))) return true;
    }
    return false;
  }

  // Turns the `size` big-endian bytes just loaded into dst into a number.
  void EmitSwap(uint8_t size, Reg dst) {
    if (size > 1) Emit(ToBe(dst, 8 * size));
  }

  // dst = P[k : size]; rejects when the packet is shorter.
  void EmitLoadFixed(uint8_t size, uint32_t k, Reg dst) {
    if (Xdp()) {
      Emit(Mov64Reg(Reg::kR1, Reg::kR6));
      Emit(Alu64Imm(AluOp::kAdd, Reg::kR1, static_cast<int32_t>(k + size)));
      Emit(JmpReg(JmpOp::kJgt, Reg::kR1, Reg::kR7, reject_));
      if (k <= 0x7fff) {
        Emit(LoadMem(SizeFor(size), dst, Reg::kR6, static_cast<int16_t>(k)));
      } else {
        Emit(Mov64Reg(Reg::kR1, Reg::kR6));
        Emit(Alu64Imm(AluOp::kAdd, Reg::kR1, static_cast<int32_t>(k)));
        Emit(LoadMem(SizeFor(size), dst, Reg::kR1, 0));
      }
    } else {
      Emit(Mov32Imm(Reg::kR2, static_cast<int32_t>(k)));
      EmitSkbLoad(size, dst);
    }
    EmitSwap(size, dst);
  }

  // dst = P[x + k : size] with x in register `x` (may be dst); x + k is
  // computed in 64 bits.
  void EmitLoadVar(uint8_t size, Reg x, uint32_t k, Reg dst) {
    if (Xdp()) {
      Emit(Mov64Reg(Reg::kR1, x));
      if (k != 0) Emit(Alu64Imm(AluOp::kAdd, Reg::kR1, static_cast<int32_t>(k)));
      Emit(JmpImm(JmpOp::kJgt, Reg::kR1, static_cast<int32_t>(kXdpMaxLoadEnd - size), reject_));
      Emit(Mov64Reg(Reg::kR2, Reg::kR6));
      Emit(Alu64Reg(AluOp::kAdd, Reg::kR2, Reg::kR1));
      Emit(Mov64Reg(Reg::kR1, Reg::kR2));
      Emit(Alu64Imm(AluOp::kAdd, Reg::kR1, size));
      Emit(JmpReg(JmpOp::kJgt, Reg::kR1, Reg::kR7, reject_));
      Emit(LoadMem(SizeFor(size), dst, Reg::kR2, 0));
    } else {
      Emit(Mov64Reg(Reg::kR2, x));
      if (k != 0) {
        Emit(Alu64Imm(AluOp::kAdd, Reg::kR2, static_cast<int32_t>(k)));
        // The helper takes a u32: an offset past 2^32 must not wrap.
        Emit(JmpImm(JmpOp::kJgt, Reg::kR2, static_cast<int32_t>(kMaxHelperOffset), reject_));
      }
      EmitSkbLoad(size, dst);
    }
    EmitSwap(size, dst);
  }

  // bpf_skb_load_bytes(skb, r2, fp-8, size); dst = the bytes (still
  // big-endian). The helper returns 0 or a negative error.
  void EmitSkbLoad(uint8_t size, Reg dst) {
    Emit(Mov64Reg(Reg::kR1, Reg::kR6));
    Emit(Mov64Reg(Reg::kR3, Reg::kR10));
    Emit(Alu64Imm(AluOp::kAdd, Reg::kR3, kLoadBuf));
    Emit(Mov64Imm(Reg::kR4, size));
    Emit(Call(kSkbLoadBytes));
    Emit(JmpImm(JmpOp::kJne, Reg::kR0, 0, reject_));
    Emit(LoadMem(SizeFor(size), dst, Reg::kR10, kLoadBuf));
  }

  // --- on match (XDP) -------------------------------------------------------------

  // Runs opts_.on_match at the accept leaf; the leaf then returns
  // xdp_accept, unless this returns true: the action returned itself. No
  // value register is live here.
  bool EmitOnMatch() {
    switch (opts_.on_match.kind) {
      case XdpOnMatch::Kind::kReturn: return false;
      case XdpOnMatch::Kind::kRingbufCopy: EmitRingbufCopy(); return false;
      case XdpOnMatch::Kind::kRedirectXsk: EmitRedirectXsk(); return true;
    }
    return false;
  }

  // return bpf_redirect_map(xsks, ctx->rx_queue_index, XDP_PASS): the
  // packet goes to the AF_XDP socket of its receive queue, or on to the
  // stack when that queue has none (the flags' low bits are the action
  // when the lookup fails).
  void EmitRedirectXsk() {
    EmitMapFd(Reg::kR1, opts_.on_match.map_fd);
    Emit(LoadMem(Size::kDw, Reg::kR2, Reg::kR10, kXdpCtxSlot));
    Emit(LoadMem(Size::kW, Reg::kR2, Reg::kR2, kXdpRxQueue));
    Emit(Mov64Imm(Reg::kR3, kXdpPass));
    Emit(Call(BPF_FUNC_redirect_map));
    Emit(Exit());
  }

  void EmitMapFd(Reg dst, int fd) {
    Emit(LoadMapFd(dst, fd));
    Emit(LoadImm64High());
  }

  // counters->field += 1, with the (non-null) counters pointer in `counters`.
  void EmitCount(Reg counters, int16_t field) {
    Emit(LoadMem(Size::kDw, Reg::kR1, counters, field));
    Emit(Alu64Imm(AluOp::kAdd, Reg::kR1, 1));
    Emit(StoreMem(Size::kDw, counters, field, Reg::kR1));
  }

  // The ring-buffer copy (codegen.h). Registers: r6 data then the record,
  // r7 data_end then the counters, r8 caplen, r9 len.
  void EmitRingbufCopy() {
    const XdpOnMatch& m = opts_.on_match;
    const uint32_t cap = std::clamp<uint32_t>(m.snaplen, 1, kXdpMaxLoadEnd);
    const int32_t hdr = static_cast<int32_t>(sizeof(XdpRecordHeader));
    const Label done = out_->NewLabel(), full = out_->NewLabel(), reserve = out_->NewLabel();
    const Label discard = out_->NewLabel();
    // len and caplen = min(len, cap), in [1, cap] for the verifier.
    Emit(Mov64Reg(Reg::kR9, Reg::kR7));
    Emit(Alu64Reg(AluOp::kSub, Reg::kR9, Reg::kR6));
    Emit(Mov32Reg(Reg::kR9, Reg::kR9));
    Emit(Mov64Reg(Reg::kR8, Reg::kR9));
    const Label capped = out_->NewLabel();
    Emit(JmpImm(JmpOp::kJle, Reg::kR8, static_cast<int32_t>(cap), capped));
    Emit(Mov64Imm(Reg::kR8, static_cast<int32_t>(cap)));
    out_->Bind(capped);
    // counters = lookup(counters map, &0); ->matched += 1
    Emit(StoreImm(Size::kW, Reg::kR10, kCounterKey, 0));
    EmitMapFd(Reg::kR1, m.counters_fd);
    Emit(Mov64Reg(Reg::kR2, Reg::kR10));
    Emit(Alu64Imm(AluOp::kAdd, Reg::kR2, kCounterKey));
    Emit(Call(BPF_FUNC_map_lookup_elem));
    Emit(JmpImm(JmpOp::kJeq, Reg::kR0, 0, done));
    Emit(Mov64Reg(Reg::kR7, Reg::kR0));
    EmitCount(Reg::kR7, offsetof(XdpCounters, matched));
    Emit(JmpImm(JmpOp::kJlt, Reg::kR8, 1, done));
    // r2 = the smallest record that holds caplen (a constant on each path).
    for (uint32_t c : kXdpRecordClasses) {
      if (c >= cap) break;
      const Label next = out_->NewLabel();
      Emit(JmpImm(JmpOp::kJgt, Reg::kR8, static_cast<int32_t>(c), next));
      Emit(Mov64Imm(Reg::kR2, hdr + static_cast<int32_t>(c)));
      Emit(Ja(reserve));
      out_->Bind(next);
    }
    Emit(Mov64Imm(Reg::kR2, hdr + static_cast<int32_t>(cap)));
    out_->Bind(reserve);
    EmitMapFd(Reg::kR1, m.map_fd);
    Emit(Mov64Imm(Reg::kR3, 0));
    Emit(Call(BPF_FUNC_ringbuf_reserve));
    Emit(JmpImm(JmpOp::kJeq, Reg::kR0, 0, full));
    Emit(Mov64Reg(Reg::kR6, Reg::kR0));
    Emit(StoreMem(Size::kW, Reg::kR6, offsetof(XdpRecordHeader, caplen), Reg::kR8));
    Emit(StoreMem(Size::kW, Reg::kR6, offsetof(XdpRecordHeader, len), Reg::kR9));
    Emit(Call(BPF_FUNC_ktime_get_ns));
    Emit(StoreMem(Size::kDw, Reg::kR6, offsetof(XdpRecordHeader, ts_ns), Reg::kR0));
    Emit(LoadMem(Size::kDw, Reg::kR1, Reg::kR10, kXdpCtxSlot));
    Emit(LoadMem(Size::kW, Reg::kR2, Reg::kR1, kXdpIfindex));
    Emit(StoreMem(Size::kW, Reg::kR6, offsetof(XdpRecordHeader, ifindex), Reg::kR2));
    Emit(LoadMem(Size::kW, Reg::kR2, Reg::kR1, kXdpRxQueue));
    Emit(StoreMem(Size::kW, Reg::kR6, offsetof(XdpRecordHeader, rx_queue), Reg::kR2));
    // bpf_xdp_load_bytes(ctx, 0, record + hdr, caplen)
    Emit(Mov64Imm(Reg::kR2, 0));
    Emit(Mov64Reg(Reg::kR3, Reg::kR6));
    Emit(Alu64Imm(AluOp::kAdd, Reg::kR3, hdr));
    Emit(Mov64Reg(Reg::kR4, Reg::kR8));
    Emit(Call(BPF_FUNC_xdp_load_bytes));
    Emit(JmpImm(JmpOp::kJne, Reg::kR0, 0, discard));
    EmitWakeupFlags();
    Emit(Mov64Reg(Reg::kR1, Reg::kR6));
    Emit(Call(BPF_FUNC_ringbuf_submit));
    Emit(Ja(done));
    out_->Bind(discard);
    Emit(Mov64Reg(Reg::kR1, Reg::kR6));
    Emit(Mov64Imm(Reg::kR2, 0));
    Emit(Call(BPF_FUNC_ringbuf_discard));
    Emit(Ja(done));
    out_->Bind(full);
    EmitCount(Reg::kR7, offsetof(XdpCounters, ring_full));
    out_->Bind(done);
  }

  // r2 = the submit flags (codegen.h: wake-ups).
  void EmitWakeupFlags() {
    const XdpOnMatch& m = opts_.on_match;
    if (m.wakeup_bytes == 0) {
      Emit(Mov64Imm(Reg::kR2, 0));
      return;
    }
    EmitMapFd(Reg::kR1, m.map_fd);
    Emit(Mov64Imm(Reg::kR2, BPF_RB_AVAIL_DATA));
    Emit(Call(BPF_FUNC_ringbuf_query));
    const Label quiet = out_->NewLabel();
    Emit(Mov64Imm(Reg::kR2, BPF_RB_NO_WAKEUP));
    Emit(JmpImm(JmpOp::kJle, Reg::kR0, static_cast<int32_t>(m.wakeup_bytes), quiet));
    Emit(Mov64Imm(Reg::kR2, BPF_RB_FORCE_WAKEUP));
    out_->Bind(quiet);
  }

  const ir::Program& p_;
  const ir::Values& v_;
  const GenOptions& opts_;
  const Layout& layout_;
  SymProgram* out_;
  Diag* diag_;
  Label accept_ = kNoLabel, reject_ = kNoLabel;
  std::vector<Label> labels_;
  int spills_ = 0;  // spill slots in use
  ir::SlotWords slots_;  // the word each slot is kept in

  static constexpr uint32_t kSlotWords = 16;
  int16_t SlotOff(uint32_t slot) const { return static_cast<int16_t>(kSlotBase - 8 * int(slots_.word[slot])); }
};

}  // namespace

bool Generate(const ir::Program& p, const GenOptions& opts, SymProgram* out, Diag* diag) {
  return Generator(p, opts, out, diag).Run();
}

bool Assemble(const SymProgram& sym, Program* out, std::string* error) {
  out->clear();
  out->reserve(sym.insns.size());
  for (size_t i = 0; i < sym.insns.size(); ++i) {
    Insn insn = sym.insns[i].insn;
    const Label l = sym.insns[i].target;
    if (l != kNoLabel) {
      if (l >= sym.labels.size() || sym.labels[l] == UINT32_MAX) {
        *error = "instruction " + std::to_string(i) + ": jump to an unbound label";
        return false;
      }
      const int64_t off = int64_t{sym.labels[l]} - int64_t(i) - 1;
      if (off < 0) {
        *error = "instruction " + std::to_string(i) + ": backward jump";
        return false;
      }
      if (off > INT16_MAX) {
        *error = "instruction " + std::to_string(i) + ": jump of " + std::to_string(off) +
                 " instructions does not fit in 16 bits";
        return false;
      }
      insn.off = static_cast<int16_t>(off);
    }
    out->push_back(insn);
  }
  return true;
}

}  // namespace bpfcap::ebpf
