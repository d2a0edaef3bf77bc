// The capture loop; see capture_loop.h.
#include "capture/capture_loop.h"

#include "compiler/cbpf/cbpf.h"

namespace bpfcap::capture {
namespace {

bool KeepDirection(DirectionFilter want, Direction got) {
  switch (want) {
    case DirectionFilter::kInOut: return true;
    case DirectionFilter::kIn: return got != Direction::kOutbound;
    case DirectionFilter::kOut: return got == Direction::kOutbound;
  }
  return true;
}

}  // namespace

LoopResult RunCaptureLoop(PacketSource& source, const LoopConfig& config,
                          const PacketHandler& on_packet, const TickHandler& on_tick) {
  LoopResult r;
  Packet pkt;
  while (config.count < 0 || r.captured < uint64_t(config.count)) {
    const ReadStatus st = source.Next(&pkt, config.timeout_ms);
    if (st == ReadStatus::kEnd) break;
    if (st == ReadStatus::kInterrupted) {
      r.interrupted = true;
      break;
    }
    if (st == ReadStatus::kError) {
      r.error = source.error();
      break;
    }
    if (st == ReadStatus::kPacket) {
      ++r.seen;
      const bool keep = KeepDirection(config.direction, pkt.direction) &&
                        (config.filter == nullptr ||
                         cbpf::Run(*config.filter, pkt.data, pkt.len, pkt.caplen) != 0);
      if (keep) {
        ++r.captured;
        if (!on_packet(pkt, &r.error)) break;
      }
      if (r.seen % kTickPackets != 0) continue;
    }
    if (on_tick && !on_tick(&r.error)) break;
  }
  return r;
}

}  // namespace bpfcap::capture
