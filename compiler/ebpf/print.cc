// The eBPF listing; see print.h. Formats from two small tables (ALU and
// jump operators) and the instruction class.

#include "compiler/ebpf/print.h"

#include <cinttypes>
#include <cstdio>
#include <string>

namespace bpfcap::ebpf {
namespace {

struct OpName {
  uint8_t op;
  const char* text;
};

// clang-format off
constexpr OpName kAluOps[] = {
    {0x00, "+="}, {0x10, "-="}, {0x20, "*="}, {0x30, "/="}, {0x40, "|="},
    {0x50, "&="}, {0x60, "<<="}, {0x70, ">>="}, {0x90, "%="}, {0xa0, "^="},
    {0xb0, "="}, {0xc0, "s>>="},
};
constexpr OpName kJmpOps[] = {
    {0x10, "=="}, {0x20, ">"}, {0x30, ">="}, {0x40, "&"}, {0x50, "!="},
    {0x60, "s>"}, {0x70, "s>="}, {0xa0, "<"}, {0xb0, "<="}, {0xc0, "s<"},
    {0xd0, "s<="},
};
constexpr OpName kHelpers[] = {
    {1, "bpf_map_lookup_elem"}, {5, "bpf_ktime_get_ns"}, {26, "bpf_skb_load_bytes"},
    {51, "bpf_redirect_map"}, {131, "bpf_ringbuf_reserve"}, {132, "bpf_ringbuf_submit"},
    {133, "bpf_ringbuf_discard"}, {134, "bpf_ringbuf_query"}, {189, "bpf_xdp_load_bytes"},
};
// clang-format on

template <size_t N>
const char* Find(const OpName (&table)[N], uint32_t op) {
  for (const OpName& o : table) {
    if (o.op == op) return o.text;
  }
  return nullptr;
}

const char* SizeName(uint8_t code) {
  switch (SizeOf(code)) {
    case BPF_B: return "u8";
    case BPF_H: return "u16";
    case BPF_W: return "u32";
    default: return "u64";
  }
}

std::string Format(const char* fmt, auto... args) {
  char buf[128];
  std::snprintf(buf, sizeof buf, fmt, args...);
  return buf;
}

std::string Alu(const Insn& i) {
  const char r = Class(i.code) == kClassAlu64 ? 'r' : 'w';
  const uint8_t op = OpOf(i.code);
  if (op == static_cast<uint8_t>(AluOp::kNeg)) return Format("%c%d = -%c%d", r, i.dst, r, i.dst);
  if (op == static_cast<uint8_t>(AluOp::kEnd)) {
    return Format("r%d = %s%d r%d", i.dst, SrcIsReg(i.code) ? "be" : "le", i.imm, i.dst);
  }
  const char* name = Find(kAluOps, op);
  if (name == nullptr) return "unknown";
  if (SrcIsReg(i.code)) return Format("%c%d %s %c%d", r, i.dst, name, r, i.src);
  return Format("%c%d %s %d", r, i.dst, name, i.imm);
}

std::string Jmp(const Insn& i) {
  const uint8_t op = OpOf(i.code);
  if (op == static_cast<uint8_t>(JmpOp::kJa)) return Format("goto pc%+d", i.off);
  if (op == static_cast<uint8_t>(JmpOp::kExit)) return "exit";
  if (op == static_cast<uint8_t>(JmpOp::kCall)) {
    const char* helper = Find(kHelpers, static_cast<uint32_t>(i.imm));
    return Format("call %s#%d", helper ? helper : "", i.imm);
  }
  const char* name = Find(kJmpOps, op);
  if (name == nullptr) return "unknown";
  const char r = Class(i.code) == kClassJmp32 ? 'w' : 'r';
  if (SrcIsReg(i.code)) return Format("if %c%d %s %c%d goto pc%+d", r, i.dst, name, r, i.src, i.off);
  return Format("if %c%d %s 0x%x goto pc%+d", r, i.dst, name, static_cast<uint32_t>(i.imm), i.off);
}

}  // namespace

std::string Image(const Insn& i, const Insn* next) {
  std::string body;
  switch (Class(i.code)) {
    case BPF_ALU:
    case kClassAlu64:
      body = Alu(i);
      break;
    case BPF_JMP:
    case kClassJmp32:
      body = Jmp(i);
      break;
    case BPF_LDX:
      body = Format("r%d = *(%s *)(r%d %+d)", i.dst, SizeName(i.code), i.src, i.off);
      break;
    case BPF_STX:
      body = Format("*(%s *)(r%d %+d) = r%d", SizeName(i.code), i.dst, i.off, i.src);
      break;
    case BPF_ST:
      body = Format("*(%s *)(r%d %+d) = %d", SizeName(i.code), i.dst, i.off, i.imm);
      break;
    case BPF_LD:
      if (i.Width() == 2 && i.src == kPseudoMapFd) {
        body = Format("r%d = map[fd:%d]", i.dst, i.imm);
        break;
      }
      if (i.Width() == 2) {
        const uint64_t hi = next ? static_cast<uint32_t>(next->imm) : 0;
        body = Format("r%d = 0x%" PRIx64, i.dst, hi << 32 | static_cast<uint32_t>(i.imm));
        break;
      }
      body = "unknown";
      break;
  }
  return Format("(%02x) ", i.code) + body;
}

std::string Dump(const Program& prog) {
  std::string out;
  for (size_t n = 0; n < prog.size();) {
    const Insn& i = prog[n];
    const Insn* next = n + 1 < prog.size() ? &prog[n + 1] : nullptr;
    out += std::to_string(n) + ": " + Image(i, next) + "\n";
    n += size_t(i.Width());
  }
  return out;
}

}  // namespace bpfcap::ebpf
