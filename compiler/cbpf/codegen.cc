// IR → symbolic classic BPF; see codegen.h for the register convention.

#include "compiler/cbpf/codegen.h"

#include "compiler/proto/protocols.h"

#include <algorithm>
#include <utility>
#include <vector>

namespace bpfcap::cbpf {
namespace {

using ir::ValueId;
using ir::ValueKind;

struct RegState {
  ValueId a = ir::kNoValue;
  ValueId x = ir::kNoValue;
  friend bool operator==(const RegState&, const RegState&) = default;
};

RegState Meet(const RegState& l, const RegState& r) {
  return RegState{l.a == r.a ? l.a : ir::kNoValue, l.x == r.x ? l.x : ir::kNoValue};
}

uint16_t SizeCode(uint8_t size) { return size == 1 ? BPF_B : size == 2 ? BPF_H : BPF_W; }

uint16_t AluCode(ast::BinOp op) {
  switch (op) {
    case ast::BinOp::kAdd: return BPF_ADD;
    case ast::BinOp::kSub: return BPF_SUB;
    case ast::BinOp::kMul: return BPF_MUL;
    case ast::BinOp::kDiv: return BPF_DIV;
    case ast::BinOp::kMod: return BPF_MOD;
    case ast::BinOp::kAnd: return BPF_AND;
    case ast::BinOp::kOr: return BPF_OR;
    case ast::BinOp::kXor: return BPF_XOR;
    case ast::BinOp::kLsh: return BPF_LSH;
    case ast::BinOp::kRsh: return BPF_RSH;
  }
  return BPF_ADD;
}

uint16_t JmpCode(ir::Cmp c) {
  switch (c) {
    case ir::Cmp::kEq: return BPF_JEQ;
    case ir::Cmp::kGt: return BPF_JGT;
    case ir::Cmp::kGe: return BPF_JGE;
    case ir::Cmp::kSet: return BPF_JSET;
    case ir::Cmp::kStore: break;  // (not a jump: EmitStore)
  }
  return BPF_JEQ;
}

class Generator {
 public:
  Generator(const ir::Program& p, uint32_t snaplen, SymProgram* out, Diag* diag)
      : p_(p), v_(p.values), snaplen_(snaplen), out_(out), diag_(diag) {}

  bool Run() {
    accept_ = out_->NewLabel();
    reject_ = out_->NewLabel();
    if (!ir::AssignSlotWords(p_, kMemWords, &slots_)) {
      return Fail("too many run-time offsets for classic BPF's 16 words of scratch memory");
    }
    if (!ir::IsLeaf(p_.entry)) {
      // Slots some path reads before storing start as 0, which the kernel
      // wants stored (it refuses a load of a word not stored on every path).
      if (const ir::SlotSet zero = ir::SlotsReadBeforeStored(p_)) {
        Emit(BPF_LD | BPF_W | BPF_IMM, 0);
        for (uint32_t k = 0; k < ir::kMaxSlots; ++k) {
          if (zero >> k & 1) Emit(BPF_ST, slots_.word[k]);
        }
      }
      const std::vector<ir::BlockId> order = Layout();
      labels_.assign(p_.num_blocks(), kNoLabel);
      for (ir::BlockId b : order) labels_[b] = out_->NewLabel();
      // Register state on entry to each block: the meet over predecessors.
      std::vector<RegState> in(p_.num_blocks());
      std::vector<bool> seen(p_.num_blocks(), false);
      for (size_t i = 0; i < order.size(); ++i) {
        const ir::BlockId b = order[i];
        next_label_ = i + 1 < order.size() ? labels_[order[i + 1]] : kNoLabel;
        out_->Bind(labels_[b]);
        state_ = b == p_.entry ? RegState{} : in[b];
        if (!EmitBlock(p_.block(b))) return false;
        for (ir::BlockId s : {p_.block(b).t, p_.block(b).f}) {
          if (ir::IsLeaf(s)) continue;
          in[s] = seen[s] ? Meet(in[s], state_) : state_;
          seen[s] = true;
        }
      }
    }
    // Leaves last: one shared return each, for those used.
    bool use_accept = p_.entry == ir::kAccept, use_reject = p_.entry == ir::kReject;
    for (const SymInsn& i : out_->insns) {
      use_accept |= i.jt == accept_ || i.jf == accept_;
      use_reject |= i.jt == reject_ || i.jf == reject_;
    }
    if (use_accept) {
      out_->Bind(accept_);
      out_->Emit(SymInsn{BPF_RET | BPF_K, snaplen_});
    }
    if (use_reject) {
      out_->Bind(reject_);
      out_->Emit(SymInsn{BPF_RET | BPF_K, 0});
    }
    return true;
  }

