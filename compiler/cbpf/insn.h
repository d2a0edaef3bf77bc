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
// One opcode table (OpcodeInfo) feeds the printer, validator and interpreter.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <type_traits>
#include <vector>

#include <linux/bpf_common.h>

namespace bpfcap::cbpf {

// BPF_MISC sub-ops and memory size, not in bpf_common.h.
inline constexpr uint16_t kMiscTax = 0x00;
inline constexpr uint16_t kMiscTxa = 0x80;
inline constexpr uint32_t kMemWords = 16;   // BPF_MEMWORDS
inline constexpr uint32_t kMaxInsns = 4096; // BPF_MAXINSNS (kernel limit)

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

}  // namespace bpfcap::cbpf
