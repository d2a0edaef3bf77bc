// The capture loop: packets from a PacketSource to a handler, until a count,
// the end of a file, an interrupt or an error.
//
// Takes a source (a live ring or a savefile), optionally a program to run in
// user space (savefiles, and live sources whose kernel filter could not take
// the program), a direction to keep, and a count. Each kept packet goes to
// `on_packet` (the printer, or a writer). Produces a LoopResult with the
// numbers tcpdump prints at the end.
//
// Guarantees: the handler never sees a packet the filter rejects or more than
// `count` packets; an interrupt (SIGINT/SIGTERM through
// PacketSource::Interrupt) ends the loop after the packet in hand, so the
// caller can close its files cleanly. It prints nothing and installs no
// signal handlers: main.cc does both.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "capture/cli_options.h"
#include "capture/packet_source.h"
#include "compiler/cbpf/insn.h"

namespace bpfcap::capture {

struct LoopConfig {
  int64_t count = -1;                      // stop after this many; -1 = no limit
  const cbpf::Program* filter = nullptr;   // run in user space when non-null
  DirectionFilter direction = DirectionFilter::kInOut;  // applied in user space
  int timeout_ms = 200;                    // how often on_tick runs while idle
};

struct LoopResult {
  uint64_t seen = 0;       // packets the source returned
  uint64_t captured = 0;   // packets handed to on_packet
  bool interrupted = false;
  std::string error;       // non-empty: the source or the handler failed
};

// Handler for one packet; returns false (with *error set) to stop the loop.
using PacketHandler = std::function<bool(const Packet&, std::string* error)>;
// Called when the source has been idle for timeout_ms and once every
// kTickPackets packets (status line): often enough for a once-a-second
// display, and off the per-packet path. False (with *error set) stops the
// loop.
inline constexpr uint64_t kTickPackets = 1024;
using TickHandler = std::function<bool(std::string* error)>;

LoopResult RunCaptureLoop(PacketSource& source, const LoopConfig& config,
                          const PacketHandler& on_packet, const TickHandler& on_tick = {});

}  // namespace bpfcap::capture
