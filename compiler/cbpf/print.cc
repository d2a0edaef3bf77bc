// tcpdump's three program dumps, byte for byte as libpcap 1.10.3 prints them:
// -d (one bpf_image line per instruction), -dd (C initialisers) and -ddd
// (decimal). The operand notation comes from the opcode table.
#include <cstdarg>
#include <cstdio>
#include <string>

#include "compiler/cbpf/cbpf.h"
#include "compiler/cbpf/insn.h"

namespace bpfcap::cbpf {
namespace {

// printf into a std::string; every caller's output is short.
__attribute__((format(printf, 1, 2))) std::string Format(const char* fmt, ...) {
  char buf[128];
  va_list args;
  va_start(args, fmt);
  int len = std::vsnprintf(buf, sizeof buf, fmt, args);
  va_end(args);
  if (len < 0) return {};
  return std::string(buf, static_cast<size_t>(len) < sizeof buf
                              ? static_cast<size_t>(len)
                              : sizeof buf - 1);
}

// libpcap formats k, targets and the index as C ints: values above INT32_MAX
// print negative, and target arithmetic wraps modulo 2^32.
int32_t Signed(uint32_t v) { return static_cast<int32_t>(v); }

// bpf_image names the kernel's ancillary loads (k = SKF_AD_OFF + 4 * i) of
// the absolute-load forms: "ld [proto]", "ldh [vlan_tci]".
constexpr uint32_t kAncillaryBase = 0xfffff000;  // SKF_AD_OFF
// In SKF_AD_* order: PROTOCOL, PKTTYPE, IFINDEX, NLATTR, NLATTR_NEST, MARK,
// QUEUE, HATYPE, RXHASH, CPU, ALU_XOR_X, VLAN_TAG, VLAN_TAG_PRESENT,
// PAY_OFFSET, RANDOM, VLAN_TPID.
constexpr const char* kAncillaryNames[] = {
    "proto", "type",   "ifidx",  "nla",       "nlan",  "mark",
    "queue", "hatype", "rxhash", "cpu",       "xor_x", "vlan_tci",
    "vlanp", "poff",   "random", "vlan_tpid",
};

std::string AbsOperand(uint32_t k) {
  constexpr uint32_t kCount =
      sizeof kAncillaryNames / sizeof kAncillaryNames[0];
  if (k >= kAncillaryBase && (k - kAncillaryBase) % 4 == 0 &&
      (k - kAncillaryBase) / 4 < kCount) {
    return Format("[%s]", kAncillaryNames[(k - kAncillaryBase) / 4]);
  }
  return Format("[%d]", Signed(k));
}

std::string OperandText(const OpcodeInfo& op, const Insn& insn, uint32_t n) {
  switch (op.operand) {
    case Operand::kNone:
      return {};
    case Operand::kImmHex:
    case Operand::kCondK:
      return Format("#0x%x", insn.k);
    case Operand::kImmDec:
      return Format("#%d", Signed(insn.k));
    case Operand::kX:
    case Operand::kCondX:
      return "x";
    case Operand::kPktLen:
      return "#pktlen";
    case Operand::kAbs:
      return AbsOperand(insn.k);
    case Operand::kInd:
      return Format("[x + %d]", Signed(insn.k));
    case Operand::kMsh:
      return Format("4*([%d]&0xf)", Signed(insn.k));
    case Operand::kMem:
      return Format("M[%d]", Signed(insn.k));
    case Operand::kJa:
      return Format("%d", Signed(n + 1 + insn.k));
    case Operand::kUnimp:
      break;
  }
  return Format("0x%x", insn.code);
}

// bpf_image appends "jt .. jf .." by the code's class and op bits alone:
// for every jump other than ja, including codes it otherwise prints as
// "unimp" (0x55, 0x115, ...).
bool PrintsBranchTargets(uint16_t code) {
  return BPF_CLASS(code) == BPF_JMP && BPF_OP(code) != BPF_JA;
}

}  // namespace

std::string Image(const Insn& insn, uint32_t n) {
  static constexpr OpcodeInfo kUnimp = {0, "unimp", Operand::kUnimp,
                                        KRule::kAny};
  const OpcodeInfo* op = FindOpcode(insn.code);
  if (op == nullptr) op = &kUnimp;

  std::string operand = OperandText(*op, insn, n);
  std::string mnemonic(op->operand == Operand::kUnimp ? kUnimp.mnemonic
                                                      : op->mnemonic);
  if (PrintsBranchTargets(insn.code)) {
    return Format("(%03d) %-8s %-16s jt %d\tjf %d", Signed(n), mnemonic.c_str(),
                  operand.c_str(), Signed(n + 1 + insn.jt),
                  Signed(n + 1 + insn.jf));
  }
  return Format("(%03d) %-8s %s", Signed(n), mnemonic.c_str(), operand.c_str());
}

std::string DumpAsm(const Program& prog) {
  std::string out;
  for (size_t i = 0; i < prog.size(); ++i) {
    out += Image(prog[i], static_cast<uint32_t>(i));
    out += '\n';
  }
  return out;
}

std::string DumpC(const Program& prog) {
  std::string out;
  for (const Insn& insn : prog) {
    out += Format("{ 0x%x, %d, %d, 0x%08x },\n", insn.code, insn.jt, insn.jf,
                  insn.k);
  }
  return out;
}

std::string DumpDecimal(const Program& prog) {
  std::string out = Format("%d\n", Signed(static_cast<uint32_t>(prog.size())));
  for (const Insn& insn : prog) {
    out += Format("%u %u %u %u\n", insn.code, insn.jt, insn.jf, insn.k);
  }
  return out;
}

}  // namespace bpfcap::cbpf
