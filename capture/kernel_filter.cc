#include "capture/kernel_filter.h"

#include <linux/filter.h>
#include <linux/if_packet.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <span>
#include <vector>

#include "compiler/cbpf/cbpf.h"

namespace bpfcap::capture {
namespace {

using cbpf::Insn;
using cbpf::Program;
using cbpf::Stmt;
using cbpf::Jump;

constexpr uint32_t Ancillary(int what) {
  return static_cast<uint32_t>(SKF_AD_OFF + what);
}

// Header fields the kernel can give exactly: one load of exactly this size
// at exactly this offset becomes one instruction.
struct HeaderField {
  uint32_t offset;
  uint16_t size;       // BPF_B, BPF_H or BPF_W
  Insn replacement;
};

const HeaderField kSll2Fields[] = {
    {kSll2Protocol, BPF_H, Stmt(BPF_LD | BPF_W | BPF_ABS, Ancillary(SKF_AD_PROTOCOL))},
    {kSll2Reserved, BPF_H, Stmt(BPF_LD | BPF_IMM, 0)},
    {kSll2Reserved, BPF_B, Stmt(BPF_LD | BPF_IMM, 0)},
    {kSll2Reserved + 1, BPF_B, Stmt(BPF_LD | BPF_IMM, 0)},
    {kSll2Ifindex, BPF_W, Stmt(BPF_LD | BPF_W | BPF_ABS, Ancillary(SKF_AD_IFINDEX))},
    {kSll2Hatype, BPF_H, Stmt(BPF_LD | BPF_W | BPF_ABS, Ancillary(SKF_AD_HATYPE))},
    {kSll2PktType, BPF_B, Stmt(BPF_LD | BPF_W | BPF_ABS, Ancillary(SKF_AD_PKTTYPE))},
};

// The packet type is 16 bits here; PACKET_* values fit in its low byte.
const HeaderField kSllFields[] = {
    {kSllPktType, BPF_H, Stmt(BPF_LD | BPF_W | BPF_ABS, Ancillary(SKF_AD_PKTTYPE))},
    {kSllPktType, BPF_B, Stmt(BPF_LD | BPF_IMM, 0)},
    {kSllPktType + 1, BPF_B, Stmt(BPF_LD | BPF_W | BPF_ABS, Ancillary(SKF_AD_PKTTYPE))},
    {kSllHatype, BPF_H, Stmt(BPF_LD | BPF_W | BPF_ABS, Ancillary(SKF_AD_HATYPE))},
    {kSllProtocol, BPF_H, Stmt(BPF_LD | BPF_W | BPF_ABS, Ancillary(SKF_AD_PROTOCOL))},
};

struct CookedLayout {
  uint32_t header_len;
  std::span<const HeaderField> fields;
};

CookedLayout LayoutFor(int dlt) {
  if (dlt == kDltLinuxSll) return {kSllHeaderLen, kSllFields};
  return {kSll2HeaderLen, kSll2Fields};
}

std::string Describe(const Program& prog, size_t i, const char* why) {
  return cbpf::Image(prog[i], static_cast<uint32_t>(i)) + ": " + why;
}

// The replacement of prog[i] (one or two instructions), or false with
// *reason set.
bool AdaptOne(const Program& prog, size_t i, const CookedLayout& layout,
              std::vector<Insn>* out, std::string* reason) {
  const uint32_t hlen = layout.header_len;
  const Insn& in = prog[i];
  const uint16_t cls = BPF_CLASS(in.code);
  const uint16_t mode = BPF_MODE(in.code);
  if (cls == BPF_LD && mode == BPF_ABS) {
    // Ancillary data (SKF_AD_OFF) and the SKF_NET_OFF / SKF_LL_OFF ranges
    // mean the same on both sockets.
    if (in.k >= static_cast<uint32_t>(SKF_LL_OFF)) {
      out->push_back(in);
      return true;
    }
    if (in.k >= hlen) {
      out->push_back(Insn{in.code, 0, 0, in.k - hlen});
      return true;
    }
    for (const HeaderField& f : layout.fields) {
      if (f.offset == in.k && f.size == BPF_SIZE(in.code)) {
        out->push_back(f.replacement);
        return true;
      }
    }
    *reason = Describe(prog, i, "the kernel has no exact equivalent of this cooked header field");
    return false;
  }
  if (cls == BPF_LD && mode == BPF_IND) {
    if (in.k < hlen) {
      *reason = Describe(prog, i, "an indexed load that may reach into the cooked header");
      return false;
    }
    out->push_back(Insn{in.code, 0, 0, in.k - hlen});
    return true;
  }
  if (cls == BPF_LDX && mode == BPF_MSH) {
    if (in.k < hlen) {
      *reason = Describe(prog, i, "the kernel has no exact equivalent of this cooked header field");
      return false;
    }
    out->push_back(Insn{in.code, 0, 0, in.k - hlen});
    return true;
  }
  if (cls == BPF_LD && mode == BPF_LEN) {
    out->push_back(in);
    out->push_back(Stmt(BPF_ALU | BPF_ADD | BPF_K, hlen));
    return true;
  }
  if (cls == BPF_LDX && mode == BPF_LEN) {
    *reason = Describe(prog, i, "the packet length in X needs a scratch register to adjust");
    return false;
  }
  out->push_back(in);
  return true;
}

}  // namespace

CookedAdaptation AdaptForCooked(const Program& prog, int dlt) {
  CookedAdaptation result;
  const CookedLayout layout = LayoutFor(dlt);
  std::vector<std::vector<Insn>> pieces(prog.size());
  std::vector<size_t> start(prog.size() + 1, 0);
  for (size_t i = 0; i < prog.size(); ++i) {
    if (!AdaptOne(prog, i, layout, &pieces[i], &result.reason)) return result;
    start[i + 1] = start[i] + pieces[i].size();
  }
  // Re-resolve jumps: a jump is always the only instruction of its piece.
  Program out;
  out.reserve(start.back());
  for (size_t i = 0; i < prog.size(); ++i) {
    for (Insn insn : pieces[i]) {
      if (BPF_CLASS(insn.code) == BPF_JMP) {
        const size_t from = start[i] + 1;
        auto target = [&](uint32_t rel) { return start[i + 1 + rel] - from; };
        if (BPF_OP(insn.code) == BPF_JA) {
          if (i + 1 + insn.k > prog.size()) {
            result.reason = Describe(prog, i, "jump out of the program");
            return result;
          }
          insn.k = static_cast<uint32_t>(target(insn.k));
        } else {
          if (i + 1 + insn.jt > prog.size() || i + 1 + insn.jf > prog.size()) {
            result.reason = Describe(prog, i, "jump out of the program");
            return result;
          }
          const size_t jt = target(insn.jt), jf = target(insn.jf);
          if (jt > 255 || jf > 255) {
            result.reason = Describe(prog, i, "jump too long once ld #len grew by one instruction");
            return result;
          }
          insn.jt = static_cast<uint8_t>(jt);
          insn.jf = static_cast<uint8_t>(jf);
        }
      }
      out.push_back(insn);
    }
  }
  result.program = std::move(out);
  return result;
}

Program WithDirectionGuard(const Program& prog, DirectionGuard guard,
                           int loopback_ifindex, uint32_t snaplen) {
  const Insn kLdPktType = Stmt(BPF_LD | BPF_W | BPF_ABS, Ancillary(SKF_AD_PKTTYPE));
  const Insn kLdIfindex = Stmt(BPF_LD | BPF_W | BPF_ABS, Ancillary(SKF_AD_IFINDEX));
  const Insn kReject = Stmt(BPF_RET | BPF_K, 0);
  const uint32_t lo = static_cast<uint32_t>(loopback_ifindex);
  const uint16_t kJeq = BPF_JMP | BPF_JEQ | BPF_K;
  Program out;
  switch (guard) {
    case DirectionGuard::kInOut:
      if (loopback_ifindex > 0) {
        out = {kLdPktType, Jump(kJeq, PACKET_OUTGOING, 0, 3), kLdIfindex,
               Jump(kJeq, lo, 0, 1), kReject};
      }
      break;
    case DirectionGuard::kIn:
      out = {kLdPktType, Jump(kJeq, PACKET_OUTGOING, 0, 1), kReject};
      break;
    case DirectionGuard::kOut:
      out = {kLdPktType, Jump(kJeq, PACKET_OUTGOING, 1, 0), kReject};
      if (loopback_ifindex > 0) {
        out.insert(out.end(), {kLdIfindex, Jump(kJeq, lo, 0, 1), kReject});
      }
      break;
  }
  // The program proper starts, as in the kernel, with A = 0 (X is untouched).
  if (!out.empty()) out.push_back(Stmt(BPF_LD | BPF_IMM, 0));
  if (prog.empty()) {
    out.push_back(Stmt(BPF_RET | BPF_K, snaplen));
  } else {
    out.insert(out.end(), prog.begin(), prog.end());
  }
  return out;
}

Program RejectAll() { return {Stmt(BPF_RET | BPF_K, 0)}; }

int AttachFilter(int fd, const Program& prog, std::string* error) {
  sock_fprog fprog{};
  fprog.len = static_cast<unsigned short>(prog.size());
  // Insn is struct sock_filter bit for bit (insn.h asserts the layout).
  static_assert(sizeof(Insn) == sizeof(sock_filter));
  fprog.filter = reinterpret_cast<sock_filter*>(const_cast<Insn*>(prog.data()));
  if (prog.size() > 0xffff ||
      setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fprog, sizeof(fprog)) != 0) {
    const int err = prog.size() > 0xffff ? EINVAL : errno;
    *error = std::string("SO_ATTACH_FILTER: ") + std::strerror(err);
    return err;
  }
  return 0;
}

}  // namespace bpfcap::capture
