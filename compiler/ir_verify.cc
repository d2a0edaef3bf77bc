// IR invariants; see ir_verify.h.
#include "compiler/ir_verify.h"

#include <vector>

namespace bpfcap::ir {
namespace {

std::string CheckValue(const Values& vals, ValueId id, ValueId limit) {
  if (id == kNoValue || id >= limit) {
    return "value v" + std::to_string(id) + " does not exist (values: " +
           std::to_string(vals.size()) + ")";
  }
  const Value& v = vals[id];
  auto child = [&](ValueId c) -> std::string {
    if (c == kNoValue || c >= id) {
      return "value v" + std::to_string(id) + " refers to v" + std::to_string(c) +
             ", which is not older than it";
    }
    return "";
  };
  switch (v.kind) {
    case ValueKind::kConst:
    case ValueKind::kLen:
      return "";
    case ValueKind::kLoad:
      if (v.size != 1 && v.size != 2 && v.size != 4) {
        return "load v" + std::to_string(id) + " reads " + std::to_string(v.size) + " bytes";
      }
      return v.a == kNoValue ? "" : child(v.a);
    case ValueKind::kIpHdrLen:
      return "";
    case ValueKind::kSlot:
      if (v.k >= kMaxSlots) return "slot v" + std::to_string(id) + " is M" + std::to_string(v.k);
      return "";
    case ValueKind::kBinary:
      if (std::string e = child(v.a); !e.empty()) return e;
      return child(v.b);
    case ValueKind::kNeg:
      return child(v.a);
    case ValueKind::kProtoChain:
      if (v.size != 4 && v.size != 6) {
        return "protochain v" + std::to_string(id) + " is for IP version " + std::to_string(v.size);
      }
      if (std::string e = child(v.a); !e.empty()) return e;
      return child(v.b);
  }
  return "value v" + std::to_string(id) + " has an unknown kind";
}

std::string BlockName(BlockId b) { return "b" + std::to_string(b); }

}  // namespace

std::string Verify(const Program& p) {
  const ValueId nvals = ValueId(p.values.size());
  for (ValueId id = 0; id < nvals; ++id) {
    if (std::string e = CheckValue(p.values, id, nvals); !e.empty()) return e;
  }
  const size_t n = p.num_blocks();
  auto valid = [&](BlockId b) { return IsLeaf(b) || b < n; };
  if (!valid(p.entry)) return "entry " + BlockName(p.entry) + " does not exist";
  if (IsLeaf(p.entry)) return "";

  // Depth-first search with colours: reaching a grey block is a cycle.
  enum : uint8_t { kWhite, kGrey, kBlack };
  std::vector<uint8_t> colour(n, kWhite);
  struct Frame {
    BlockId b;
    int next;  // 0: true edge next, 1: false edge next, 2: done
  };
  std::vector<Frame> stack = {{p.entry, 0}};
  colour[p.entry] = kGrey;
  while (!stack.empty()) {
    Frame& fr = stack.back();
    const Block& blk = p.block(fr.b);
    if (fr.next == 0) {
      for (ValueId v : {blk.test.lhs, blk.test.rhs}) {
        if (v == kNoValue || v >= nvals) {
          return BlockName(fr.b) + " tests value v" + std::to_string(v) + ", which does not exist";
        }
      }
      if (IsStore(blk.test)) {
        if (p.values[blk.test.lhs].kind != ValueKind::kSlot) {
          return BlockName(fr.b) + " stores into v" + std::to_string(blk.test.lhs) + ", not a slot";
        }
        if (blk.t != blk.f) return BlockName(fr.b) + " is a store with two different successors";
      }
    }
    if (fr.next == 2) {
      colour[fr.b] = kBlack;
      stack.pop_back();
      continue;
    }
    const BlockId s = fr.next == 0 ? blk.t : blk.f;
    ++fr.next;
    if (!valid(s)) return BlockName(fr.b) + " has an edge to " + BlockName(s) + ", which does not exist";
    if (IsLeaf(s)) continue;
    if (colour[s] == kGrey) return "cycle: " + BlockName(fr.b) + " leads back to " + BlockName(s);
    if (colour[s] == kWhite) {
      colour[s] = kGrey;
      stack.push_back({s, 0});
    }
  }
  // Slots read or stored on some path into each block (a DAG now, so one
  // pass in reverse post-order).
  std::vector<SlotSet> touched(n, 0);
  for (BlockId b : p.Order()) {
    const Block& blk = p.block(b);
    SlotSet out = touched[b] | p.values.SlotsRead(blk.test.rhs);
    if (IsStore(blk.test)) {
      const SlotSet slot = SlotSet{1} << p.values[blk.test.lhs].k;
      if (out & slot) {
        return BlockName(b) + " stores " + ValueToString(p.values, blk.test.lhs) +
               ", which a path to it has already read or stored";
      }
      out |= slot;
    } else {
      out |= p.values.SlotsRead(blk.test.lhs);
    }
    for (BlockId s : {blk.t, blk.f}) {
      if (!IsLeaf(s)) touched[s] |= out;
    }
  }
  return "";
}

}  // namespace bpfcap::ir