 private:
  // Instructions to compute `id` into A from scratch (an estimate: it
  // ignores what X already holds).
  uint32_t EvalCost(ValueId id) const {
    const ir::Value& v = v_[id];
    switch (v.kind) {
      case ValueKind::kConst:
      case ValueKind::kLen:
      case ValueKind::kSlot: return 1;
      case ValueKind::kLoad: return v.a == ir::kNoValue ? 1 : 2;
      case ValueKind::kIpHdrLen: return 2;
      case ValueKind::kNeg: return EvalCost(v.a) + 1;
      case ValueKind::kBinary:
        return EvalCost(v.a) + 1 + (v_.IsConst(v.b) ? 0 : EvalCost(v.b) + 1);
      case ValueKind::kProtoChain: return 16 * ir::kProtoChainDepth;
    }
    return 1;
  }

  // The order blocks are laid out in: the IR's reverse post-order, except
  // that a block's false successor comes first (right after it) where that
  // shortens the longest path. Only far jumps make a layout cost anything:
  // a conditional jump over more than 255 instructions goes through a
  // trampoline, one more instruction on that path. With estimates, bottom
  // up, of each block's longest path L and of the size S of the code laid
  // out for it (itself and the blocks it dominates), the near successor n
  // and the far one f cost max(L(n), L(f) + [S(n) > 255]); ties keep the
  // true successor near, so programs without far jumps keep the IR's order.
  std::vector<ir::BlockId> Layout() const {
    const std::vector<ir::BlockId> rpo = p_.Order();
    const std::vector<bool> false_near = FalseNear(rpo);
    // Reverse post-order of a DFS that visits the far successor first.
    std::vector<ir::BlockId> post;
    std::vector<uint8_t> state(p_.num_blocks(), 0);  // 0 new, 1 open, 2 done
    std::vector<std::pair<ir::BlockId, int>> stack{{p_.entry, 0}};
    state[p_.entry] = 1;
    while (!stack.empty()) {
      auto& [b, step] = stack.back();
      if (step < 2) {
        const ir::Block& blk = p_.block(b);
        const ir::BlockId next = (step == 0) == false_near[b] ? blk.t : blk.f;
        ++step;
        if (!ir::IsLeaf(next) && state[next] == 0) {
          state[next] = 1;
          stack.push_back({next, 0});
        }
        continue;
      }
      state[b] = 2;
      post.push_back(b);
      stack.pop_back();
    }
    std::reverse(post.begin(), post.end());
    return post;
  }

