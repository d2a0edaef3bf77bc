// Where captured packets come from and where they go.
//
// A PacketSource hands out packets one at a time: the AF_PACKET ring
// (capture/ring.h), a savefile reader (capture/pcap_file.h,
// capture/pcapng_file.h), later the XDP engines. A PacketSink takes them:
// the pcap and pcapng writers. The CLI's loop is the same for every pair:
//
//   while (src.Next(&pkt, timeout) == ReadStatus::kPacket) sink.Write(pkt);
//
// The data a Packet points at belongs to the source and stays valid only
// until the next call to Next() or Close(); copy it to keep it.
//
// Errors are values: a call that fails returns false or ReadStatus::kError
// and error() then holds one line without a prefix ("truncated packet
// record at byte 4242"), which the CLI prints after "bpfcap: ".
//
// Not thread-safe: one source, one thread. Interrupt() is the exception: it
// may be called from a signal handler or another thread and makes a blocked
// Next() return kInterrupted soon after.
#pragma once

#include <cstdint>
#include <string>

namespace bpfcap::capture {

// Packet direction, as the kernel's PACKET_* types and pcapng's epb_flags
// record it. kUnknown for savefiles without the information.
enum class Direction : uint8_t {
  kUnknown,   // not recorded
  kInbound,   // "in": addressed to this host, broadcast, multicast, other host
  kOutbound,  // "out": sent by this host
};

struct Packet {
  int64_t ts_sec = 0;       // seconds since the epoch
  uint32_t ts_nsec = 0;     // nanoseconds, 0..999999999, whatever the source's precision
  uint32_t caplen = 0;      // bytes at data
  uint32_t len = 0;         // length on the wire (>= caplen)
  const uint8_t* data = nullptr;
  int ifindex = 0;          // 0 when unknown
  Direction direction = Direction::kUnknown;
};

// Kernel counters at the end of a capture, printed like tcpdump's
// "N packets received by filter / M packets dropped by kernel".
struct CaptureStats {
  uint64_t received = 0;     // packets that passed the filter (ps_recv)
  uint64_t dropped = 0;      // dropped for lack of ring space (ps_drop)
  uint64_t if_dropped = 0;   // dropped by the interface/driver (ps_ifdrop)
};

enum class ReadStatus {
  kPacket,       // *out filled
  kTimeout,      // nothing arrived within the timeout (live sources only)
  kEnd,          // end of file; never for live sources
  kInterrupted,  // Interrupt() was called
  kError,        // error() says what; the source is unusable afterwards
};

class PacketSource {
 public:
  virtual ~PacketSource() = default;
  PacketSource() = default;
  PacketSource(const PacketSource&) = delete;
  PacketSource& operator=(const PacketSource&) = delete;

  // libpcap DLT_ number of every packet this source returns.
  virtual int LinkType() const = 0;
  // The snap length packets were (or are) captured with.
  virtual uint32_t Snaplen() const = 0;
  // True when timestamps are meaningful to the nanosecond (pcap nanosecond
  // files, pcapng with if_tsresol 9, TPACKET_V3).
  virtual bool NanosecondTimestamps() const = 0;

  // The next packet. timeout_ms < 0 blocks; live sources return kTimeout
  // when it expires, savefiles ignore it.
  virtual ReadStatus Next(Packet* out, int timeout_ms) = 0;

  // Async-signal-safe: makes a pending or the next Next() return kInterrupted.
  // A live source first hands out what its kernel had already accepted (the
  // AF_PACKET ring: its filled blocks and the one being filled, for at most
  // the block timeout), so that Ctrl-C does not lose the last packets.
  virtual void Interrupt() = 0;

  // Kernel statistics; false (and nothing set) when the source has none.
  virtual bool Stats(CaptureStats* /*stats*/) const { return false; }

  const std::string& error() const { return error_; }

 protected:
  std::string error_;
};

// What a writer needs to know about the capture before the first packet.
struct SinkInfo {
  int link_type = 1;               // DLT_ number (written as its LINKTYPE_ value)
  uint32_t snaplen = 262144;
  bool nanosecond = false;         // pcap: nanosecond magic; pcapng: if_tsresol 9
  std::string if_name;             // pcapng if_name; may be empty
  std::string filter;              // pcapng if_filter; may be empty
};

class PacketSink {
 public:
  virtual ~PacketSink() = default;
  PacketSink() = default;
  PacketSink(const PacketSink&) = delete;
  PacketSink& operator=(const PacketSink&) = delete;

  virtual bool Write(const Packet& pkt) = 0;
  // Pushes buffered bytes to the file (tcpdump -U does this per packet).
  virtual bool Flush() = 0;
  // Writes trailers (pcapng statistics when `stats` is given), flushes and
  // closes. Idempotent. A file is valid after every Flush() as well.
  virtual bool Close(const CaptureStats* stats = nullptr) = 0;
  // Bytes written so far, for -C rotation.
  virtual uint64_t BytesWritten() const = 0;

  const std::string& error() const { return error_; }

 protected:
  std::string error_;
};

}  // namespace bpfcap::capture
