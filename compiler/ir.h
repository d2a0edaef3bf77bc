// IR: a DAG of Blocks, each one Test of packet values with a true and a false
// Edge, or a store of a run-time offset into a slot (below); the leaves are
// the Verdicts accept (return the snap length) and reject (return 0).
//
// Values are hash-consed: the same load or computation anywhere in the
// program is the same ValueId, so that passes compare values by id and the
// code generator can tell when the accumulator already holds one. A Value
// that reads the packet (kLoad, kIpHdrLen) can fail at run time: a load past
// the end of the captured data rejects the packet, as in libpcap. Passes must
// therefore never drop or reorder a load whose success is not already known
// on every path that reaches it.
//
// Run-time variables ("slots") hold offsets that only a path knows (where
// a "geneve" found the inner frame, where the payload of an 802.11 frame
// behind a radio header starts): a store block sets one, a kSlot value
// reads it. Every slot is 0 until stored. The lowering stores each slot at
// most once on any path, and only before every read of it on that path;
// passes keep that so (they skip or redirect tests, never move a store), and
// path facts about a value reading a slot are dropped at a store to it.
//
// Blocks are hash-consed too: building the same test with the same two
// successors twice yields the same block. The IR holds IR only: analyses
// (facts along paths, dominators, predecessor counts) are computed on demand
// by the passes that need them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "compiler/ast.h"

namespace bpfcap::ir {

using ValueId = uint32_t;
inline constexpr ValueId kNoValue = UINT32_MAX;

enum class ValueKind : uint8_t {
  kConst,     // k
  kLen,       // the packet's wire length ("len")
  kLoad,      // size bytes, big-endian, at offset a + k (a may be kNoValue)
  kIpHdrLen,  // 4 * (P[k] & 0x0f): an IPv4 header length (cBPF's ldx msh)
  kBinary,    // op(a, b), 32-bit unsigned, wrapping
  kNeg,       // -a
  kProtoChain,  // 1 if the IP header chain holds protocol k, else 0 (see below)
  kSlot,      // run-time variable k (0 until a store block sets it)
};

// Slots a program may use (ValueKind::kSlot's k is below this).
inline constexpr uint32_t kMaxSlots = 64;
using SlotSet = uint64_t;  // one bit per slot

// kProtoChain: "ip protochain P" / "ip6 protochain P". The value walks the
// header chain of the IP packet whose network header is at offset k2, with
// libpcap's rules, and is 1 when a header of type k (the protocol) is found,
// 0 when not. a is the first header's type (the IP protocol or the IPv6 next
// header field), b its offset from k2 (the IPv4 header length, or 40), size
// the IP version (4 or 6). At a header of type T: T == k ends the walk
// (found); a type that proto::kChainHeaders walks for this IP version leads
// to the next header (its type in the header's first byte, its offset from
// the header's length byte); any other type ends the walk (not found).
// libpcap loops until one of these ends the walk, and never ends it on some
// AH chains (an AH header pointing back at itself). bpfcap's programs must
// jump forward only (the kernel refuses loops in socket filters), so the walk
// is unrolled: it walks past at most kProtoChainDepth headers. When the
// header reached then is one to walk past too, the walk still reads its
// first two bytes, as libpcap's next step would (a packet cut short there is
// rejected alike), and then ends: not found. So the verdict is libpcap's on
// every packet where libpcap walks past at most kProtoChainDepth headers. A
// load past the end of the captured data rejects the packet, as every load
// does.
inline constexpr uint32_t kProtoChainDepth = 8;

// Fixed load offsets from here up are past the end of every packet in
// libpcap's bpf_filter; in the kernel they name ancillary data (SKF_AD_OFF).
// Loads of the known ancillary fields ("inbound" reads the packet type) are
// kept for socket filters; back ends emit a reject for the rest (see
// Values::FailsOnEveryPacket).
inline constexpr uint32_t kNeverInPacket = 0xfffff000;

struct Value {
  ValueKind kind = ValueKind::kConst;
  ast::BinOp op = ast::BinOp::kAdd;
  uint8_t size = 0;
  uint32_t k = 0;
  ValueId a = kNoValue;
  ValueId b = kNoValue;
  uint32_t k2 = 0;  // kProtoChain: the network header's offset
  friend bool operator==(const Value&, const Value&) = default;
};

// The hash-consed value table.
class Values {
 public:
  ValueId Const(uint32_t k);
  ValueId Len();
  ValueId Load(uint8_t size, ValueId var, uint32_t off);
  ValueId IpHdrLen(uint32_t off);
  ValueId Binary(ast::BinOp op, ValueId a, ValueId b);
  ValueId Neg(ValueId a);
  ValueId ProtoChain(uint8_t ip_version, uint32_t nl_off, ValueId first_type, ValueId first_off,
                     uint32_t proto);
  ValueId Slot(uint32_t k);

