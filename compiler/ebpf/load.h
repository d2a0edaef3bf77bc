// Loading eBPF programs into the kernel (through libbpf's bpf_prog_load) and
// running them once on a frame with BPF_PROG_TEST_RUN.
//
// Takes a wire Program and its Target; produces a program fd owned by a
// LoadedProgram (closed when it goes away). On refusal the error carries the
// kernel verifier's log, which says which instruction and why. Needs
// CAP_BPF (+ CAP_PERFMON for XDP programs that read `len`, + CAP_NET_ADMIN to
// attach): in practice root. Does not attach anything: the capture engines
// do that with the fd.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "compiler/ebpf/codegen.h"
#include "compiler/ebpf/insn.h"

namespace bpfcap::ebpf {

class LoadedProgram {
 public:
  LoadedProgram() = default;
  ~LoadedProgram();
  LoadedProgram(LoadedProgram&& other) noexcept;
  LoadedProgram& operator=(LoadedProgram&& other) noexcept;
  LoadedProgram(const LoadedProgram&) = delete;
  LoadedProgram& operator=(const LoadedProgram&) = delete;

  // Loads `prog` as a BPF_PROG_TYPE_SOCKET_FILTER or BPF_PROG_TYPE_XDP
  // program. False on refusal, with *error = "bpf_prog_load: <errno
  // text>; verifier log:\n<log>". When `insns_processed` is non-null it
  // receives the verifier's count of instructions processed (its measure of
  // the program's complexity; limit 1,000,000).
  static bool Load(const Program& prog, Target target, LoadedProgram* out, std::string* error,
                   uint64_t* insns_processed = nullptr);

  int fd() const { return fd_; }
  Target target() const { return target_; }

  // Runs the program once on `frame`, a capture that starts at the
  // link-layer header, and returns what the program returned. The kernel's
  // test harness differs per program type, and this hides it:
  //   SOCKET_FILTER: the kernel builds an skb from the input and runs
  //     eth_type_trans on it, which consumes the first 14 bytes, so the
  //     program would see the frame from its network header on. A 14-byte
  //     dummy Ethernet header is prepended: the program sees `frame` from
  //     offset 0 and skb->len == frame.size(), as on a SOCK_RAW packet socket.
  //   XDP: data..data_end is the input. The kernel refuses frames shorter
  //     than an Ethernet header (14 bytes), also when XDP metadata is put in
  //     front of them through ctx_in, so those fail here with an error
  //     saying so (no driver hands XDP a shorter frame either).
  // Frames longer than about 3.5 KiB (a page less headroom and the kernel's
  // shared info) are refused with EINVAL.
  bool TestRun(std::span<const uint8_t> frame, uint32_t* retval, std::string* error) const;

 private:
  int fd_ = -1;
  Target target_ = Target::kSocketFilter;
};

}  // namespace bpfcap::ebpf
