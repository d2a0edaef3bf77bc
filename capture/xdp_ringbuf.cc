// The XDP ring-buffer engine; see xdp_ringbuf.h.
#include "capture/xdp_ringbuf.h"
#include "capture/errno_text.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <linux/if_link.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <vector>

#include "capture/interfaces.h"
#include "compiler/ebpf/codegen.h"
#include "compiler/ebpf/load.h"

namespace bpfcap::capture {
namespace {

constexpr uint32_t kDefaultRingKib = 16 * 1024;
constexpr uint32_t kRecordHeader = BPF_RINGBUF_HDR_SZ;  // the kernel's, before each record

int64_t ClockNs(clockid_t clock) {
  timespec ts;
  clock_gettime(clock, &ts);
  return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

int64_t NowMs() { return ClockNs(CLOCK_MONOTONIC) / 1000000; }

// The offset from CLOCK_MONOTONIC to CLOCK_REALTIME, read between two
// monotonic reads so that the error is at most half their distance.
int64_t MonoToReal() {
  const int64_t a = ClockNs(CLOCK_MONOTONIC);
  const int64_t real = ClockNs(CLOCK_REALTIME);
  const int64_t b = ClockNs(CLOCK_MONOTONIC);
  return real - (a + (b - a) / 2);
}

void CloseFd(int* fd) {
  if (*fd >= 0) close(*fd);
  *fd = -1;
}

}  // namespace

std::unique_ptr<XdpRingbufSource> XdpRingbufSource::Open(const XdpOptions& options,
                                                         std::string* error) {
  std::unique_ptr<XdpRingbufSource> src(new XdpRingbufSource());
  if (!src->Setup(options)) {
    *error = src->error();
    return nullptr;
  }
  return src;
}

XdpRingbufSource::~XdpRingbufSource() {
  CloseFd(&link_fd_);  // detaches the program
  if (cons_map_ != nullptr) munmap(cons_map_, page_);
  if (prod_map_ != nullptr) munmap(prod_map_, page_ + 2 * ring_size_);
  CloseFd(&prog_fd_);
  CloseFd(&ring_fd_);
  CloseFd(&counters_fd_);
  CloseFd(&promisc_fd_);
}

bool XdpRingbufSource::Setup(const XdpOptions& options) {
  name_ = options.interface;
  snaplen_ = options.snaplen == 0 ? 262144 : options.snaplen;
  page_ = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  Diag diag;
  if (!CheckXdpCapture(options.expression, &diag)) {  // the expression's errors first
    Fail(FormatDiag(diag, options.expression));
    return false;
  }
  if (!CheckXdpInterface(name_, "the XDP engine", &ifindex_, &error_)) return false;
  if (!CreateMaps(options.ring_kib)) return false;
  if (!LoadProgram(options)) return false;
  if (!MapRing()) return false;
  if (!wakeup_.Open(&error_)) return false;
  mono_to_real_ns_ = MonoToReal();
  if (options.promiscuous) {
    promisc_fd_ = HoldPromiscuous(ifindex_, name_, &error_);
    if (promisc_fd_ < 0) return false;
  }
  return Attach(options.mode);
}

bool XdpRingbufSource::CreateMaps(uint32_t ring_kib) {
  const uint64_t want = uint64_t{ring_kib ? ring_kib : kDefaultRingKib} * 1024;
  // Room for at least four of the largest records, whatever -B says.
  const uint64_t largest = std::min(snaplen_, ebpf::kXdpMaxLoadEnd) +
                           sizeof(ebpf::XdpRecordHeader) + kRecordHeader;
  ring_size_ = std::bit_ceil(std::max({want, uint64_t{page_}, 4 * largest}));
  if (ring_size_ > (uint64_t{1} << 31)) {
    Fail("ring buffer of " + std::to_string(want / 1024) + " KiB is too large (2 GiB at most)");
    return false;
  }
  ring_fd_ = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "bpfcap_ring", 0, 0,
                            static_cast<uint32_t>(ring_size_), nullptr);
  if (ring_fd_ < 0) {
    const int err = -ring_fd_;
    ring_fd_ = -1;
    Fail(err == EPERM ? "you don't have permission to load XDP programs (" +
                            Errno("bpf_map_create", err) + ")"
                      : "can't make a ring buffer of " + std::to_string(ring_size_ / 1024) +
                            " KiB (" + Errno("bpf_map_create", err) + ")");
    return false;
  }
  counters_fd_ = bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, "bpfcap_counts", sizeof(uint32_t),
                                sizeof(ebpf::XdpCounters), 1, nullptr);
  if (counters_fd_ < 0) {
    const int err = -counters_fd_;
    counters_fd_ = -1;
    Fail(Errno("bpf_map_create", err));
    return false;
  }
  return true;
}

