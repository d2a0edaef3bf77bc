// Classic BPF instructions as the kernel and libpcap lay them out.
//
// Insn is the wire struct (struct sock_filter / struct bpf_insn): it goes to
// SO_ATTACH_FILTER and to pcap_compile callers unchanged. A Program is a plain
// vector of them. Opcode constants come from the kernel's UAPI header
// <linux/bpf_common.h> (BPF_LD, BPF_H, BPF_ABS, ...), plus the two classic-only
// classes BPF_MISC (TAX/TXA) and the register convention of the 1992 paper:
//   A   accumulator, every load and ALU op targets it
//   X   index register, loaded by LDX (BPF_MSH: 4*(P[k]&0xf), the IPv4 IHL)
//   M[] 16 scratch words
// One opcode table (OpcodeInfo, below) feeds the printer, validator and
// interpreter, like the kernel's codes[].
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <type_traits>
#include <vector>

#include <linux/bpf_common.h>

namespace bpfcap::cbpf {

// BPF_MISC sub-ops, the ret source and memory size, not in bpf_common.h.
inline constexpr uint16_t kMiscTax = 0x00;
inline constexpr uint16_t kMiscTxa = 0x80;
inline constexpr uint16_t kRetA = 0x10;     // BPF_A: "ret a" returns A
inline constexpr uint32_t kMemWords = 16;   // BPF_MEMWORDS
inline constexpr uint32_t kMaxInsns = 4096; // BPF_MAXINSNS (kernel limit)
// Class and source together: ALU and conditional jumps on k or on X.
inline constexpr uint16_t kAluK = BPF_ALU | BPF_K;
inline constexpr uint16_t kAluX = BPF_ALU | BPF_X;
inline constexpr uint16_t kJmpK = BPF_JMP | BPF_K;
inline constexpr uint16_t kJmpX = BPF_JMP | BPF_X;

// The kernel's ancillary data: absolute loads at SKF_AD_OFF + field read
// packet metadata instead of packet bytes (socket filters only). libpcap's
// bpf_filter, and so our interpreter, treat them as loads past the end.
inline constexpr uint32_t kSkfAdOff = 0xfffff000;  // SKF_AD_OFF (-0x1000)
enum SkfAd : uint32_t {
  kAdProtocol = 0,      // SKF_AD_PROTOCOL: skb->protocol
  kAdPktType = 4,       // SKF_AD_PKTTYPE: PACKET_HOST, ... PACKET_OUTGOING (4)
  kAdIfIndex = 8,       // SKF_AD_IFINDEX
  kAdHaType = 28,       // SKF_AD_HATYPE
  kAdVlanTag = 44,      // SKF_AD_VLAN_TAG: the stripped tag's TCI
  kAdVlanPresent = 48,  // SKF_AD_VLAN_TAG_PRESENT
  kAdVlanTpid = 60,     // SKF_AD_VLAN_TPID, the last field
};
// True for k = SKF_AD_OFF + a field the kernel knows.
constexpr bool IsAncillaryField(uint32_t k) {
  return k >= kSkfAdOff && (k - kSkfAdOff) % 4 == 0 && k - kSkfAdOff <= kAdVlanTpid;
}

struct Insn {
  uint16_t code;
  uint8_t jt;
  uint8_t jf;
  uint32_t k;

  friend bool operator==(const Insn&, const Insn&) = default;
};
static_assert(sizeof(Insn) == 8);
static_assert(std::is_trivially_copyable_v<Insn>);

using Program = std::vector<Insn>;

// Builders for the common shapes.
constexpr Insn Stmt(uint16_t code, uint32_t k) { return Insn{code, 0, 0, k}; }
constexpr Insn Jump(uint16_t code, uint32_t k, uint8_t jt, uint8_t jf) {
  return Insn{code, jt, jf, k};
}

// --- The opcode table (opcodes.cc) ------------------------------------------
// Exactly the opcodes the Linux kernel's classic checker accepts, one row
// each. The printer formats from it, the validator accepts only its rows and
// applies each row's KRule, and the tests check the interpreter against it.

// How bpf_image (tcpdump -d) writes the operand; n is the instruction index.
enum class Operand : uint8_t {
  kNone,    // "tax", "txa", "neg", "ret" (ret a prints no operand)
  kImmHex,  // "#0x1f"         ld #k, ldx #k, and/or/xor #k
  kImmDec,  // "#-1"           add/sub/mul/div/mod/lsh/rsh #k, ret #k; k as int32
  kX,       // "x"             ALU op with X as source
  kPktLen,  // "#pktlen"       ld len
  kAbs,     // "[12]"          ld/ldh/ldb [k]; k as int32
  kInd,     // "[x + 14]"      ld/ldh/ldb [x + k]; k as int32
  kMsh,     // "4*([14]&0xf)"  ldxb
  kMem,     // "M[3]"          ld/ldx M[k], st/stx M[k]; k as int32
  kJa,      // "12"            ja: the absolute target n+1+k
  kCondK,   // "#0x800  jt 2\tjf 3"  conditional jump on k
  kCondX,   // "x       jt 2\tjf 3"  conditional jump on X
  kUnimp,   // "0x81"          valid, but bpf_image has no case for it and
            //                 prints "unimp"; only ldx len (0x81) is so
};

// What Validate requires of an instruction beyond its opcode being known.
enum class KRule : uint8_t {
  kAny,            // no constraint
  kNonZero,        // div/mod #k: k != 0
  kShift,          // lsh/rsh #k: k < 32 (the kernel refuses larger shifts)
  kScratchRead,    // ld/ldx M[k]: k < 16 and M[k] stored on every path here
  kScratchWrite,   // st/stx M[k]: k < 16
  kPacketAbs,      // ld/ldh/ldb [k]: k < SKF_AD_OFF (no ancillary loads)
  kJumpTarget,     // ja: n+1+k inside the program
  kBranchTargets,  // jeq/jgt/jge/jset: n+1+jt and n+1+jf inside the program
};

struct OpcodeInfo {
  uint16_t code;
  std::string_view mnemonic;  // bpf_image's name: "ldh", "jset", "ldxb", ...
  Operand operand;
  KRule rule;
};

// The row for `code`, or nullptr if the kernel does not accept the opcode.
const OpcodeInfo* FindOpcode(uint16_t code);
// Every row, sorted by code.
std::span<const OpcodeInfo> AllOpcodes();

}  // namespace bpfcap::cbpf
