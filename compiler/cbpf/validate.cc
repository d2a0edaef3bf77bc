// The classic BPF validator: accepts a program only if the Linux kernel's
// classic checker would (and therefore libpcap's bpf_validate too). Each
// instruction must be a row of the opcode table and satisfy that row's KRule;
// the program must end in a return; and, as the kernel demands, every scratch
// load must follow a store to the same slot on every path reaching it.
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "compiler/cbpf/cbpf.h"
#include "compiler/cbpf/insn.h"

namespace bpfcap::cbpf {
namespace {

// Absolute loads at or above SKF_AD_OFF (-0x1000) read the kernel's
// ancillary data (protocol, ifindex, ...), which libpcap's bpf_filter and our
// interpreter treat as loads past the end. The named fields are allowed (a
// socket filter uses them: "inbound" is "ldh [type]"); the rest of the range
// is refused. (libpcap compiles "ether[0xffffffff] != 0" to "ldb [-1]"; such
// a load can never succeed, so a code generator emits a reject instead.)
constexpr uint32_t kAncillaryOffset = kSkfAdOff;
constexpr uint32_t kShiftLimit = 32;

std::string Hex(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%" PRIx32, v);
  return buf;
}

std::string Where(size_t i, const OpcodeInfo& op) {
  return "instruction " + std::to_string(i) + " (" + std::string(op.mnemonic) +
         "): ";
}

// Checks `insn` at index i of an n-instruction program against its row's
// rule. Returns an empty string if it holds, else the complaint.
std::string CheckRule(const OpcodeInfo& op, const Insn& insn, size_t i,
                      size_t n) {
  const uint64_t next = uint64_t{i} + 1;
  const std::string last = std::to_string(n - 1);
  switch (op.rule) {
    case KRule::kAny:
      return {};
    case KRule::kNonZero:
      if (insn.k == 0) return "division by constant zero";
      return {};
    case KRule::kShift:
      if (insn.k >= kShiftLimit) {
        return "shift by " + std::to_string(insn.k) + ", must be below 32";
      }
      return {};
    case KRule::kScratchRead:
    case KRule::kScratchWrite:
      if (insn.k >= kMemWords) {
        return "scratch index " + std::to_string(insn.k) +
               " out of range, must be below 16";
      }
      return {};
    case KRule::kPacketAbs:
      if (insn.k >= kAncillaryOffset && !IsAncillaryField(insn.k)) {
        return "offset " + Hex(insn.k) +
               " is in the kernel's ancillary data range (SKF_AD_OFF and "
               "above) but names no ancillary field";
      }
      return {};
    case KRule::kJumpTarget:
      if (next + insn.k >= n) {
        return "jump target " + std::to_string(next + insn.k) +
               " is past the last instruction " + last;
      }
      return {};
    case KRule::kBranchTargets:
      if (next + insn.jt >= n) {
        return "jt target " + std::to_string(next + insn.jt) +
               " is past the last instruction " + last;
      }
      if (next + insn.jf >= n) {
        return "jf target " + std::to_string(next + insn.jf) +
               " is past the last instruction " + last;
      }
      return {};
  }
  return {};
}

// The kernel's rule on scratch memory: a load of M[k] is allowed only if
// every path from the entry stores M[k] first. stored[i] is the set (one bit
// per slot) of slots stored on every path reaching i; instructions no edge
// reaches keep all slots. Like the kernel's check_load_and_stores, a return
// counts as falling through to the next instruction: code after a return
// that only a jump reaches is still checked on the return's path, so
// "ret #0; ld M[5]; ..." is refused. Requires every instruction to have
// passed CheckRule already.
bool CheckScratch(const Program& prog, std::string* error) {
  constexpr uint16_t kAll = 0xffff;
  static_assert(kMemWords == 16, "one bit per scratch slot");
  const size_t n = prog.size();
  std::vector<uint16_t> stored(n, kAll);
  stored[0] = 0;
  for (size_t i = 0; i < n; ++i) {
    const Insn& insn = prog[i];
    const OpcodeInfo& op = *FindOpcode(insn.code);
    uint16_t slots = stored[i];
    const bool scratch =
        op.rule == KRule::kScratchRead || op.rule == KRule::kScratchWrite;
    const uint16_t bit = scratch ? static_cast<uint16_t>(1u << insn.k) : 0;
    if (op.rule == KRule::kScratchRead && (slots & bit) == 0) {
      *error = Where(i, op) + "reads M[" + std::to_string(insn.k) +
               "], which is not stored on every path before it";
      return false;
    }
    if (op.rule == KRule::kScratchWrite) slots |= bit;

    auto flow_to = [&](uint64_t target) {
      if (target < n) stored[target] &= slots;
    };
    if (op.rule == KRule::kJumpTarget) {
      flow_to(i + 1 + uint64_t{insn.k});
    } else if (op.rule == KRule::kBranchTargets) {
      flow_to(i + 1 + insn.jt);
      flow_to(i + 1 + insn.jf);
    } else {
      flow_to(i + 1);
    }
  }
  return true;
}

}  // namespace

bool Validate(const Program& prog, std::string* error,
              const ValidateOptions& opts) {
  const size_t n = prog.size();
  if (n == 0) {
    *error = "empty program";
    return false;
  }
  if (opts.kernel_limits && n > kMaxInsns) {
    *error = "program has " + std::to_string(n) +
             " instructions, more than the kernel's limit of " +
             std::to_string(kMaxInsns);
    return false;
  }
  for (size_t i = 0; i < n; ++i) {
    const OpcodeInfo* op = FindOpcode(prog[i].code);
    if (op == nullptr) {
      *error = "instruction " + std::to_string(i) + ": unknown opcode " +
               Hex(prog[i].code);
      return false;
    }
    std::string complaint = CheckRule(*op, prog[i], i, n);
    if (!complaint.empty()) {
      *error = Where(i, *op) + complaint;
      return false;
    }
  }
  if (BPF_CLASS(prog[n - 1].code) != BPF_RET) {
    *error = Where(n - 1, *FindOpcode(prog[n - 1].code)) +
             "the last instruction must be a return";
    return false;
  }
  return CheckScratch(prog, error);
}

}  // namespace bpfcap::cbpf