  const Value& operator[](ValueId id) const { return values_[id]; }
  size_t size() const { return values_.size(); }
  bool IsConst(ValueId id) const { return values_[id].kind == ValueKind::kConst; }
  // True if evaluating the value reads the packet.
  bool ReadsPacket(ValueId id) const;
  // True if evaluating the value fails on every packet: it loads at a fixed
  // offset at or above kNeverInPacket, or divides by the constant 0.
  bool FailsOnEveryPacket(ValueId id) const;
  // The slots evaluating the value reads.
  SlotSet SlotsRead(ValueId id) const { return slots_read_[id]; }

 private:
  ValueId Intern(const Value& v);
  struct Hash {
    size_t operator()(const Value& v) const;
  };
  std::vector<Value> values_;
  std::vector<SlotSet> slots_read_;  // per value
  std::unordered_map<Value, ValueId, Hash> index_;
};

// cBPF's four jump conditions; the other relations are these with the edges
// swapped.
enum class Cmp : uint8_t {
  kEq,   // lhs == rhs
  kGt,   // lhs > rhs (unsigned)
  kGe,   // lhs >= rhs (unsigned)
  kSet,  // (lhs & rhs) != 0
  // Not a comparison: a store block. lhs is a kSlot value, set to rhs; both
  // edges lead on. Evaluating rhs can fail (a load past the end rejects).
  kStore,
};

struct Test {
  ValueId lhs = kNoValue;
  Cmp cmp = Cmp::kEq;
  ValueId rhs = kNoValue;
  friend bool operator==(const Test&, const Test&) = default;
};
inline bool IsStore(const Test& t) { return t.cmp == Cmp::kStore; }
// Whether `l cmp r` holds (nothing for a store).
inline std::optional<bool> Holds(Cmp cmp, uint32_t l, uint32_t r) {
  switch (cmp) {
    case Cmp::kEq: return l == r;
    case Cmp::kGt: return l > r;
    case Cmp::kGe: return l >= r;
    case Cmp::kSet: return (l & r) != 0;
    case Cmp::kStore: break;
  }
  return std::nullopt;
}

using BlockId = uint32_t;
inline constexpr BlockId kAccept = UINT32_MAX - 1;  // leaf: return snaplen
inline constexpr BlockId kReject = UINT32_MAX;      // leaf: return 0
inline bool IsLeaf(BlockId b) { return b >= kAccept; }

struct Block {
  Test test;  // or a store (IsStore): then t == f
  BlockId t = kReject;  // edge taken when the test holds
  BlockId f = kReject;  // edge taken when it does not
  friend bool operator==(const Block&, const Block&) = default;
};

class Program {
 public:
  Values values;
  BlockId entry = kAccept;

  // Returns the block (test, t, f), creating it if it does not exist.
  BlockId AddBlock(const Test& test, BlockId t, BlockId f);
  const Block& block(BlockId id) const { return blocks_[id]; }
  size_t num_blocks() const { return blocks_.size(); }

  // Blocks reachable from the entry, in reverse post-order (every block
  // before its successors; the true successor's subtree first).
  std::vector<BlockId> Order() const;

  // Redirects a block's edges in place (passes). Blocks built before keep
  // their ids; AddBlock stops sharing with blocks edited this way.
  void SetEdges(BlockId id, BlockId t, BlockId f);
  // Replaces a block's test and edges in place (passes that rebuild a
  // subgraph under an existing entry).
  void Replace(BlockId id, const Block& b);

  // A store block: slot := value, then on to `next`.
  BlockId AddStore(uint32_t slot, ValueId value, BlockId next) {
    return AddBlock(Test{values.Slot(slot), Cmp::kStore, value}, next, next);
  }

  // Keeps only the blocks reachable from the entry, renumbered, and rebuilds
  // the sharing index (which also merges blocks that became identical).
  void Compact();

 private:
  struct Hash {
    size_t operator()(const Block& b) const;
  };
  std::vector<Block> blocks_;
  std::unordered_map<Block, BlockId, Hash> index_;
};

// Text form for --dump=ir and the pass tests:
//   entry: b0
//   b0: ldh[12] == 0x800 ? b1 : reject
std::string Dump(const Program& p);
std::string ToDot(const Program& p);
std::string ValueToString(const Values& v, ValueId id);

// The slots some path from the entry reads before storing them: the ones
// whose initial 0 a back end must put in place.
SlotSet SlotsReadBeforeStored(const Program& p);

// Where a back end with `words` words of scratch memory keeps the slots the
// reachable blocks use: the top words, slot by slot (word[k]); words below
// `lowest` are free for temporaries. False when they do not fit.
struct SlotWords {
  uint32_t word[kMaxSlots] = {};
  uint32_t lowest = 0;
};
bool AssignSlotWords(const Program& p, uint32_t words, SlotWords* out);

// The kProtoChain walk on a packet: 1 or 0 into *out, false when a load
// falls outside the captured data. The reference the back ends follow.
bool EvalProtoChain(const Value& v, uint32_t first_type, uint32_t first_off, const uint8_t* pkt,
                    uint32_t caplen, uint32_t* out);

// Evaluates the program on a packet the way its cBPF translation would
// (libpcap semantics): for the optimizer's self-check and tests.
bool Eval(const Program& p, const uint8_t* pkt, uint32_t wirelen, uint32_t caplen);

}  // namespace bpfcap::ir
