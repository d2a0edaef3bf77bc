// --threads N; see fanout.h.
#include "capture/fanout.h"

#include <unistd.h>

#include <chrono>

namespace bpfcap::capture {
namespace {
constexpr std::chrono::milliseconds kSlice(50);
}  // namespace

std::unique_ptr<FanoutSource> FanoutSource::Open(RingOptions options, int threads,
                                                 std::string* error) {
  std::unique_ptr<FanoutSource> f(new FanoutSource);
  // A group id private to this process (ids are per network namespace).
  options.fanout_group = uint16_t((getpid() & 0x7fff) | 0x8000);
  for (int i = 0; i < threads; ++i) {
    std::unique_ptr<Ring> r = Ring::Open(options, error);
    if (!r) return nullptr;
    f->rings_.push_back(std::move(r));
  }
  for (auto& r : f->rings_) f->readers_.emplace_back(&FanoutSource::Read, f.get(), r.get());
  return f;
}

FanoutSource::~FanoutSource() {
  Interrupt();
  {
    std::lock_guard<std::mutex> lock(mu_);
    space_.notify_all();
  }
  for (std::thread& t : readers_) t.join();
}

void FanoutSource::Read(Ring* ring) {
  Packet p;
  for (;;) {
    const ReadStatus st = ring->Next(&p, 100);
    std::unique_lock<std::mutex> lock(mu_);
    if (stop_) return;
    if (st == ReadStatus::kError) {
      if (reader_error_.empty()) reader_error_ = ring->error();
      ready_.notify_all();
      return;
    }
    if (st == ReadStatus::kInterrupted) return;
    if (st != ReadStatus::kPacket) continue;
    while (!stop_ && queue_.size() >= kMaxQueued) space_.wait_for(lock, kSlice);
    if (stop_) return;
    Queued q;
    q.bytes.assign(p.data, p.data + p.caplen);
    q.pkt = p;
    queue_.push_back(std::move(q));
    ready_.notify_one();
  }
}

ReadStatus FanoutSource::Next(Packet* out, int timeout_ms) {
  // Waits in short slices: Interrupt() cannot notify (it may run in a
  // signal handler), so stop_ is polled.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_ && queue_.empty() && reader_error_.empty()) {
    if (timeout_ms >= 0 && std::chrono::steady_clock::now() >= deadline) return ReadStatus::kTimeout;
    ready_.wait_for(lock, kSlice);
  }
  if (stop_) return ReadStatus::kInterrupted;
  if (queue_.empty()) {
    error_ = reader_error_;
    return ReadStatus::kError;
  }
  current_ = std::move(queue_.front());
  queue_.pop_front();
  space_.notify_one();
  *out = current_.pkt;
  out->data = current_.bytes.data();
  return ReadStatus::kPacket;
}

// Async-signal-safe: the rings' Interrupt() writes their eventfds, and
// stop_ is a lock-free atomic that the waits above poll.
void FanoutSource::Interrupt() {
  stop_.store(true);
  for (auto& r : rings_) r->Interrupt();
}

bool FanoutSource::Stats(CaptureStats* stats) const {
  CaptureStats total;
  for (const auto& r : rings_) {
    CaptureStats s;
    if (!r->Stats(&s)) return false;
    total.received += s.received;
    total.dropped += s.dropped;
    total.if_dropped += s.if_dropped;
  }
  *stats = total;
  return true;
}

}  // namespace bpfcap::capture
