// Loading and test runs through libbpf; see load.h.

#include "compiler/ebpf/load.h"

#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <vector>

namespace bpfcap::ebpf {
namespace {

static_assert(sizeof(Insn) == sizeof(struct bpf_insn));

constexpr size_t kLogSize = 1 << 20;   // the kernel keeps the log's tail if longer
constexpr uint32_t kLogLevelVerbose = 1;
constexpr uint32_t kLogLevelStats = 4;  // BPF_LOG_STATS: just the totals
constexpr size_t kEthHeaderLen = 14;    // consumed by eth_type_trans in test runs

bpf_prog_type ProgType(Target t) {
  return t == Target::kXdp ? BPF_PROG_TYPE_XDP : BPF_PROG_TYPE_SOCKET_FILTER;
}

int TryLoad(const Program& prog, Target target, uint32_t log_level, std::vector<char>* log) {
  LIBBPF_OPTS(bpf_prog_load_opts, opts);
  if (log_level != 0) {
    log->assign(kLogSize, '\0');
    opts.log_level = log_level;
    opts.log_buf = log->data();
    opts.log_size = static_cast<uint32_t>(log->size());
  }
  const char* name = target == Target::kXdp ? "bpfcap_xdp" : "bpfcap_filter";
  return bpf_prog_load(ProgType(target), name, "Dual BSD/GPL",
                       reinterpret_cast<const struct bpf_insn*>(prog.data()), prog.size(), &opts);
}

// "processed 123 insns (limit 1000000) ..." → 123.
uint64_t ProcessedFromLog(const char* log) {
  const char* p = std::strstr(log, "processed ");
  return p ? std::strtoull(p + std::strlen("processed "), nullptr, 10) : 0;
}

}  // namespace

LoadedProgram::~LoadedProgram() {
  if (fd_ >= 0) close(fd_);
}

LoadedProgram::LoadedProgram(LoadedProgram&& other) noexcept
    : fd_(other.fd_), target_(other.target_) {
  other.fd_ = -1;
}

LoadedProgram& LoadedProgram::operator=(LoadedProgram&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) close(fd_);
    fd_ = other.fd_;
    target_ = other.target_;
    other.fd_ = -1;
  }
  return *this;
}

bool LoadedProgram::Load(const Program& prog, Target target, LoadedProgram* out,
                         std::string* error, uint64_t* insns_processed) {
  std::vector<char> log;
  int fd = TryLoad(prog, target, insns_processed ? kLogLevelStats : 0, &log);
  if (fd < 0) {
    // Again with the verifier's full log, for the error.
    const int first_errno = -fd;  // libbpf returns -errno
    fd = TryLoad(prog, target, kLogLevelVerbose, &log);
    if (fd < 0) {
      *error = std::string("bpf_prog_load: ") + std::strerror(first_errno) + "; verifier log:\n" +
               std::string(log.data());
      return false;
    }
  }
  if (insns_processed) *insns_processed = log.empty() ? 0 : ProcessedFromLog(log.data());
  *out = LoadedProgram();
  out->fd_ = fd;
  out->target_ = target;
  return true;
}

bool LoadedProgram::TestRun(std::span<const uint8_t> frame, uint32_t* retval,
                            std::string* error) const {
  std::vector<uint8_t> in;
  LIBBPF_OPTS(bpf_test_run_opts, opts, .repeat = 1);
  if (target_ == Target::kSocketFilter) {
    in.assign(kEthHeaderLen, 0);  // EtherType 0: the harness checks no IP header
    in.insert(in.end(), frame.begin(), frame.end());
  } else if (frame.size() < kEthHeaderLen) {
    *error = "BPF_PROG_TEST_RUN: the kernel runs XDP programs on frames of 14 bytes or more, not " +
             std::to_string(frame.size());
    return false;
  } else {
    in.assign(frame.begin(), frame.end());
  }
  opts.data_in = in.data();
  opts.data_size_in = static_cast<uint32_t>(in.size());
  if (int err = bpf_prog_test_run_opts(fd_, &opts); err != 0) {
    *error = std::string("BPF_PROG_TEST_RUN: ") + std::strerror(-err) + " (frame of " +
             std::to_string(frame.size()) + " bytes)";
    return false;
  }
  *retval = opts.retval;
  return true;
}

}  // namespace bpfcap::ebpf
