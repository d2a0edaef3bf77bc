// The two compilers; see compilers.h.
#include "tests/diff/compilers.h"

#include <algorithm>
#include <cstring>
#include <exception>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace bpfcap::difftest {

static_assert(sizeof(bpf_insn) == sizeof(cbpf::Insn));

Libpcap::Libpcap(int dlt, uint32_t snaplen)
    : p_(pcap_open_dead(dlt, static_cast<int>(snaplen))) {}
Libpcap::~Libpcap() { pcap_close(p_); }

Compiled Libpcap::Compile(const std::string& expr, bool optimize, uint32_t netmask) {
  Compiled c;
  bpf_program prog{};
  if (pcap_compile(p_, &prog, expr.c_str(), optimize ? 1 : 0, netmask) != 0) {
    c.error = pcap_geterr(p_);
    return c;
  }
  c.ok = true;
  c.prog.resize(prog.bf_len);
  std::memcpy(c.prog.data(), prog.bf_insns, prog.bf_len * sizeof(bpf_insn));
  pcap_freecode(&prog);
  return c;
}

Compiled OursCompile(const std::string& expr, int dlt, uint32_t snaplen, bool optimize,
                     uint32_t netmask) {
  CompileOptions opts;
  opts.dlt = dlt;
  opts.snaplen = snaplen;
  opts.netmask = netmask;
  opts.optimize = optimize;
  CompileResult r;
  try {
    r = bpfcap::Compile(expr, opts);
  } catch (const std::exception& e) {
    r.diag = Diag{Diag::Code::kSyntax, {}, std::string("exception thrown: ") + e.what()};
  }
  Compiled c;
  c.ok = r.diag.ok();
  if (!c.ok) c.error = FormatDiag(r.diag, expr);
  c.prog = std::move(r.program);
  return c;
}

// A libpcap program may read scratch memory that no path stored first
// ("geneve or ip": the offsets of "ip" are in memory only if "geneve"
// matched). bpf_filter leaves that memory uninitialized (what an earlier
// call left on the stack), the kernel refuses such programs, and bpfcap
// reads zeros there, as bpf_filter does on a fresh stack: such programs run
// in bpfcap's interpreter, whose memory starts zeroed, not in bpf_filter.
bool ReadsUnstoredScratch(const cbpf::Program& prog) {
  thread_local std::vector<cbpf::Insn> last;
  thread_local bool last_result = false;
  if (last.size() == prog.size() && std::memcmp(last.data(), prog.data(), prog.size() * sizeof(cbpf::Insn)) == 0) {
    return last_result;
  }
  last.assign(prog.begin(), prog.end());
  std::string error;
  last_result = !cbpf::Validate(prog, &error) && error.find("which is not stored on every path") != std::string::npos;
  return last_result;
}

namespace {

bool ReadsSlot(const cbpf::Insn& i) { return i.code == (BPF_LD | BPF_MEM) || i.code == (BPF_LDX | BPF_MEM); }
bool StoresSlot(const cbpf::Insn& i) { return i.code == BPF_ST || i.code == BPF_STX; }
bool IsCondJump(const cbpf::Insn& i) { return BPF_CLASS(i.code) == BPF_JMP && BPF_OP(i.code) != BPF_JA; }

}  // namespace

std::optional<cbpf::Program> SpliceLinkPrologue(const cbpf::Program& source, const cbpf::Program& prog) {
  // The source's prologue: up to its last store (it has no stores after).
  size_t end = 0;
  std::set<uint32_t> prologue_slots;
  for (size_t n = 0; n < source.size(); ++n) {
    if (!StoresSlot(source[n])) continue;
    end = n + 1;
    prologue_slots.insert(source[n].k);
  }
  if (end == 0) return std::nullopt;
  // prog's own prologue: up to its last store before the first read of a
  // slot that nothing in prog stores.
  std::set<uint32_t> stored, unstored;
  for (const cbpf::Insn& i : prog) {
    if (StoresSlot(i)) stored.insert(i.k);
  }
  size_t first_unstored = prog.size();
  for (size_t n = 0; n < prog.size(); ++n) {
    if (!ReadsSlot(prog[n]) || stored.count(prog[n].k)) continue;
    unstored.insert(prog[n].k);
    first_unstored = std::min(first_unstored, n);
  }
  if (unstored != prologue_slots) return std::nullopt;
  size_t body = 0;
  for (size_t n = 0; n < first_unstored; ++n) {
    if (StoresSlot(prog[n])) body = n + 1;
  }
  // prologue, "ja +1", "ret #0", body.
  cbpf::Program out(source.begin(), source.begin() + static_cast<std::ptrdiff_t>(end));
  const size_t reject = end + 1;
  for (size_t n = 0; n < end; ++n) {
    cbpf::Insn& i = out[n];
    if (BPF_CLASS(i.code) != BPF_JMP) continue;
    if (!IsCondJump(i)) {
      if (n + 1 + i.k > end) return std::nullopt;  // (a "ja" within the prologue)
      continue;
    }
    for (uint8_t* off : {&i.jt, &i.jf}) {
      const size_t target = n + 1 + *off;
      if (target <= end) continue;
      if (target >= source.size() || source[target].code != (BPF_RET | BPF_K) || source[target].k != 0) {
        return std::nullopt;
      }
      *off = static_cast<uint8_t>(reject - (n + 1));
    }
  }
  out.push_back(cbpf::Insn{static_cast<uint16_t>(BPF_JMP | BPF_JA), 0, 0, 1});
  out.push_back(cbpf::Insn{static_cast<uint16_t>(BPF_RET | BPF_K), 0, 0, 0});
  out.insert(out.end(), prog.begin() + static_cast<std::ptrdiff_t>(body), prog.end());
  return out;
}

uint32_t LibpcapRun(const cbpf::Program& prog, const Packet& p) {
  static const uint8_t kEmpty[1] = {0};
  const uint8_t* data = p.bytes.empty() ? kEmpty : p.bytes.data();
  if (ReadsUnstoredScratch(prog)) return cbpf::Run(prog, data, p.wirelen, p.caplen());
  return bpf_filter(reinterpret_cast<const bpf_insn*>(prog.data()), data, p.wirelen, p.caplen());
}

uint32_t OursRun(const cbpf::Program& prog, const Packet& p) {
  static const uint8_t kEmpty[1] = {0};
  const uint8_t* data = p.bytes.empty() ? kEmpty : p.bytes.data();
  return cbpf::Run(prog, data, p.wirelen, p.caplen());
}

// libpcap's own rendering, through bpf_image as bpf_dump does. bpf_image
// formats into a static buffer, hence the lock.
std::string LibpcapDump(const cbpf::Program& prog) {
  static std::mutex mu;
  std::lock_guard<std::mutex> lock(mu);
  std::string out;
  for (size_t i = 0; i < prog.size(); ++i) {
    bpf_insn insn;
    std::memcpy(&insn, &prog[i], sizeof insn);
    out += bpf_image(&insn, static_cast<int>(i));
    out += '\n';
  }
  return out;
}

}  // namespace bpfcap::difftest