  // For each block, whether its false successor should be laid out first.
  std::vector<bool> FalseNear(const std::vector<ir::BlockId>& rpo) const {
    constexpr uint64_t kMaxJump = 255;
    const size_t n = p_.num_blocks();
    // Immediate dominators (the IR is a DAG: one pass in reverse post-order)
    // and each block's own instructions: its test, and the loads unless its
    // only predecessor left the value in A.
    std::vector<uint32_t> rank(n, 0);
    for (size_t i = 0; i < rpo.size(); ++i) rank[rpo[i]] = uint32_t(i);
    std::vector<ir::BlockId> idom(n, ir::kReject);
    std::vector<uint32_t> preds(n, 0);
    std::vector<ValueId> pred_lhs(n, ir::kNoValue);
    for (ir::BlockId b : rpo) {
      for (ir::BlockId s : {p_.block(b).t, p_.block(b).f}) {
        if (ir::IsLeaf(s)) continue;
        ++preds[s];
        pred_lhs[s] = p_.block(b).test.lhs;
        ir::BlockId d = b;
        for (ir::BlockId o = idom[s]; o != ir::kReject && o != d;) {
          if (rank[o] > rank[d]) o = idom[o];
          else d = idom[d];
        }
        idom[s] = d;
      }
    }
    std::vector<uint64_t> own(n, 0), size(n, 0), longest(n, 0);
    for (ir::BlockId b : rpo) {
      const ir::Block& blk = p_.block(b);
      own[b] = 1;
      if (ir::IsStore(blk.test)) {
        own[b] += EvalCost(blk.test.rhs);
        size[b] = own[b];
        continue;
      }
      if (preds[b] != 1 || pred_lhs[b] != blk.test.lhs) own[b] += EvalCost(blk.test.lhs);
      if (!v_.IsConst(blk.test.rhs)) own[b] += EvalCost(blk.test.rhs) + 1;
      // Copies of far returns are shared between nearby jumps (assemble.cc)
      // and left out.
      size[b] = own[b];
    }
    for (auto it = rpo.rbegin(); it != rpo.rend(); ++it)
      if (*it != p_.entry) size[idom[*it]] += size[*it];

    std::vector<bool> false_near(n, false);
    for (auto it = rpo.rbegin(); it != rpo.rend(); ++it) {
      const ir::Block& blk = p_.block(*it);
      auto path = [&](ir::BlockId s) { return ir::IsLeaf(s) ? uint64_t{1} : longest[s]; };
      auto laid_out = [&](ir::BlockId s) {
        return ir::IsLeaf(s) || idom[s] != *it ? uint64_t{0} : size[s];
      };
      const uint64_t lt = path(blk.t), lf = path(blk.f);
      const uint64_t true_near = std::max(lt, lf + (laid_out(blk.t) > kMaxJump ? 1 : 0));
      const uint64_t false_first = std::max(lf, lt + (laid_out(blk.f) > kMaxJump ? 1 : 0));
      false_near[*it] = false_first < true_near;
      longest[*it] = own[*it] + std::min(true_near, false_first);
    }
    return false_near;
  }

  uint32_t Target(ir::BlockId b) const {
    if (b == ir::kAccept) return accept_;
    if (b == ir::kReject) return reject_;
    return labels_[b];
  }

  void Emit(uint16_t code, uint32_t k = 0) { out_->Emit(SymInsn{code, k}); }

  // True if computing `v` into A may change X.
  bool UsesX(ValueId id) const {
    const ir::Value& v = v_[id];
    switch (v.kind) {
      case ValueKind::kConst:
      case ValueKind::kLen:
      case ValueKind::kSlot: return false;
      case ValueKind::kLoad: return v.a != ir::kNoValue;
      case ValueKind::kIpHdrLen: return true;
      case ValueKind::kNeg: return UsesX(v.a);
      case ValueKind::kBinary: return !v_.IsConst(v.b) || UsesX(v.a);
      case ValueKind::kProtoChain: return true;
    }
    return true;
  }

  // True if computing `id` into A, with X holding `x`, leaves X as it is:
  // its indexed loads are all indexed by x.
  bool NeedsOnlyX(ValueId id, ValueId x) const {
    const ir::Value& v = v_[id];
    switch (v.kind) {
      case ValueKind::kConst:
      case ValueKind::kLen:
      case ValueKind::kSlot: return true;
      case ValueKind::kLoad: return v.a == ir::kNoValue || v.a == x;
      case ValueKind::kNeg: return NeedsOnlyX(v.a, x);
      case ValueKind::kBinary: return v_.IsConst(v.b) && NeedsOnlyX(v.a, x);
      case ValueKind::kIpHdrLen:
      case ValueKind::kProtoChain: return false;
    }
    return false;
  }

