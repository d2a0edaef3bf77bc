// The classic pcap savefile format (draft-ietf-opsawg-pcap): reading and
// writing.
//
// PcapReader takes an InputFile positioned at the 24-byte file header and
// produces Packets. It reads microsecond (0xa1b2c3d4) and nanosecond
// (0xa1b23c4d) magics in either byte order, maps the header's LINKTYPE_ to a
// DLT_, and returns timestamps as seconds + nanoseconds. Guarantees: every
// complete record before a problem is returned first; then kError with one
// line naming the problem and its byte offset (truncated header or data,
// caplen beyond max(snaplen, 262144) or beyond 256 MiB). Memory stays bounded
// by the largest record that is really in the file. It does not support the
// "modified" (Kuznetsov) pcap variant, and ignores thiszone and sigfigs.
//
// PcapWriter takes Packets and writes a pcap file in the host's byte order,
// micro- or nanosecond as SinkInfo says. Data beyond SinkInfo.snaplen is not
// written (caplen is cut, len kept), so the file satisfies its own header.
// The file header goes out at once; a file is valid after every Flush().
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "capture/packet_source.h"
#include "capture/savefile_io.h"

namespace bpfcap::capture {

inline constexpr uint32_t kPcapMagicMicro = 0xa1b2c3d4;
inline constexpr uint32_t kPcapMagicNano = 0xa1b23c4d;
// The largest record either reader accepts, whatever the header claims.
inline constexpr uint32_t kMaxRecordBytes = 256u << 20;
// Records up to this size are accepted even beyond the header's snaplen,
// as libpcap does (its largest snap length).
inline constexpr uint32_t kDefaultMaxSnaplen = 262144;

class PcapReader : public PacketSource {
 public:
  // Reads the file header; nullptr and *error (one line) if it is not valid.
  static std::unique_ptr<PcapReader> Open(std::unique_ptr<InputFile> in, std::string* error);

  int LinkType() const override { return dlt_; }
  uint32_t Snaplen() const override { return snaplen_; }
  bool NanosecondTimestamps() const override { return nanosecond_; }
  ReadStatus Next(Packet* out, int timeout_ms) override;
  void Interrupt() override { interrupted_.store(true, std::memory_order_relaxed); }

  // True when the file's byte order is not the host's.
  bool swapped() const { return swap_; }

 private:
  explicit PcapReader(std::unique_ptr<InputFile> in) : in_(std::move(in)) {}
  ReadStatus Fail(std::string message);

  std::unique_ptr<InputFile> in_;
  bool swap_ = false;
  bool nanosecond_ = false;
  int dlt_ = 0;
  uint32_t snaplen_ = 0;      // as reported: 1..262144
  uint32_t max_caplen_ = 0;   // sanity bound for records
  bool failed_ = false;
  std::atomic<bool> interrupted_{false};
};

class PcapWriter : public PacketSink {
 public:
  // Writes the file header to `out`; nullptr and *error on failure.
  static std::unique_ptr<PcapWriter> Open(std::unique_ptr<OutputFile> out, const SinkInfo& info,
                                          std::string* error);
  ~PcapWriter() override;

  bool Write(const Packet& pkt) override;
  bool Flush() override;
  bool Close(const CaptureStats* stats = nullptr) override;
  uint64_t BytesWritten() const override { return out_->bytes_written(); }

 private:
  PcapWriter(std::unique_ptr<OutputFile> out, const SinkInfo& info)
      : out_(std::move(out)), info_(info) {}
  bool Check(bool ok);

  std::unique_ptr<OutputFile> out_;
  SinkInfo info_;
  bool closed_ = false;
};

}  // namespace bpfcap::capture
