// pcap file layout (all fields in the writer's byte order):
//
//   file header, 24 bytes: magic u32, version_major u16 (2), version_minor
//     u16 (4), thiszone i32, sigfigs u32, snaplen u32, linktype u32 (low 16
//     bits; the upper bits carry FCS information we ignore)
//   per record, 16 bytes: ts_sec u32, ts_frac u32 (micro- or nanoseconds),
//     caplen u32, len u32; then caplen bytes of data
#include "capture/pcap_file.h"

#include <algorithm>
#include <cstring>

#include "capture/linktype_map.h"

namespace bpfcap::capture {
namespace {

constexpr size_t kFileHeaderBytes = 24;
constexpr size_t kRecordHeaderBytes = 16;

std::string Hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

}  // namespace

std::unique_ptr<PcapReader> PcapReader::Open(std::unique_ptr<InputFile> in, std::string* error) {
  size_t got = in->Fill(kFileHeaderBytes);
  if (got < kFileHeaderBytes) {
    *error = in->read_error().empty()
                 ? "truncated pcap file header at byte 0: " + std::to_string(got) + " of 24 bytes"
                 : in->read_error() + " at byte " + std::to_string(in->offset() + got);
    return nullptr;
  }
  const uint8_t* h = in->Peek();
  uint32_t magic;
  std::memcpy(&magic, h, 4);
  std::unique_ptr<PcapReader> r(new PcapReader(std::move(in)));
  if (magic == kPcapMagicMicro || magic == kPcapMagicNano) {
    r->swap_ = false;
  } else if (__builtin_bswap32(magic) == kPcapMagicMicro || __builtin_bswap32(magic) == kPcapMagicNano) {
    r->swap_ = true;
    magic = __builtin_bswap32(magic);
  } else {
    *error = "not a pcap file: bad magic " + Hex32(magic) + " at byte 0";
    return nullptr;
  }
  r->nanosecond_ = magic == kPcapMagicNano;
  uint16_t major = Load16(h + 4, r->swap_);
  uint16_t minor = Load16(h + 6, r->swap_);
  if (major != 2) {
    *error = "unsupported pcap version " + std::to_string(major) + "." + std::to_string(minor) +
             " at byte 4";
    return nullptr;
  }
  uint32_t snaplen = Load32(h + 16, r->swap_);
  r->dlt_ = LinkTypeToDlt(Load32(h + 20, r->swap_) & 0xffff);
  r->snaplen_ = (snaplen == 0 || snaplen > kDefaultMaxSnaplen) ? kDefaultMaxSnaplen : snaplen;
  r->max_caplen_ = std::min(kMaxRecordBytes, std::max(snaplen, kDefaultMaxSnaplen));
  r->in_->Consume(kFileHeaderBytes);
  return r;
}

ReadStatus PcapReader::Fail(std::string message) {
  failed_ = true;
  error_ = std::move(message);
  return ReadStatus::kError;
}

ReadStatus PcapReader::Next(Packet* out, int /*timeout_ms*/) {
  if (failed_) return ReadStatus::kError;
  if (interrupted_.exchange(false, std::memory_order_relaxed)) return ReadStatus::kInterrupted;
  uint64_t at = in_->offset();
  auto where = [at] { return " at byte " + std::to_string(at); };
  size_t got = in_->Fill(kRecordHeaderBytes);
  if (!in_->read_error().empty()) return Fail(in_->read_error() + where());
  if (got == 0) return ReadStatus::kEnd;
  if (got < kRecordHeaderBytes)
    return Fail("truncated packet record header" + where() + ": " + std::to_string(got) + " of 16 bytes");
  const uint8_t* h = in_->Peek();
  uint32_t ts_sec = Load32(h, swap_);
  uint32_t ts_frac = Load32(h + 4, swap_);
  uint32_t caplen = Load32(h + 8, swap_);
  uint32_t len = Load32(h + 12, swap_);
  if (caplen > max_caplen_)
    return Fail("packet record" + where() + " has caplen " + std::to_string(caplen) +
                ", more than the maximum " + std::to_string(max_caplen_));
  got = in_->Fill(kRecordHeaderBytes + caplen);
  if (!in_->read_error().empty()) return Fail(in_->read_error() + where());
  if (got < kRecordHeaderBytes + caplen)
    return Fail("truncated packet record" + where() + ": " + std::to_string(got - kRecordHeaderBytes) +
                " of " + std::to_string(caplen) + " data bytes");
  // Out-of-range fractions (a writer's bug) carry into the seconds.
  uint64_t nsec = nanosecond_ ? ts_frac : uint64_t{ts_frac} * 1000;
  out->ts_sec = int64_t{ts_sec} + static_cast<int64_t>(nsec / 1000000000);
  out->ts_nsec = static_cast<uint32_t>(nsec % 1000000000);
  out->caplen = caplen;
  out->len = std::max(len, caplen);
  out->data = in_->Peek() + kRecordHeaderBytes;
  out->ifindex = 0;
  out->direction = Direction::kUnknown;
  in_->Consume(kRecordHeaderBytes + caplen);
  return ReadStatus::kPacket;
}

std::unique_ptr<PcapWriter> PcapWriter::Open(std::unique_ptr<OutputFile> out, const SinkInfo& info,
                                             std::string* error) {
  std::unique_ptr<PcapWriter> w(new PcapWriter(std::move(out), info));
  uint8_t h[kFileHeaderBytes];
  uint32_t magic = info.nanosecond ? kPcapMagicNano : kPcapMagicMicro;
  uint16_t major = 2, minor = 4;
  int32_t thiszone = 0;
  uint32_t sigfigs = 0, snaplen = info.snaplen, linktype = DltToLinkType(info.link_type);
  std::memcpy(h, &magic, 4);
  std::memcpy(h + 4, &major, 2);
  std::memcpy(h + 6, &minor, 2);
  std::memcpy(h + 8, &thiszone, 4);
  std::memcpy(h + 12, &sigfigs, 4);
  std::memcpy(h + 16, &snaplen, 4);
  std::memcpy(h + 20, &linktype, 4);
  if (!w->out_->Write(h, sizeof h) || !w->out_->Flush()) {
    *error = w->out_->error();
    return nullptr;
  }
  return w;
}

PcapWriter::~PcapWriter() { Close(); }

bool PcapWriter::Check(bool ok) {
  if (!ok) error_ = out_->error();
  return ok;
}

bool PcapWriter::Write(const Packet& pkt) {
  if (closed_) {
    error_ = "write to a closed savefile";
    return false;
  }
  uint32_t caplen = std::min(pkt.caplen, info_.snaplen == 0 ? pkt.caplen : info_.snaplen);
  uint32_t h[4] = {
      static_cast<uint32_t>(pkt.ts_sec),
      info_.nanosecond ? pkt.ts_nsec : pkt.ts_nsec / 1000,
      caplen,
      std::max(pkt.len, caplen),
  };
  return Check(out_->Write(h, sizeof h) && out_->Write(pkt.data, caplen));
}

bool PcapWriter::Flush() { return Check(out_->Flush()); }

bool PcapWriter::Close(const CaptureStats* /*stats*/) {
  closed_ = true;
  return Check(out_->Close());
}

}  // namespace bpfcap::capture