  bool Fail(std::string msg) {
    diag_->code = Diag::Code::kLimit;
    diag_->message = std::move(msg);
    return false;
  }

  std::string TooDeep() const {
    return "expression too complex: more than " + std::to_string(slots_.lowest) + " nested operations";
  }

  bool EnsureX(ValueId id) {
    if (state_.x == id) return true;
    const ir::Value& v = v_[id];
    if (state_.a == id) {
      Emit(BPF_MISC | kMiscTax);
    } else if (v.kind == ValueKind::kIpHdrLen) {
      Emit(BPF_LDX | BPF_B | BPF_MSH, v.k);
    } else if (v.kind == ValueKind::kConst) {
      Emit(BPF_LDX | BPF_W | BPF_IMM, v.k);
    } else if (v.kind == ValueKind::kLen) {
      Emit(BPF_LDX | BPF_W | BPF_LEN);
    } else if (v.kind == ValueKind::kSlot) {
      Emit(BPF_LDX | BPF_W | BPF_MEM, slots_.word[v.k]);
    } else {
      if (!EvalA(id)) return false;
      Emit(BPF_MISC | kMiscTax);
    }
    state_.x = id;
    return true;
  }

  // Gets two values into A (lhs) and X (rhs), spilling when both need work.
  bool EvalPair(ValueId lhs, ValueId rhs) {
    if (state_.a == lhs && state_.x == rhs) return true;
    if (!UsesX(lhs) || NeedsOnlyX(lhs, rhs)) {
      if (!EnsureX(rhs)) return false;
      return EvalA(lhs);
    }
    if (depth_ >= int(slots_.lowest)) return Fail(TooDeep());
    const uint32_t slot = uint32_t(depth_++);
    if (!EvalA(rhs)) return false;
    Emit(BPF_ST, slot);
    if (!EvalA(lhs)) return false;
    Emit(BPF_LDX | BPF_W | BPF_MEM, slot);
    state_.x = rhs;
    --depth_;
    return true;
  }

  bool EvalA(ValueId id) {
    if (state_.a == id) return true;
    const ir::Value& v = v_[id];
    switch (v.kind) {
      case ValueKind::kConst:
        Emit(BPF_LD | BPF_W | BPF_IMM, v.k);
        break;
      case ValueKind::kLen:
        Emit(BPF_LD | BPF_W | BPF_LEN);
        break;
      case ValueKind::kSlot:
        Emit(BPF_LD | BPF_W | BPF_MEM, slots_.word[v.k]);
        break;
      case ValueKind::kLoad:
        if (v.a == ir::kNoValue) {
          Emit(BPF_LD | SizeCode(v.size) | BPF_ABS, v.k);
        } else {
          if (!EnsureX(v.a)) return false;
          Emit(BPF_LD | SizeCode(v.size) | BPF_IND, v.k);
        }
        break;
      case ValueKind::kIpHdrLen:
        if (!EnsureX(id)) return false;
        Emit(BPF_MISC | kMiscTxa);
        break;
      case ValueKind::kNeg:
        if (!EvalA(v.a)) return false;
        Emit(BPF_ALU | BPF_NEG);
        break;
      case ValueKind::kBinary:
        if (v_.IsConst(v.b)) {
          if (!EvalA(v.a)) return false;
          const uint32_t k = v_[v.b].k;
          if ((v.op == ast::BinOp::kLsh || v.op == ast::BinOp::kRsh) && k >= 32) {
            Emit(BPF_LD | BPF_W | BPF_IMM, 0);  // every bit shifted out, as libpcap does
          } else {
            Emit(BPF_ALU | AluCode(v.op) | BPF_K, k);
          }
        } else {
          if (!EvalPair(v.a, v.b)) return false;
          Emit(BPF_ALU | AluCode(v.op) | BPF_X);
        }
        break;
      case ValueKind::kProtoChain: {
        // 1 or 0 into A (the walk's value used in arithmetic; a test of it
        // jumps straight to its successors, see EmitBlock).
        const uint32_t found = out_->NewLabel(), missing = out_->NewLabel(), done = out_->NewLabel();
        if (!EmitProtoChain(v, found, missing)) return false;
        out_->Bind(found);
        Emit(BPF_LD | BPF_W | BPF_IMM, 1);
        out_->Emit(SymInsn{BPF_JMP | BPF_JA, 0, done, kNoLabel});
        out_->Bind(missing);
        Emit(BPF_LD | BPF_W | BPF_IMM, 0);
        out_->Bind(done);
        state_ = RegState{};
        break;
      }
    }
    state_.a = id;
    return true;
  }

