// The pcapng savefile format (draft-ietf-opsawg-pcapng): reading and writing.
//
// PcapngReader takes an InputFile positioned at a Section Header Block and
// produces Packets from Enhanced, Simple and (obsolete) Packet Blocks. It
// handles sections in either byte order, several sections in one file,
// Interface Description Blocks (link type, snaplen, if_name, if_tsresol with
// decimal or power-of-two resolutions, if_tsoffset), and Interface
// Statistics Blocks (exposed through Stats(), last one read wins). Unknown
// block types are skipped. Guarantees: every good packet before a problem is
// returned first; then kError with one line naming the problem and the byte
// offset of the block (bad lengths, mismatched trailing length, truncation,
// options running past their block, undefined interfaces, caplen beyond the
// bounds). Memory stays bounded by the largest block really in the file, at
// most 256 MiB. It does not support interfaces with differing link types
// (an error, as in libpcap), does not seek using section lengths, and
// ignores name resolution, decryption secrets and custom blocks.
//
// PcapngWriter takes Packets and writes one section in the host's byte
// order: an SHB (shb_userappl "bpfcap"), one IDB (if_name, if_filter,
// if_tsresol 6 or 9 as SinkInfo.nanosecond says) and an EPB per packet
// (epb_flags with the direction when known). Close(stats) appends an ISB
// (isb_starttime = when the writer was opened, isb_endtime = now,
// isb_ifrecv = received, isb_ifdrop = if_dropped, isb_osdrop = dropped).
// Data beyond SinkInfo.snaplen is not written. The section length is left
// "unknown", so the file is valid after every Flush().
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "capture/packet_source.h"
#include "capture/savefile_io.h"

namespace bpfcap::capture {

inline constexpr uint32_t kPcapngSectionHeader = 0x0a0d0d0a;  // same in both byte orders

class PcapngReader : public PacketSource {
 public:
  // Reads the first section header and blocks up to the first interface
  // description; nullptr and *error (one line) if that fails.
  static std::unique_ptr<PcapngReader> Open(std::unique_ptr<InputFile> in, std::string* error);

  int LinkType() const override { return dlt_; }
  uint32_t Snaplen() const override { return snaplen_; }
  bool NanosecondTimestamps() const override { return nanosecond_; }
  ReadStatus Next(Packet* out, int timeout_ms) override;
  void Interrupt() override { interrupted_.store(true, std::memory_order_relaxed); }
  // Counters of the last Interface Statistics Block read so far.
  bool Stats(CaptureStats* stats) const override;

  // if_name of the first interface; empty when not recorded.
  const std::string& if_name() const { return if_name_; }
  // Sections seen so far (1 after Open()).
  int sections() const { return sections_; }

 private:
  struct Interface {
    int dlt = 0;
    uint32_t max_caplen = 0;      // sanity bound for its packets
    uint32_t snaplen = 0;         // as recorded; 0 = no limit
    uint64_t units_per_sec = 1000000;
    int64_t offset_sec = 0;       // if_tsoffset
  };
  enum class Step { kPacket, kSkipped, kEnd, kError };

  explicit PcapngReader(std::unique_ptr<InputFile> in) : in_(std::move(in)) {}
  Step ReadBlock(Packet* out);
  Step Fail(std::string message);
  Step OnSectionHeader(const uint8_t* body, size_t n, uint64_t at);
  Step OnInterface(const uint8_t* body, size_t n, uint64_t at);
  Step OnPacket(uint32_t type, const uint8_t* body, size_t n, uint64_t at, Packet* out);
  Step OnStatistics(const uint8_t* body, size_t n, uint64_t at);

  std::unique_ptr<InputFile> in_;
  bool swap_ = false;
  std::vector<Interface> interfaces_;  // of the current section
  int dlt_ = -1;                       // of the first interface in the file
  uint32_t snaplen_ = 0;
  bool nanosecond_ = false;
  std::string if_name_;
  int sections_ = 0;
  bool have_stats_ = false;
  CaptureStats stats_;
  bool failed_ = false;
  std::atomic<bool> interrupted_{false};
};

class PcapngWriter : public PacketSink {
 public:
  // Writes the section header and interface description to `out`; nullptr
  // and *error on failure.
  static std::unique_ptr<PcapngWriter> Open(std::unique_ptr<OutputFile> out, const SinkInfo& info,
                                            std::string* error);
  ~PcapngWriter() override;

  bool Write(const Packet& pkt) override;
  bool Flush() override;
  bool Close(const CaptureStats* stats = nullptr) override;
  uint64_t BytesWritten() const override { return out_->bytes_written(); }

 private:
  PcapngWriter(std::unique_ptr<OutputFile> out, const SinkInfo& info)
      : out_(std::move(out)), info_(info) {}
  uint64_t Units(int64_t sec, uint32_t nsec) const;
  void BeginBlock(uint32_t type);
  void AddOption(uint16_t code, const void* value, uint16_t length);
  bool EndBlock(bool has_options);
  bool Check(bool ok);

  std::unique_ptr<OutputFile> out_;
  SinkInfo info_;
  std::vector<uint8_t> block_;  // the block being built, reused
  int64_t start_sec_ = 0;
  uint32_t start_nsec_ = 0;
  bool closed_ = false;
};

}  // namespace bpfcap::capture