bool XdpRingbufSource::LoadProgram(const XdpOptions& options) {
  CompileOptions c = options.compile;
  c.dlt = 1;
  c.snaplen = snaplen_;
  // Frames at XDP still carry their VLAN tags: "vlan" reads them from the
  // frame, as in a savefile.
  c.for_kernel = false;
  ebpf::GenOptions gen;
  gen.target = ebpf::Target::kXdp;
  gen.xdp_accept = ebpf::kXdpPass;
  gen.xdp_reject = ebpf::kXdpPass;
  gen.on_match.kind = ebpf::XdpOnMatch::Kind::kRingbufCopy;
  gen.on_match.map_fd = ring_fd_;
  gen.on_match.counters_fd = counters_fd_;
  gen.on_match.snaplen = std::min(snaplen_, ebpf::kXdpMaxLoadEnd);
  batch_ms_ = options.batch_ms;
  gen.on_match.wakeup_bytes = batch_ms_ == 0 ? 0 : static_cast<uint32_t>(ring_size_ / 4);
  EbpfCompileResult r = CompileEbpf(options.expression, c, gen);
  if (!r.diag.ok()) {
    Fail(FormatDiag(r.diag, options.expression));
    return false;
  }
  ebpf::LoadedProgram loaded;
  std::string err;
  if (!ebpf::LoadedProgram::Load(r.program, ebpf::Target::kXdp, &loaded, &err)) {
    Fail("the kernel refused the XDP program (" + err + ")");
    return false;
  }
  prog_fd_ = dup(loaded.fd());
  if (prog_fd_ < 0) {
    Fail(Errno("dup", errno));
    return false;
  }
  return true;
}

bool XdpRingbufSource::MapRing() {
  void* cons = mmap(nullptr, page_, PROT_READ | PROT_WRITE, MAP_SHARED, ring_fd_, 0);
  if (cons == MAP_FAILED) {
    Fail(Errno("mmap ring buffer consumer page", errno));
    return false;
  }
  cons_map_ = static_cast<uint8_t*>(cons);
  void* prod = mmap(nullptr, page_ + 2 * ring_size_, PROT_READ, MAP_SHARED, ring_fd_,
                    static_cast<off_t>(page_));
  if (prod == MAP_FAILED) {
    Fail(Errno("mmap ring buffer", errno));
    return false;
  }
  prod_map_ = static_cast<uint8_t*>(prod);
  cons_ = __atomic_load_n(reinterpret_cast<uint64_t*>(cons_map_), __ATOMIC_ACQUIRE);
  return true;
}

bool XdpRingbufSource::Attach(XdpMode mode) {
  XdpLink link;
  if (!AttachXdp(prog_fd_, ifindex_, name_, mode, &link, &error_)) return false;
  link_fd_ = link.fd;
  mode_ = link.mode;
  native_error_ = link.native_error;
  return true;
}

void XdpRingbufSource::Interrupt() { wakeup_.Raise(); }

bool XdpRingbufSource::Stats(CaptureStats* stats) const {
  if (counters_fd_ < 0) return false;
  const int cpus = libbpf_num_possible_cpus();
  if (cpus <= 0) return false;
  std::vector<ebpf::XdpCounters> per_cpu(static_cast<size_t>(cpus));
  const uint32_t key = 0;
  if (bpf_map_lookup_elem(counters_fd_, &key, per_cpu.data()) != 0) return false;
  CaptureStats s;
  for (const ebpf::XdpCounters& c : per_cpu) {
    s.received += c.matched;
    s.dropped += c.ring_full;
  }
  *stats = s;
  return true;
}