  // The protochain walk (ir.h), unrolled: jumps to `found` or `missing`
  // with A and X clobbered. Each step tests the type in A, then, for a
  // header it walks past, loads the next type and computes the next offset
  // into X (rows of proto::kChainHeaders that step alike share the code;
  // M[s] is the scratch word above those in use):
  //        jeq #proto       found
  //        jeq #0           ext       ; one per walked type
  //        jeq #51          ah, else missing
  //   ext: ldb [x + nl + 1]; add #1; mul #8; add x; ja next
  //   ah:  ldb [x + nl + 1]; add #2; mul #4
  //   next: st M[s]; ldb [x + nl]; ldx M[s]      ; the next offset and type
  //        ... the next step
  // and after the last step, a walked type only reads ldb [x + nl + 1].
  bool EmitProtoChain(const ir::Value& v, uint32_t found, uint32_t missing) {
    if (!EvalPair(v.a, v.b)) return false;
    if (depth_ >= int(slots_.lowest)) return Fail(TooDeep());
    const uint32_t slot = uint32_t(depth_);
    const uint8_t version = v.size;
    // The walked rows, grouped by how they step.
    std::vector<const proto::ChainHeader*> rows;
    for (const proto::ChainHeader& h : proto::kChainHeaders) {
      if (proto::Walks(h, version)) rows.push_back(&h);
    }
    if (v.k2 > 0x7fffffffu) {
      // The network layer "before" the frame (proto/linktypes.h): the
      // first type is still tested, but walking past a header loads at
      // [x + k2], past every packet for bpf_filter (the kernel would read
      // k2 as negative): that rejects.
      uint32_t next = out_->NewLabel();
      out_->Emit(SymInsn{BPF_JMP | BPF_JEQ | BPF_K, v.k, found, next});
      for (size_t i = 0; i < rows.size(); ++i) {
        out_->Bind(next);
        next = out_->NewLabel();
        out_->Emit(SymInsn{BPF_JMP | BPF_JEQ | BPF_K, rows[i]->type, reject_,
                           i + 1 == rows.size() ? missing : next});
      }
      state_ = RegState{};
      return true;
    }
    for (uint32_t step = 0;; ++step) {
      uint32_t next = out_->NewLabel();
      out_->Emit(SymInsn{BPF_JMP | BPF_JEQ | BPF_K, v.k, found, next});
      if (step == ir::kProtoChainDepth) {
        // The bound: a header to walk past is still read as far as libpcap
        // would before its next step (ir.h), then the walk ends.
        const uint32_t probe = out_->NewLabel();
        for (size_t i = 0; i < rows.size(); ++i) {
          out_->Bind(next);
          next = out_->NewLabel();
          out_->Emit(SymInsn{BPF_JMP | BPF_JEQ | BPF_K, rows[i]->type, probe,
                             i + 1 == rows.size() ? missing : next});
        }
        out_->Bind(probe);
        Emit(BPF_LD | BPF_B | BPF_IND, v.k2 + 1);
        out_->Emit(SymInsn{BPF_JMP | BPF_JA, 0, missing, kNoLabel});
        break;
      }
      // Dispatch on the type, one label per group of rows that step alike.
      std::vector<uint32_t> group_label(rows.size());
      for (size_t i = 0; i < rows.size(); ++i) {
        group_label[i] = i > 0 && proto::SameStep(*rows[i - 1], *rows[i]) ? group_label[i - 1]
                                                                            : out_->NewLabel();
        out_->Bind(next);
        next = out_->NewLabel();
        out_->Emit(SymInsn{BPF_JMP | BPF_JEQ | BPF_K, rows[i]->type, group_label[i],
                           i + 1 == rows.size() ? missing : next});
      }
      const uint32_t step_done = out_->NewLabel();
      for (size_t i = 0; i < rows.size(); ++i) {
        if (i > 0 && group_label[i] == group_label[i - 1]) continue;
        const proto::ChainHeader& h = *rows[i];
        out_->Bind(group_label[i]);
        Emit(BPF_LD | BPF_B | BPF_IND, v.k2 + 1);
        Emit(BPF_ALU | BPF_ADD | BPF_K, h.len_bias);
        Emit(BPF_ALU | BPF_MUL | BPF_K, h.unit);
        if (!h.from_ip_start) Emit(BPF_ALU | BPF_ADD | BPF_X);
        // Every group but the last jumps over the ones after it.
        bool later = false;
        for (size_t j = i + 1; j < rows.size(); ++j) later |= group_label[j] != group_label[i];
        if (later) out_->Emit(SymInsn{BPF_JMP | BPF_JA, 0, step_done, kNoLabel});
      }
      out_->Bind(step_done);
      Emit(BPF_ST, slot);
      Emit(BPF_LD | BPF_B | BPF_IND, v.k2);
      Emit(BPF_LDX | BPF_W | BPF_MEM, slot);
    }
    state_ = RegState{};
    return true;
  }

