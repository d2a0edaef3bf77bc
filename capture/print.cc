#include "capture/print.h"

#include <net/if.h>

#include <cstring>

#include "capture/print/layers.h"
#include "capture/print/text.h"

namespace bpfcap::capture {

TimestampFormat TimestampFromCount(int t_count) {
  constexpr TimestampFormat kByCount[] = {
      TimestampFormat::kTime,  TimestampFormat::kNone, TimestampFormat::kEpoch,
      TimestampFormat::kDelta, TimestampFormat::kDate, TimestampFormat::kSinceFirst,
  };
  if (t_count < 0) t_count = 0;
  if (t_count > 5) t_count = 5;
  return kByCount[t_count];
}

HexDump HexFromCounts(int x_count, int X_count) {
  if (X_count > 0) return X_count + x_count > 1 ? HexDump::kHexAsciiLink : HexDump::kHexAscii;
  if (x_count > 0) return x_count > 1 ? HexDump::kHexLink : HexDump::kHex;
  return HexDump::kNone;
}

namespace print {

size_t TcpSeqTable::KeyHash::operator()(const Key& k) const {
  // FNV-1a; the key is small and fixed-size.
  uint64_t h = 1469598103934665603ull;
  for (uint8_t byte : k.bytes) h = (h ^ byte) * 1099511628211ull;
  return static_cast<size_t>(h);
}

bool TcpSeqTable::Lookup(const uint8_t* src, const uint8_t* dst, size_t addr_len,
                         uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack,
                         bool syn, Bases* out) {
  // Endpoint = address bytes + port; the lower endpoint goes first so that
  // both directions find the same entry.
  uint8_t a[18] = {}, b[18] = {};
  std::memcpy(a, src, addr_len);
  std::memcpy(b, dst, addr_len);
  a[16] = static_cast<uint8_t>(sport >> 8), a[17] = static_cast<uint8_t>(sport);
  b[16] = static_cast<uint8_t>(dport >> 8), b[17] = static_cast<uint8_t>(dport);
  int dir = std::memcmp(a, b, sizeof a) <= 0 ? 0 : 1;  // 0: lower→upper
  Key key;
  std::memcpy(key.bytes.data(), dir == 0 ? a : b, 18);
  std::memcpy(key.bytes.data() + 18, dir == 0 ? b : a, 18);
  auto it = conns_.find(key);
  if (it == conns_.end() || syn) {
    if (conns_.size() >= kMaxConnections) conns_.clear();
    Entry& e = conns_[key];
    e.base[dir] = seq;
    e.base[1 - dir] = ack - 1;
    out->seq = seq;
    out->ack = ack - 1;
    return false;
  }
  out->seq = it->second.base[dir];
  out->ack = it->second.base[1 - dir];
  return true;
}

const std::string& IfNames::Name(uint32_t ifindex) {
  auto it = names_.find(ifindex);
  if (it != names_.end()) return it->second;
  char buf[IF_NAMESIZE + 1] = {};
  std::string name = if_indextoname(ifindex, buf) != nullptr ? buf : "?";
  return names_.emplace(ifindex, name).first->second;
}

}  // namespace print

bool PrinterSupportsLinkType(int dlt) {
  switch (dlt) {
    case 0: case 1: case 12: case 108: case 113: case 276:
      return true;
    default:
      return false;
  }
}

PacketPrinter::PacketPrinter(int dlt, PrintOptions options)
    : dlt_(dlt), options_(options), state_(std::make_unique<print::PrinterState>()) {}

PacketPrinter::~PacketPrinter() = default;

void PacketPrinter::Append(const Packet& pkt, std::string* out) {
  print::AppendTimestamp(options_, *state_, pkt, out);
  print::Ctx c(options_, out, *state_);
  print::Bytes frame(pkt.data, pkt.data == nullptr ? 0 : pkt.caplen);
  uint32_t len = pkt.len < pkt.caplen ? pkt.caplen : pkt.len;
  size_t header = print::PrintLink(c, dlt_, frame, len);
  if (c.truncated) header = 0;
  switch (options_.hex) {
    case HexDump::kNone:
      if (c.dump_payload) print::AppendHexDump(out, c.payload, true);
      break;
    case HexDump::kHex:
      print::AppendHexDump(out, frame.From(header), false);
      break;
    case HexDump::kHexLink:
      print::AppendHexDump(out, frame, false);
      break;
    case HexDump::kHexAscii:
      print::AppendHexDump(out, frame.From(header), true);
      break;
    case HexDump::kHexAsciiLink:
      print::AppendHexDump(out, frame, true);
      break;
  }
  out->push_back('\n');
}

std::string PacketPrinter::Format(const Packet& pkt) {
  std::string out;
  Append(pkt, &out);
  return out;
}

}  // namespace bpfcap::capture
