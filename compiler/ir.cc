// IR tables, traversal, text and Graphviz dumps, and a reference evaluator.

#include "compiler/ir.h"

#include "compiler/cbpf/insn.h"
#include "compiler/proto/protocols.h"

#include <algorithm>
#include <cstdio>
#include <functional>

namespace bpfcap::ir {

size_t Values::Hash::operator()(const Value& v) const {
  uint64_t h = uint64_t(v.kind) * 0x9E3779B97F4A7C15ull;
  h ^= (uint64_t(v.op) << 8 | v.size) + 0x632BE59BD9B4E019ull + (h << 6) + (h >> 2);
  h ^= v.k + 0x85EBCA77C2B2AE63ull + (h << 6) + (h >> 2);
  h ^= (uint64_t(v.a) << 32 | v.b) + 0xC2B2AE3D27D4EB4Full + (h << 6) + (h >> 2);
  h ^= v.k2 + 0x165667B19E3779F9ull + (h << 6) + (h >> 2);
  return size_t(h);
}

ValueId Values::Intern(const Value& v) {
  auto [it, inserted] = index_.try_emplace(v, ValueId(values_.size()));
  if (inserted) {
    values_.push_back(v);
    SlotSet read = v.kind == ValueKind::kSlot ? SlotSet{1} << v.k : 0;
    if (v.a != kNoValue) read |= slots_read_[v.a];
    if (v.b != kNoValue) read |= slots_read_[v.b];
    slots_read_.push_back(read);
  }
  return it->second;
}

ValueId Values::Const(uint32_t k) { return Intern(Value{ValueKind::kConst, {}, 0, k, kNoValue, kNoValue}); }
ValueId Values::Len() { return Intern(Value{ValueKind::kLen, {}, 0, 0, kNoValue, kNoValue}); }
ValueId Values::Load(uint8_t size, ValueId var, uint32_t off) {
  return Intern(Value{ValueKind::kLoad, {}, size, off, var, kNoValue});
}
ValueId Values::IpHdrLen(uint32_t off) {
  return Intern(Value{ValueKind::kIpHdrLen, {}, 1, off, kNoValue, kNoValue});
}
ValueId Values::Binary(ast::BinOp op, ValueId a, ValueId b) {
  return Intern(Value{ValueKind::kBinary, op, 0, 0, a, b});
}
ValueId Values::Neg(ValueId a) { return Intern(Value{ValueKind::kNeg, {}, 0, 0, a, kNoValue}); }
ValueId Values::ProtoChain(uint8_t ip_version, uint32_t nl_off, ValueId first_type,
                           ValueId first_off, uint32_t proto) {
  return Intern(Value{ValueKind::kProtoChain, {}, ip_version, proto, first_type, first_off, nl_off});
}
ValueId Values::Slot(uint32_t k) { return Intern(Value{ValueKind::kSlot, {}, 0, k, kNoValue, kNoValue}); }

bool Values::ReadsPacket(ValueId id) const {
  const Value& v = values_[id];
  switch (v.kind) {
    case ValueKind::kConst:
    case ValueKind::kLen:
    case ValueKind::kSlot: return false;
    case ValueKind::kLoad:
    case ValueKind::kIpHdrLen:
    case ValueKind::kProtoChain: return true;
    case ValueKind::kBinary: return ReadsPacket(v.a) || ReadsPacket(v.b);
    case ValueKind::kNeg: return ReadsPacket(v.a);
  }
  return true;
}

bool Values::FailsOnEveryPacket(ValueId id) const {
  const Value& v = values_[id];
  switch (v.kind) {
    case ValueKind::kConst:
    case ValueKind::kLen:
    case ValueKind::kSlot: return false;
    case ValueKind::kLoad:
      // A known ancillary field is a real load in the kernel (it still
      // fails in libpcap's bpf_filter, as in Eval).
      if (v.a == kNoValue) return v.k >= kNeverInPacket && !cbpf::IsAncillaryField(v.k);
      return FailsOnEveryPacket(v.a);
    case ValueKind::kIpHdrLen: return v.k >= kNeverInPacket;
    case ValueKind::kBinary:
      if ((v.op == ast::BinOp::kDiv || v.op == ast::BinOp::kMod) && IsConst(v.b) &&
          values_[v.b].k == 0) {
        return true;
      }
      return FailsOnEveryPacket(v.a) || FailsOnEveryPacket(v.b);
    case ValueKind::kNeg: return FailsOnEveryPacket(v.a);
    case ValueKind::kProtoChain:
      // Not on a network-layer offset past every packet (BACnet's wraps to
      // 0xfffffffe): the walk loads from it only if the first protocol is
      // one it walks past, and libpcap accepts when that one matches.
      return FailsOnEveryPacket(v.a) || FailsOnEveryPacket(v.b);
  }
  return false;
}

size_t Program::Hash::operator()(const Block& b) const {
  uint64_t h = (uint64_t(b.test.lhs) << 34) ^ (uint64_t(b.test.rhs) << 2) ^ uint64_t(b.test.cmp);
  h *= 0x9E3779B97F4A7C15ull;
  h ^= (uint64_t(b.t) << 32 | b.f) + 0x632BE59BD9B4E019ull + (h << 6) + (h >> 2);
  return size_t(h);
}

BlockId Program::AddBlock(const Test& test, BlockId t, BlockId f) {
  Block b{test, t, f};
  auto [it, inserted] = index_.try_emplace(b, BlockId(blocks_.size()));
  if (inserted) blocks_.push_back(b);
  return it->second;
}

void Program::SetEdges(BlockId id, BlockId t, BlockId f) {
  Block& b = blocks_[id];
  if (b.t == t && b.f == f) return;
  auto it = index_.find(b);
  if (it != index_.end() && it->second == id) index_.erase(it);
  b.t = t;
  b.f = f;
}

void Program::Replace(BlockId id, const Block& b) {
  auto it = index_.find(blocks_[id]);
  if (it != index_.end() && it->second == id) index_.erase(it);
  blocks_[id] = b;
}

std::vector<BlockId> Program::Order() const {
  std::vector<BlockId> post;
  if (IsLeaf(entry)) return post;
  std::vector<uint8_t> state(blocks_.size(), 0);  // 0 new, 1 open, 2 done
  // Iterative DFS: visit f then t, so that reversed post-order puts the true
  // successor's subtree right after its block.
  std::vector<std::pair<BlockId, int>> stack{{entry, 0}};
  state[entry] = 1;
  while (!stack.empty()) {
    auto& [b, step] = stack.back();
    if (step < 2) {
      BlockId next = step == 0 ? blocks_[b].f : blocks_[b].t;
      ++step;
      if (!IsLeaf(next) && state[next] == 0) {
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

void Program::Compact() {
  std::vector<BlockId> order = Order();
  std::vector<BlockId> remap(blocks_.size(), kReject);
  std::vector<Block> old = std::move(blocks_);
  blocks_.clear();
  index_.clear();
  auto map = [&](BlockId b) { return IsLeaf(b) ? b : remap[b]; };
  // Successors first, so that identical blocks collapse bottom-up.
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    const Block& b = old[*it];
    remap[*it] = AddBlock(b.test, map(b.t), map(b.f));
  }
  entry = map(entry);
  // Renumber in reverse post-order so that dumps read top-down.
  std::vector<BlockId> order2 = Order();
  std::vector<BlockId> remap2(blocks_.size(), kReject);
  for (size_t i = 0; i < order2.size(); ++i) remap2[order2[i]] = BlockId(i);
  std::vector<Block> cur = std::move(blocks_);
  blocks_.clear();
  index_.clear();
  for (BlockId b : order2) {
    const Block& x = cur[b];
    blocks_.push_back(Block{x.test, IsLeaf(x.t) ? x.t : remap2[x.t], IsLeaf(x.f) ? x.f : remap2[x.f]});
    index_.emplace(blocks_.back(), BlockId(blocks_.size() - 1));
  }
  if (!IsLeaf(entry)) entry = remap2[entry];
}

namespace {

constexpr const char* kBinOps[] = {"+", "-", "*", "/", "%", "&", "|", "^", "<<", ">>"};

std::string Hex(uint32_t k) {
  char buf[16];
  snprintf(buf, sizeof buf, "%#x", k);
  return k == 0 ? "0" : buf;
}

std::string Target(BlockId b) {
  if (b == kAccept) return "accept";
  if (b == kReject) return "reject";
  return "b" + std::to_string(b);
}

std::string TestToString(const Values& v, const Test& t) {
  if (IsStore(t)) return ValueToString(v, t.lhs) + " := " + ValueToString(v, t.rhs);
  static constexpr const char* kCmp[] = {"==", ">", ">=", "&"};
  return ValueToString(v, t.lhs) + " " + kCmp[int(t.cmp)] + " " + ValueToString(v, t.rhs);
}

}  // namespace

std::string ValueToString(const Values& vals, ValueId id) {
  const Value& v = vals[id];
  switch (v.kind) {
    case ValueKind::kConst: return Hex(v.k);
    case ValueKind::kLen: return "len";
    case ValueKind::kLoad: {
      static constexpr const char* kSize[] = {"", "ldb", "ldh", "", "ld"};
      std::string s = std::string(kSize[v.size]) + "[";
      if (v.a != kNoValue) s += ValueToString(vals, v.a) + " + ";
      return s + std::to_string(v.k) + "]";
    }
    case ValueKind::kIpHdrLen: return "iphl[" + std::to_string(v.k) + "]";
    case ValueKind::kBinary:
      return "(" + ValueToString(vals, v.a) + " " + kBinOps[int(v.op)] + " " + ValueToString(vals, v.b) + ")";
    case ValueKind::kNeg: return "-" + ValueToString(vals, v.a);
    case ValueKind::kSlot: return "M" + std::to_string(v.k);
    case ValueKind::kProtoChain:
      return "protochain" + std::to_string(v.size) + "[" + std::to_string(v.k2) + "](" +
             ValueToString(vals, v.a) + ", " + ValueToString(vals, v.b) + ", " + Hex(v.k) + ")";
  }
  return "?";
}

std::string Dump(const Program& p) {
  std::string out = "entry: " + Target(p.entry) + "\n";
  for (BlockId b : p.Order()) {
    const Block& blk = p.block(b);
    out += Target(b) + ": " + TestToString(p.values, blk.test);
    out += IsStore(blk.test) ? "; " + Target(blk.t) + "\n"
                             : " ? " + Target(blk.t) + " : " + Target(blk.f) + "\n";
  }
  return out;
}

std::string ToDot(const Program& p) {
  std::string out = "digraph ir {\n  node [shape=box, fontname=monospace];\n";
  out += "  accept [shape=doublecircle];\n  reject [shape=circle];\n";
  out += "  start [shape=point];\n  start -> " + Target(p.entry) + ";\n";
  for (BlockId b : p.Order()) {
    const Block& blk = p.block(b);
    std::string label = TestToString(p.values, blk.test);
    std::string esc;
    for (char c : label) {
      if (c == '"' || c == '\\') esc += '\\';
      esc += c;
    }
    out += "  " + Target(b) + " [label=\"" + Target(b) + ": " + esc + "\"];\n";
    if (IsStore(blk.test)) {
      out += "  " + Target(b) + " -> " + Target(blk.t) + ";\n";
      continue;
    }
    out += "  " + Target(b) + " -> " + Target(blk.t) + " [label=T, color=darkgreen];\n";
    out += "  " + Target(b) + " -> " + Target(blk.f) + " [label=F, color=red, style=dashed];\n";
  }
  return out + "}\n";
}

bool EvalProtoChain(const Value& v, uint32_t type, uint32_t off, const uint8_t* pkt,
                    uint32_t caplen, uint32_t* out) {
  auto byte = [&](uint32_t rel, uint32_t* b) {
    const uint64_t at = uint64_t{v.k2} + rel;
    if (at >= caplen) return false;
    *b = pkt[at];
    return true;
  };
  for (uint32_t step = 0;; ++step) {
    if (type == v.k) {
      *out = 1;
      return true;
    }
    const proto::ChainHeader* h = nullptr;
    for (const proto::ChainHeader& c : proto::kChainHeaders) {
      if (c.type == type && proto::Walks(c, uint8_t(v.size))) h = &c;
    }
    if (h == nullptr) {
      *out = 0;
      return true;
    }
    uint32_t next, len;
    if (!byte(off, &next) || !byte(off + 1, &len)) return false;
    if (step == kProtoChainDepth) {  // the bound: libpcap would go on
      *out = 0;
      return true;
    }
    off = (h->from_ip_start ? 0 : off) + (len + h->len_bias) * h->unit;
    type = next;
  }
}

namespace {

// Evaluates a value; false if a load falls outside the captured data or a
// division by zero happens (both reject in libpcap).
struct Packet {
  const uint8_t* bytes;
  uint32_t wirelen, caplen;
  const uint32_t* slots;
};

bool EvalValue(const Values& vals, ValueId id, const Packet& p, uint32_t* out) {
  const uint8_t* pkt = p.bytes;
  const uint32_t wirelen = p.wirelen, caplen = p.caplen;
  const Value& v = vals[id];
  switch (v.kind) {
    case ValueKind::kConst: *out = v.k; return true;
    case ValueKind::kSlot: *out = p.slots[v.k]; return true;
    case ValueKind::kLen: *out = wirelen; return true;
    case ValueKind::kIpHdrLen:
      if (v.k >= caplen) return false;
      *out = 4u * (pkt[v.k] & 0x0f);
      return true;
    case ValueKind::kLoad: {
      uint32_t base = 0;
      if (v.a != kNoValue && !EvalValue(vals, v.a, p, &base)) return false;
      uint32_t off = base + v.k;
      if (off > caplen || v.size > caplen - off) return false;
      uint32_t r = 0;
      for (uint32_t i = 0; i < v.size; ++i) r = r << 8 | pkt[off + i];
      *out = r;
      return true;
    }
    case ValueKind::kNeg: {
      uint32_t a;
      if (!EvalValue(vals, v.a, p, &a)) return false;
      *out = 0u - a;
      return true;
    }
    case ValueKind::kProtoChain: {
      uint32_t type, off;
      if (!EvalValue(vals, v.a, p, &type)) return false;
      if (!EvalValue(vals, v.b, p, &off)) return false;
      return EvalProtoChain(v, type, off, pkt, caplen, out);
    }
    case ValueKind::kBinary: {
      uint32_t a, b;
      if (!EvalValue(vals, v.a, p, &a)) return false;
      if (!EvalValue(vals, v.b, p, &b)) return false;
      switch (v.op) {
        case ast::BinOp::kAdd: *out = a + b; return true;
        case ast::BinOp::kSub: *out = a - b; return true;
        case ast::BinOp::kMul: *out = a * b; return true;
        case ast::BinOp::kDiv: if (b == 0) return false; *out = a / b; return true;
        case ast::BinOp::kMod: if (b == 0) return false; *out = a % b; return true;
        case ast::BinOp::kAnd: *out = a & b; return true;
        case ast::BinOp::kOr: *out = a | b; return true;
        case ast::BinOp::kXor: *out = a ^ b; return true;
        case ast::BinOp::kLsh: *out = b >= 32 ? 0 : a << b; return true;
        case ast::BinOp::kRsh: *out = b >= 32 ? 0 : a >> b; return true;
      }
    }
  }
  return false;
}

}  // namespace

bool Eval(const Program& p, const uint8_t* pkt, uint32_t wirelen, uint32_t caplen) {
  uint32_t slots[kMaxSlots] = {};
  const Packet packet{pkt, wirelen, caplen, slots};
  BlockId b = p.entry;
  while (!IsLeaf(b)) {
    const Block& blk = p.block(b);
    uint32_t l, r;
    if (!EvalValue(p.values, blk.test.rhs, packet, &r)) return false;
    if (IsStore(blk.test)) {
      slots[p.values[blk.test.lhs].k] = r;
      b = blk.t;
      continue;
    }
    if (!EvalValue(p.values, blk.test.lhs, packet, &l)) return false;
    b = Holds(blk.test.cmp, l, r).value_or(false) ? blk.t : blk.f;
  }
  return b == kAccept;
}

bool AssignSlotWords(const Program& p, uint32_t words, SlotWords* out) {
  SlotSet used = 0;
  for (BlockId b : p.Order()) {
    used |= p.values.SlotsRead(p.block(b).test.lhs) | p.values.SlotsRead(p.block(b).test.rhs);
  }
  *out = SlotWords{};
  out->lowest = words;
  for (uint32_t k = 0; k < kMaxSlots; ++k) {
    if (!(used >> k & 1)) continue;
    if (out->lowest == 0) return false;
    out->word[k] = --out->lowest;
  }
  return true;
}

SlotSet SlotsReadBeforeStored(const Program& p) {
  // Forward, in reverse post-order (a DAG): the slots stored on every path
  // into each block.
  const std::vector<BlockId> order = p.Order();
  std::vector<SlotSet> stored(p.num_blocks(), ~SlotSet{0});
  SlotSet early = 0;
  if (!IsLeaf(p.entry)) stored[p.entry] = 0;
  for (BlockId b : order) {
    const Block& blk = p.block(b);
    SlotSet out = stored[b];
    if (IsStore(blk.test)) {
      early |= p.values.SlotsRead(blk.test.rhs) & ~out;
      out |= SlotSet{1} << p.values[blk.test.lhs].k;
    } else {
      early |= (p.values.SlotsRead(blk.test.lhs) | p.values.SlotsRead(blk.test.rhs)) & ~out;
    }
    for (BlockId s : {blk.t, blk.f}) {
      if (!IsLeaf(s)) stored[s] &= out;
    }
  }
  return early;
}

}  // namespace bpfcap::ir