  // A block whose edges agree matters only for its loads (a probe, see
  // opt/probes.cc). When every load is at a fixed offset, loading the one
  // that reaches furthest rejects exactly the packets the test would: emit
  // that load and go on. False: not such a block; emit it as a test.
  bool EmitProbe(const ir::Block& b) {
    ValueId widest = ir::kNoValue;
    uint32_t end = 0;
    bool simple = true;
    int loads = 0;
    auto visit = [&](auto&& self, ValueId id) -> void {
      const ir::Value& v = v_[id];
      switch (v.kind) {
        case ValueKind::kConst:
        case ValueKind::kLen:
        case ValueKind::kSlot: return;
        case ValueKind::kLoad:
          ++loads;
          if (v.k >= ir::kNeverInPacket && v.a == ir::kNoValue) {
            simple = false;
          } else if (v.a != ir::kNoValue) {
            widest = id;  // indexed: fine as the only load (see below)
            end = UINT32_MAX;
            if (!OnlyLoads(v.a)) simple = false;
          } else if (v.k + v.size > end) {
            end = v.k + v.size;
            widest = id;
          }
          return;
        case ValueKind::kNeg: return self(self, v.a);
        case ValueKind::kBinary:
          if (v.op == ast::BinOp::kDiv || v.op == ast::BinOp::kMod) simple = false;
          self(self, v.a);
          self(self, v.b);
          return;
        default: simple = false; return;
      }
    };
    visit(visit, b.test.lhs);
    visit(visit, b.test.rhs);
    // Several loads: only fixed ones, where the furthest implies the rest.
    if (!simple || widest == ir::kNoValue || (end == UINT32_MAX && loads > 1)) return false;
    if (!EvalA(widest)) return false;
    GoTo(b.t);
    return true;
  }

