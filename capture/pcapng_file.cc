// pcapng block layout (all fields in the section's byte order):
//
//   type u32, total_length u32, body, total_length u32 again
//   total_length counts all of it, is >= 12 and a multiple of 4
//
//   SHB 0x0a0d0d0a  byte_order_magic u32 (0x1a2b3c4d), major u16 (1),
//                   minor u16, section_length i64, options
//   IDB 1           linktype u16, reserved u16, snaplen u32, options
//   PB  2           if_id u16, drops u16, ts_high u32, ts_low u32, caplen u32,
//                   len u32, data (padded to 4), options      (obsolete)
//   SPB 3           len u32, data (padded to 4); caplen is implied
//   ISB 5           if_id u32, ts_high u32, ts_low u32, options
//   EPB 6           if_id u32, ts_high u32, ts_low u32, caplen u32, len u32,
//                   data (padded to 4), options
//
// Options: code u16, length u16, value padded to 4; code 0 ends the list.
#include "capture/pcapng_file.h"

#include <time.h>

#include <algorithm>
#include <cstring>
#include <string_view>

#include "capture/linktype_map.h"
#include "capture/pcap_file.h"

namespace bpfcap::capture {
namespace {

constexpr uint32_t kByteOrderMagic = 0x1a2b3c4d;
constexpr uint32_t kMaxBlockBytes = kMaxRecordBytes + 65536;

enum BlockType : uint32_t {
  kInterfaceDescription = 1,
  kObsoletePacket = 2,
  kSimplePacket = 3,
  kInterfaceStatistics = 5,
  kEnhancedPacket = 6,
};

struct BlockName {
  uint32_t type;
  std::string_view name;
};
constexpr BlockName kBlockNames[] = {
    {kPcapngSectionHeader, "section header block"},
    {kInterfaceDescription, "interface description block"},
    {kObsoletePacket, "packet block"},
    {kSimplePacket, "simple packet block"},
    {4, "name resolution block"},
    {kInterfaceStatistics, "interface statistics block"},
    {kEnhancedPacket, "enhanced packet block"},
};

std::string Name(uint32_t type) {
  for (const BlockName& b : kBlockNames)
    if (b.type == type) return std::string(b.name);
  char buf[40];
  std::snprintf(buf, sizeof buf, "block of type 0x%08x", type);
  return buf;
}

std::string At(uint64_t offset) { return " at byte " + std::to_string(offset); }

// Option codes we read or write.
enum OptionCode : uint16_t {
  kOptEnd = 0,
  kShbUserAppl = 4,
  kIfName = 2,
  kIfFilter = 11,
  kIfTsresol = 9,
  kIfTsoffset = 14,
  kEpbFlags = 2,
  kIsbStartTime = 2,
  kIsbEndTime = 3,
  kIsbIfRecv = 4,
  kIsbIfDrop = 5,
  kIsbOsDrop = 7,
};

constexpr size_t Pad4(size_t n) { return (n + 3) & ~size_t{3}; }

// Walks the options in [p, p + n): calls visit(code, value, length) for
// each until opt_endofopt or the end (the end option may be omitted).
// Returns "" or what is wrong; visit returns "" or its own complaint.
template <typename Visit>
std::string ForEachOption(const uint8_t* p, size_t n, bool swap, Visit visit) {
  size_t i = 0;
  while (n - i >= 4) {
    uint16_t code = Load16(p + i, swap);
    uint16_t length = Load16(p + i + 2, swap);
    if (code == kOptEnd) return "";
    if (Pad4(length) > n - i - 4)
      return "option " + std::to_string(code) + " of length " + std::to_string(length) +
             " runs past the end of the block";
    std::string complaint = visit(code, p + i + 4, length);
    if (!complaint.empty()) return complaint;
    i += 4 + Pad4(length);
  }
  return "";
}

uint64_t Pow10(unsigned n) {
  uint64_t v = 1;
  while (n-- > 0) v *= 10;
  return v;
}

Direction DirectionFromFlags(uint32_t flags) {
  switch (flags & 3) {
    case 1: return Direction::kInbound;
    case 2: return Direction::kOutbound;
    default: return Direction::kUnknown;
  }
}

}  // namespace

// ---------------------------------------------------------------- reading

std::unique_ptr<PcapngReader> PcapngReader::Open(std::unique_ptr<InputFile> in, std::string* error) {
  size_t got = in->Fill(4);
  uint32_t type = 0;
  if (got == 4) std::memcpy(&type, in->Peek(), 4);
  if (type != kPcapngSectionHeader) {
    *error = "not a pcapng file: no section header block at byte 0";
    return nullptr;
  }
  std::unique_ptr<PcapngReader> r(new PcapngReader(std::move(in)));
  while (r->interfaces_.empty()) {
    Step step = r->ReadBlock(nullptr);
    if (step == Step::kError) {
      *error = r->error_;
      return nullptr;
    }
    if (step == Step::kEnd) {
      *error = "pcapng file has no interface description block before its end" + At(r->in_->offset());
      return nullptr;
    }
  }
  return r;
}

PcapngReader::Step PcapngReader::Fail(std::string message) {
  failed_ = true;
  error_ = std::move(message);
  return Step::kError;
}

ReadStatus PcapngReader::Next(Packet* out, int /*timeout_ms*/) {
  if (failed_) return ReadStatus::kError;
  if (interrupted_.exchange(false, std::memory_order_relaxed)) return ReadStatus::kInterrupted;
  for (;;) {
    switch (ReadBlock(out)) {
      case Step::kPacket: return ReadStatus::kPacket;
      case Step::kSkipped: continue;
      case Step::kEnd: return ReadStatus::kEnd;
      case Step::kError: return ReadStatus::kError;
    }
  }
}

bool PcapngReader::Stats(CaptureStats* stats) const {
  if (!have_stats_) return false;
  *stats = stats_;
  return true;
}

// Reads one whole block and hands its body to the handler for its type.
// `out` is nullptr while Open() looks for the first interface: a packet
// block then is an error (it names an interface not defined yet).
PcapngReader::Step PcapngReader::ReadBlock(Packet* out) {
  uint64_t at = in_->offset();
  size_t got = in_->Fill(12);
  if (!in_->read_error().empty()) return Fail(in_->read_error() + At(at));
  if (got == 0 && sections_ > 0) return Step::kEnd;
  if (got < 12)
    return Fail("truncated block header" + At(at) + ": " + std::to_string(got) + " of 12 bytes");
  const uint8_t* p = in_->Peek();
  uint32_t type = Load32(p, swap_);
  if (type == kPcapngSectionHeader) {  // its byte-order magic sets the order
    uint32_t bom;
    std::memcpy(&bom, p + 8, 4);
    if (bom == kByteOrderMagic) {
      swap_ = false;
    } else if (__builtin_bswap32(bom) == kByteOrderMagic) {
      swap_ = true;
    } else {
      char hex[16];
      std::snprintf(hex, sizeof hex, "0x%08x", bom);
      return Fail("section header block" + At(at) + " has bad byte-order magic " + hex);
    }
  } else if (sections_ == 0) {
    return Fail("pcapng file does not start with a section header block");
  }
  uint32_t total = Load32(p + 4, swap_);
  if (total < 12 || total % 4 != 0 || total > kMaxBlockBytes)
    return Fail(Name(type) + At(at) + " has invalid length " + std::to_string(total) +
                (total < 12 ? " (less than 12)"
                 : total % 4 ? " (not a multiple of 4)"
                             : " (more than " + std::to_string(kMaxBlockBytes) + ")"));
  got = in_->Fill(total);
  if (!in_->read_error().empty()) return Fail(in_->read_error() + At(at));
  if (got < total)
    return Fail("truncated " + Name(type) + At(at) + ": " + std::to_string(got) + " of " +
                std::to_string(total) + " bytes");
  p = in_->Peek();
  uint32_t trailer = Load32(p + total - 4, swap_);
  if (trailer != total)
    return Fail(Name(type) + At(at) + " has trailing length " + std::to_string(trailer) +
                ", leading length " + std::to_string(total));
  const uint8_t* body = p + 8;
  size_t n = total - 12;
  Step step = Step::kSkipped;
  switch (type) {
    case kPcapngSectionHeader: step = OnSectionHeader(body, n, at); break;
    case kInterfaceDescription: step = OnInterface(body, n, at); break;
    case kInterfaceStatistics: step = OnStatistics(body, n, at); break;
    case kObsoletePacket:
    case kSimplePacket:
    case kEnhancedPacket: {
      Packet ignored;
      step = OnPacket(type, body, n, at, out != nullptr ? out : &ignored);
      break;
    }
    default: break;  // unknown or uninteresting: skip
  }
  // The packet's data stays in the input buffer until the next Fill().
  if (step != Step::kError) in_->Consume(total);
  return step;
}

PcapngReader::Step PcapngReader::OnSectionHeader(const uint8_t* body, size_t n, uint64_t at) {
  if (n < 16) return Fail("section header block" + At(at) + " is too short: " + std::to_string(n + 12) + " bytes");
  uint16_t major = Load16(body + 4, swap_);
  uint16_t minor = Load16(body + 6, swap_);
  if (major != 1)
    return Fail("section header block" + At(at) + " has unsupported version " + std::to_string(major) + "." +
                std::to_string(minor));
  std::string bad = ForEachOption(body + 16, n - 16, swap_,
                                  [](uint16_t, const uint8_t*, uint16_t) { return std::string(); });
  if (!bad.empty()) return Fail("section header block" + At(at) + ": " + bad);
  interfaces_.clear();
  ++sections_;
  return Step::kSkipped;
}

PcapngReader::Step PcapngReader::OnInterface(const uint8_t* body, size_t n, uint64_t at) {
  std::string where = "interface description block" + At(at);
  if (n < 8) return Fail(where + " is too short: " + std::to_string(n + 12) + " bytes");
  Interface ifc;
  uint32_t linktype = Load16(body, swap_);
  ifc.dlt = LinkTypeToDlt(linktype);
  ifc.snaplen = Load32(body + 4, swap_);
  ifc.max_caplen = std::min(kMaxRecordBytes, std::max(ifc.snaplen, kDefaultMaxSnaplen));
  std::string name;
  std::string bad = ForEachOption(body + 8, n - 8, swap_, [&](uint16_t code, const uint8_t* v, uint16_t len) {
    if (code == kIfName) {
      name.assign(reinterpret_cast<const char*>(v), strnlen(reinterpret_cast<const char*>(v), len));
    } else if (code == kIfTsresol) {
      if (len != 1) return "if_tsresol has length " + std::to_string(len) + ", not 1";
      unsigned exp = v[0] & 0x7f;
      if (v[0] & 0x80) {
        if (exp > 63) return "if_tsresol 2^-" + std::to_string(exp) + " is out of range";
        ifc.units_per_sec = uint64_t{1} << exp;
      } else {
        if (exp > 19) return "if_tsresol 10^-" + std::to_string(exp) + " is out of range";
        ifc.units_per_sec = Pow10(exp);
      }
    } else if (code == kIfTsoffset) {
      if (len != 8) return "if_tsoffset has length " + std::to_string(len) + ", not 8";
      ifc.offset_sec = static_cast<int64_t>(Load64(v, swap_));
    }
    return std::string();
  });
  if (!bad.empty()) return Fail(where + ": " + bad);
  if (dlt_ < 0) {
    dlt_ = ifc.dlt;
    snaplen_ = (ifc.snaplen == 0 || ifc.snaplen > kDefaultMaxSnaplen) ? kDefaultMaxSnaplen : ifc.snaplen;
    nanosecond_ = ifc.units_per_sec >= 1000000000;
    if_name_ = name;
  } else if (ifc.dlt != dlt_) {
    return Fail(where + " has link type " + std::to_string(linktype) + ", unlike the first interface's DLT " +
                std::to_string(dlt_) + " (interfaces with different link types are not supported)");
  }
  interfaces_.push_back(ifc);
  return Step::kSkipped;
}

PcapngReader::Step PcapngReader::OnPacket(uint32_t type, const uint8_t* body, size_t n, uint64_t at,
                                          Packet* out) {
  size_t fixed = type == kSimplePacket ? 4 : 20;
  if (n < fixed) return Fail(Name(type) + At(at) + " is too short: " + std::to_string(n + 12) + " bytes");
  uint32_t if_id = 0, caplen = 0, len = 0, ts_high = 0, ts_low = 0;
  if (type == kSimplePacket) {
    len = Load32(body, swap_);
  } else {
    if_id = type == kObsoletePacket ? Load16(body, swap_) : Load32(body, swap_);
    ts_high = Load32(body + 4, swap_);
    ts_low = Load32(body + 8, swap_);
    caplen = Load32(body + 12, swap_);
    len = Load32(body + 16, swap_);
  }
  if (if_id >= interfaces_.size())
    return Fail(Name(type) + At(at) + " refers to interface " + std::to_string(if_id) + ", but the section defines " +
                std::to_string(interfaces_.size()));
  const Interface& ifc = interfaces_[if_id];
  if (type == kSimplePacket) {
    caplen = static_cast<uint32_t>(std::min<size_t>(len, n - fixed));
    if (ifc.snaplen != 0) caplen = std::min(caplen, ifc.snaplen);
  } else if (caplen > n - fixed) {
    return Fail(Name(type) + At(at) + " has caplen " + std::to_string(caplen) + ", more than the " +
                std::to_string(n - fixed) + " bytes of its body");
  }
  if (caplen > ifc.max_caplen)
    return Fail(Name(type) + At(at) + " has caplen " + std::to_string(caplen) + ", more than the maximum " +
                std::to_string(ifc.max_caplen));
  Direction direction = Direction::kUnknown;
  if (type != kSimplePacket) {
    size_t opt_at = fixed + Pad4(caplen);
    std::string bad = ForEachOption(body + std::min(opt_at, n), n - std::min(opt_at, n), swap_,
                                    [&](uint16_t code, const uint8_t* v, uint16_t olen) {
                                      if (code == kEpbFlags && olen == 4) direction = DirectionFromFlags(Load32(v, swap_));
                                      return std::string();
                                    });
    if (!bad.empty()) return Fail(Name(type) + At(at) + ": " + bad);
  }
  // A simple packet block has no timestamp: 0, not the interface's offset.
  uint64_t ts = (uint64_t{ts_high} << 32) | ts_low;
  uint64_t ups = ifc.units_per_sec;
  out->ts_sec = type == kSimplePacket ? 0 : static_cast<int64_t>(ts / ups) + ifc.offset_sec;
  out->ts_nsec = static_cast<uint32_t>(static_cast<unsigned __int128>(ts % ups) * 1000000000u / ups);
  out->caplen = caplen;
  out->len = std::max(len, caplen);
  out->data = body + fixed;
  out->ifindex = 0;
  out->direction = direction;
  return Step::kPacket;
}

PcapngReader::Step PcapngReader::OnStatistics(const uint8_t* body, size_t n, uint64_t at) {
  std::string where = "interface statistics block" + At(at);
  if (n < 12) return Fail(where + " is too short: " + std::to_string(n + 12) + " bytes");
  CaptureStats s;
  std::string bad = ForEachOption(body + 12, n - 12, swap_, [&](uint16_t code, const uint8_t* v, uint16_t len) {
    if (len != 8) return std::string();
    uint64_t value = Load64(v, swap_);
    if (code == kIsbIfRecv) s.received = value;
    if (code == kIsbIfDrop) s.if_dropped = value;
    if (code == kIsbOsDrop) s.dropped = value;
    return std::string();
  });
  if (!bad.empty()) return Fail(where + ": " + bad);
  stats_ = s;
  have_stats_ = true;
  return Step::kSkipped;
}

// ---------------------------------------------------------------- writing

std::unique_ptr<PcapngWriter> PcapngWriter::Open(std::unique_ptr<OutputFile> out, const SinkInfo& info,
                                                 std::string* error) {
  std::unique_ptr<PcapngWriter> w(new PcapngWriter(std::move(out), info));
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  w->start_sec_ = now.tv_sec;
  w->start_nsec_ = static_cast<uint32_t>(now.tv_nsec);

  w->BeginBlock(kPcapngSectionHeader);
  AppendValue<uint32_t>(&w->block_, kByteOrderMagic);
  AppendValue<uint16_t>(&w->block_, 1);
  AppendValue<uint16_t>(&w->block_, 0);
  AppendValue<int64_t>(&w->block_, -1);  // section length unknown: no seeking back
  w->AddOption(kShbUserAppl, "bpfcap", 6);
  bool ok = w->EndBlock(true);

  w->BeginBlock(kInterfaceDescription);
  AppendValue<uint16_t>(&w->block_, static_cast<uint16_t>(DltToLinkType(info.link_type)));
  AppendValue<uint16_t>(&w->block_, 0);
  AppendValue<uint32_t>(&w->block_, info.snaplen);
  if (!info.if_name.empty())
    w->AddOption(kIfName, info.if_name.data(), static_cast<uint16_t>(std::min<size_t>(info.if_name.size(), 65535)));
  if (!info.filter.empty()) {  // first byte 0: a libpcap filter string
    std::string value(1, '\0');
    value += info.filter.substr(0, 65534);
    w->AddOption(kIfFilter, value.data(), static_cast<uint16_t>(value.size()));
  }
  uint8_t tsresol = info.nanosecond ? 9 : 6;
  w->AddOption(kIfTsresol, &tsresol, 1);
  ok = ok && w->EndBlock(true) && w->out_->Flush();
  if (!ok) {
    *error = w->out_->error();
    return nullptr;
  }
  return w;
}

PcapngWriter::~PcapngWriter() { Close(); }

uint64_t PcapngWriter::Units(int64_t sec, uint32_t nsec) const {
  return info_.nanosecond ? static_cast<uint64_t>(sec) * 1000000000u + nsec
                          : static_cast<uint64_t>(sec) * 1000000u + nsec / 1000;
}

void PcapngWriter::BeginBlock(uint32_t type) {
  block_.clear();
  AppendValue<uint32_t>(&block_, type);
  AppendValue<uint32_t>(&block_, 0);  // total length, set by EndBlock()
}

void PcapngWriter::AddOption(uint16_t code, const void* value, uint16_t length) {
  AppendValue<uint16_t>(&block_, code);
  AppendValue<uint16_t>(&block_, length);
  Append(&block_, value, length);
  block_.resize(Pad4(block_.size()), 0);
}

bool PcapngWriter::EndBlock(bool has_options) {
  if (has_options) AppendValue<uint32_t>(&block_, 0);  // opt_endofopt, length 0
  uint32_t total = static_cast<uint32_t>(block_.size() + 4);
  std::memcpy(block_.data() + 4, &total, 4);
  AppendValue<uint32_t>(&block_, total);
  return out_->Write(block_.data(), block_.size());
}

bool PcapngWriter::Check(bool ok) {
  if (!ok) error_ = out_->error();
  return ok;
}

bool PcapngWriter::Write(const Packet& pkt) {
  if (closed_) {
    error_ = "write to a closed savefile";
    return false;
  }
  uint32_t caplen = std::min(pkt.caplen, info_.snaplen == 0 ? pkt.caplen : info_.snaplen);
  uint64_t ts = Units(pkt.ts_sec, pkt.ts_nsec);
  BeginBlock(kEnhancedPacket);
  uint32_t fixed[5] = {0, static_cast<uint32_t>(ts >> 32), static_cast<uint32_t>(ts), caplen,
                       std::max(pkt.len, caplen)};
  Append(&block_, fixed, sizeof fixed);
  Append(&block_, pkt.data, caplen);
  block_.resize(Pad4(block_.size()), 0);
  bool has_flags = pkt.direction != Direction::kUnknown;
  if (has_flags) {
    uint32_t flags = pkt.direction == Direction::kInbound ? 1 : 2;
    AddOption(kEpbFlags, &flags, 4);
  }
  return Check(EndBlock(has_flags));
}

bool PcapngWriter::Flush() { return Check(out_->Flush()); }

bool PcapngWriter::Close(const CaptureStats* stats) {
  if (closed_) return error_.empty();
  closed_ = true;
  bool ok = true;
  if (stats != nullptr) {
    timespec now{};
    clock_gettime(CLOCK_REALTIME, &now);
    uint64_t end = Units(now.tv_sec, static_cast<uint32_t>(now.tv_nsec));
    uint64_t start = Units(start_sec_, start_nsec_);
    BeginBlock(kInterfaceStatistics);
    uint32_t fixed[3] = {0, static_cast<uint32_t>(end >> 32), static_cast<uint32_t>(end)};
    Append(&block_, fixed, sizeof fixed);
    uint32_t start_words[2] = {static_cast<uint32_t>(start >> 32), static_cast<uint32_t>(start)};
    uint32_t end_words[2] = {static_cast<uint32_t>(end >> 32), static_cast<uint32_t>(end)};
    AddOption(kIsbStartTime, start_words, 8);
    AddOption(kIsbEndTime, end_words, 8);
    AddOption(kIsbIfRecv, &stats->received, 8);
    AddOption(kIsbIfDrop, &stats->if_dropped, 8);
    AddOption(kIsbOsDrop, &stats->dropped, 8);
    ok = EndBlock(true);
  }
  ok = out_->Close() && ok;
  return Check(ok);
}

}  // namespace bpfcap::capture