// Waits for the ring to have data, or for Interrupt().
bool XdpRingbufSource::Wait(int timeout_ms, ReadStatus* status) {
  short revents = 0;
  int err = 0;
  switch (wakeup_.Poll(ring_fd_, timeout_ms, &revents, &err)) {
    case Wakeup::Wait::kReady: return true;
    case Wakeup::Wait::kTimeout: *status = ReadStatus::kTimeout; return false;
    case Wakeup::Wait::kError: break;
  }
  Fail(Errno("poll", err));
  *status = ReadStatus::kError;
  return false;
}

ReadStatus XdpRingbufSource::Next(Packet* out, int timeout_ms) {
  if (link_fd_ < 0) return ReadStatus::kError;
  auto* cons_pos = reinterpret_cast<uint64_t*>(cons_map_);
  const auto* prod_pos = reinterpret_cast<const uint64_t*>(prod_map_);
  const uint8_t* data = prod_map_ + page_;
  const uint64_t mask = ring_size_ - 1;
  if (pending_ != 0) {  // the record handed out last time is done with
    cons_ += pending_;
    pending_ = 0;
    __atomic_store_n(cons_pos, cons_, __ATOMIC_RELEASE);
  }
  const int64_t deadline = timeout_ms < 0 ? -1 : NowMs() + timeout_ms;
  for (;;) {
    if (wakeup_.raised() && !draining_) {
      // Deliver what was committed before the interrupt, then stop.
      draining_ = true;
      drain_until_ = __atomic_load_n(prod_pos, __ATOMIC_ACQUIRE);
    }
    const uint64_t prod = __atomic_load_n(prod_pos, __ATOMIC_ACQUIRE);
    bool busy = false;
    while (cons_ < prod && !(draining_ && cons_ >= drain_until_)) {
      const auto* rec = data + (cons_ & mask);
      const uint32_t word = __atomic_load_n(reinterpret_cast<const uint32_t*>(rec), __ATOMIC_ACQUIRE);
      if (word & BPF_RINGBUF_BUSY_BIT) {
        busy = true;  // still being written; its commit wakes us
        break;
      }
      const uint32_t len = word & ~(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT);
      const uint64_t size = (uint64_t{len} + kRecordHeader + 7) & ~uint64_t{7};
      if ((word & BPF_RINGBUF_DISCARD_BIT) || len < sizeof(ebpf::XdpRecordHeader)) {
        cons_ += size;
        __atomic_store_n(cons_pos, cons_, __ATOMIC_RELEASE);
        continue;
      }
      ebpf::XdpRecordHeader h;
      std::memcpy(&h, rec + kRecordHeader, sizeof(h));
      const int64_t ts = static_cast<int64_t>(h.ts_ns) + mono_to_real_ns_;
      out->ts_sec = ts / 1000000000;
      out->ts_nsec = static_cast<uint32_t>(ts % 1000000000);
      out->caplen = std::min<uint32_t>(h.caplen, len - sizeof(h));
      out->len = std::max(h.len, out->caplen);
      out->data = rec + kRecordHeader + sizeof(h);
      out->ifindex = static_cast<int>(h.ifindex);
      out->direction = Direction::kInbound;
      pending_ = size;
      return ReadStatus::kPacket;
    }
    if (draining_ && (cons_ >= drain_until_ || busy)) {
      draining_ = false;
      wakeup_.Clear();
      return ReadStatus::kInterrupted;
    }
    // The ring is empty: a good time to follow the wall clock, should it
    // have been stepped (records carry CLOCK_MONOTONIC).
    mono_to_real_ns_ = MonoToReal();
    int wait = -1;
    if (deadline >= 0) {
      wait = static_cast<int>(std::max<int64_t>(0, deadline - NowMs()));
      if (wait == 0 && !busy) return ReadStatus::kTimeout;
    }
    // Batching: the program wakes us only past a fill level; look anyway
    // every batch_ms_. A record being written commits within microseconds.
    const int tick = busy ? 1 : static_cast<int>(batch_ms_);
    if (tick > 0) wait = wait < 0 ? tick : std::min(wait, tick);
    ReadStatus status;
    if (!Wait(wait, &status)) {
      if (status != ReadStatus::kTimeout) return status;
      if (deadline >= 0 && NowMs() >= deadline && !busy && !wakeup_.raised()) return status;
    }
  }
}

}  // namespace bpfcap::capture