  // On to `b`: a return, a jump, or nothing when it is laid out next.
  void GoTo(ir::BlockId b) {
    if (b == ir::kAccept) {
      out_->Emit(SymInsn{BPF_RET | BPF_K, snaplen_});
    } else if (b == ir::kReject) {
      out_->Emit(SymInsn{BPF_RET | BPF_K, 0});
    } else if (labels_[b] != next_label_) {
      out_->Emit(SymInsn{BPF_JMP | BPF_JA, 0, Target(b), kNoLabel});
    }
  }

  // slot := value. A then holds the slot; X keeps what it holds, unless that
  // reads the slot.
  bool EmitStore(const ir::Block& b) {
    if (!EvalA(b.test.rhs)) return false;
    const ir::Value& slot = v_[b.test.lhs];
    Emit(BPF_ST, slots_.word[slot.k]);
    const ir::SlotSet changed = ir::SlotSet{1} << slot.k;
    if (state_.x != ir::kNoValue && (v_.SlotsRead(state_.x) & changed)) state_.x = ir::kNoValue;
    state_.a = b.test.lhs;  // (A holds the slot's new value: what later blocks read)
    GoTo(b.t);
    return true;
  }

  // The value is computed by loads and arithmetic that cannot fail otherwise
  // (an index such as the IPv4 header length).
  bool OnlyLoads(ValueId id) const {
    const ir::Value& v = v_[id];
    switch (v.kind) {
      case ValueKind::kConst:
      case ValueKind::kLen:
      case ValueKind::kIpHdrLen:
      case ValueKind::kSlot: return true;
      case ValueKind::kLoad: return v.a == ir::kNoValue || OnlyLoads(v.a);
      case ValueKind::kNeg: return OnlyLoads(v.a);
      case ValueKind::kBinary:
        return v.op != ast::BinOp::kDiv && v.op != ast::BinOp::kMod && OnlyLoads(v.a) &&
               OnlyLoads(v.b);
      case ValueKind::kProtoChain: return false;
    }
    return false;
  }

  bool EmitBlock(const ir::Block& b) {
    const ir::Test& t = b.test;
    if (v_.FailsOnEveryPacket(t.lhs) || v_.FailsOnEveryPacket(t.rhs)) {
      out_->Emit(SymInsn{BPF_RET | BPF_K, 0});  // as the load or division would
      return true;
    }
    if (ir::IsStore(t)) return EmitStore(b);
    if (b.t == b.f && EmitProbe(b)) return true;
    if (v_[t.lhs].kind == ValueKind::kProtoChain && v_.IsConst(t.rhs)) {
      // The walk jumps straight to the successor its outcome (1 or 0) picks.
      auto successor = [&](uint32_t r) {
        return Target(ir::Holds(t.cmp, r, v_[t.rhs].k).value_or(false) ? b.t : b.f);
      };
      return EmitProtoChain(v_[t.lhs], successor(1), successor(0));
    }
    uint16_t code = BPF_JMP | JmpCode(t.cmp);
    uint32_t k = 0;
    if (v_.IsConst(t.rhs)) {
      if (!EvalA(t.lhs)) return false;
      code |= BPF_K;
      k = v_[t.rhs].k;
    } else {
      if (!EvalPair(t.lhs, t.rhs)) return false;
      code |= BPF_X;
    }
    out_->Emit(SymInsn{code, k, Target(b.t), Target(b.f)});
    return true;
  }

  const ir::Program& p_;
  const ir::Values& v_;
  uint32_t snaplen_;
  SymProgram* out_;
  Diag* diag_;
  RegState state_;
  ir::SlotWords slots_;  // where each slot is kept; temporaries below
  int depth_ = 0;
  uint32_t accept_ = kNoLabel, reject_ = kNoLabel;
  uint32_t next_label_ = kNoLabel;  // the label of the block laid out next
  std::vector<uint32_t> labels_;
};

}  // namespace

bool Generate(const ir::Program& p, uint32_t snaplen, SymProgram* out, Diag* diag) {
  return Generator(p, snaplen, out, diag).Run();
}

}  // namespace bpfcap::cbpf
