// One capture spread over several AF_PACKET sockets (--threads N).
//
// N rings join one PACKET_FANOUT group (hashed by flow), so the kernel
// splits the interface's packets between them; a reader thread per ring
// takes its packets off the ring and queues a copy; Next() hands them out
// in arrival order per ring. The filter runs in each socket, in the kernel.
// Stats() adds up the rings' counters. Interrupt() stops the readers and a
// blocked Next().
//
// Not for one ring: with N = 1 the caller uses the Ring directly.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "capture/packet_source.h"
#include "capture/ring.h"

namespace bpfcap::capture {

class FanoutSource : public PacketSource {
 public:
  // Opens `threads` rings with `options` (fanout_group is chosen here).
  static std::unique_ptr<FanoutSource> Open(RingOptions options, int threads, std::string* error);
  ~FanoutSource() override;

  int LinkType() const override { return rings_[0]->LinkType(); }
  uint32_t Snaplen() const override { return rings_[0]->Snaplen(); }
  bool NanosecondTimestamps() const override { return true; }
  ReadStatus Next(Packet* out, int timeout_ms) override;
  void Interrupt() override;
  bool Stats(CaptureStats* stats) const override;

 private:
  struct Queued {
    Packet pkt;
    std::vector<uint8_t> bytes;
  };
  FanoutSource() = default;
  void Read(Ring* ring);

  static constexpr size_t kMaxQueued = 65536;  // then readers wait (the rings fill, and drop)
  std::vector<std::unique_ptr<Ring>> rings_;
  std::vector<std::thread> readers_;
  std::mutex mu_;
  std::condition_variable ready_, space_;
  std::deque<Queued> queue_;
  Queued current_;            // the packet Next() returned last
  std::atomic<bool> stop_{false};  // set by Interrupt(), maybe in a signal handler
  std::string reader_error_;  // first ring error
};

}  // namespace bpfcap::capture
