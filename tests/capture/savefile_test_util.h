// Helpers shared by the savefile tests: sample packets, owned copies of what
// a reader returned, temporary directories, in-memory files, and running a
// command to collect its output, and the savefile variants.
#pragma once

#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "capture/packet_source.h"
#include "capture/savefile.h"
#include "capture/savefile_io.h"

namespace bpfcap::capture::testing {

struct OwnedPacket {
  int64_t ts_sec = 0;
  uint32_t ts_nsec = 0;
  uint32_t caplen = 0;
  uint32_t len = 0;
  std::vector<uint8_t> data;
  Direction direction = Direction::kUnknown;

  Packet View() const {
    Packet p;
    p.ts_sec = ts_sec;
    p.ts_nsec = ts_nsec;
    p.caplen = caplen;
    p.len = len;
    p.data = data.data();
    p.direction = direction;
    return p;
  }
  bool operator==(const OwnedPacket&) const = default;
};

inline std::ostream& operator<<(std::ostream& os, const OwnedPacket& p) {
  return os << "{ts " << p.ts_sec << "." << p.ts_nsec << " caplen " << p.caplen << " len " << p.len
            << " dir " << static_cast<int>(p.direction) << "}";
}

inline OwnedPacket Own(const Packet& p) {
  OwnedPacket o;
  o.ts_sec = p.ts_sec;
  o.ts_nsec = p.ts_nsec;
  o.caplen = p.caplen;
  o.len = p.len;
  o.data.assign(p.data, p.data + p.caplen);
  o.direction = p.direction;
  return o;
}

// An Ethernet + IPv4 + UDP frame of `size` bytes (>= 42) that tcpdump prints
// on one line; the UDP ports and payload vary with `seq`.
inline std::vector<uint8_t> UdpFrame(uint32_t size, uint32_t seq) {
  std::vector<uint8_t> f(size, 0);
  const uint8_t head[] = {
      0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x08, 0x00,   // Ethernet
      0x45, 0, 0, 0, 0, 0, 0x40, 0, 0x40, 17, 0, 0,                  // IPv4, UDP
      10, 0, 0, 1, 10, 0, 0, 2,
      0x30, 0x39, 0, 0, 0, 0, 0, 0,                                  // UDP 12345 -> 2000 + seq
  };
  std::copy(std::begin(head), std::end(head), f.begin());
  uint32_t ip_len = size - 14, udp_len = size - 34;
  f[16] = static_cast<uint8_t>(ip_len >> 8);
  f[17] = static_cast<uint8_t>(ip_len);
  uint32_t dport = 2000 + seq % 1000;
  f[36] = static_cast<uint8_t>(dport >> 8);
  f[37] = static_cast<uint8_t>(dport);
  f[38] = static_cast<uint8_t>(udp_len >> 8);
  f[39] = static_cast<uint8_t>(udp_len);
  for (uint32_t i = 42; i < size; ++i) f[i] = static_cast<uint8_t>(i * 7 + seq);
  return f;
}

// A varied set: sizes from 42 to 9000, one cut short (caplen < len), one
// with nanoseconds that don't round to microseconds, both directions.
inline std::vector<OwnedPacket> SamplePackets() {
  const struct {
    int64_t sec;
    uint32_t nsec;
    uint32_t size;
    uint32_t caplen;  // 0: whole frame
    Direction dir;
  } kRows[] = {
      {1700000000, 0, 60, 0, Direction::kUnknown},
      {1700000000, 123456789, 42, 0, Direction::kInbound},
      {1700000001, 999999999, 1514, 0, Direction::kOutbound},
      {1700000002, 1000, 9000, 0, Direction::kInbound},
      {1700000002, 1999, 1514, 96, Direction::kUnknown},
      {0, 1, 43, 0, Direction::kOutbound},
      {4294967295, 500000000, 61, 0, Direction::kUnknown},
  };
  std::vector<OwnedPacket> out;
  uint32_t seq = 0;
  for (const auto& r : kRows) {
    OwnedPacket p;
    p.ts_sec = r.sec;
    p.ts_nsec = r.nsec;
    p.data = UdpFrame(r.size, seq++);
    p.len = r.size;
    if (r.caplen != 0) p.data.resize(r.caplen);
    p.caplen = static_cast<uint32_t>(p.data.size());
    p.direction = r.dir;
    out.push_back(p);
  }
  return out;
}

// What a reader returned until it stopped.
struct ReadResult {
  std::vector<OwnedPacket> packets;
  ReadStatus last = ReadStatus::kEnd;
  std::string error;
};

inline ReadResult ReadAll(PacketSource* src, size_t max_packets = 1000000) {
  ReadResult r;
  Packet p;
  for (;;) {
    r.last = src->Next(&p, -1);
    if (r.last != ReadStatus::kPacket) break;
    r.packets.push_back(Own(p));
    if (r.packets.size() > max_packets) break;
  }
  r.error = src->error();
  return r;
}

// A directory under /tmp removed with everything in it at destruction.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/bpfcap_savefile_XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline std::vector<uint8_t> ReadFileBytes(const std::string& path) {
  std::vector<uint8_t> bytes;
  FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return bytes;
  uint8_t buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) bytes.insert(bytes.end(), buf, buf + n);
  std::fclose(f);
  return bytes;
}

// An InputFile over an in-memory copy of `bytes` (a memfd).
inline std::unique_ptr<InputFile> MemoryInput(const uint8_t* bytes, size_t n, std::string name = "memory") {
  int fd = memfd_create("savefile_test", MFD_CLOEXEC);
  if (fd < 0) return nullptr;
  size_t done = 0;
  while (done < n) {
    ssize_t w = ::write(fd, bytes + done, n - done);
    if (w <= 0) break;
    done += static_cast<size_t>(w);
  }
  ::lseek(fd, 0, SEEK_SET);
  return std::make_unique<InputFile>(fd, true, std::move(name));
}
inline std::unique_ptr<InputFile> MemoryInput(const std::vector<uint8_t>& bytes, std::string name = "memory") {
  return MemoryInput(bytes.data(), bytes.size(), std::move(name));
}

// Writes `packets` to `path` in `format`; empty string or the error.
inline std::string WriteFile(const std::string& path, SavefileFormat format, const SinkInfo& info,
                             const std::vector<OwnedPacket>& packets, const CaptureStats* stats = nullptr) {
  std::string error;
  std::unique_ptr<PacketSink> sink = CreateSavefile(path, format, info, &error);
  if (sink == nullptr) return error;
  for (const OwnedPacket& p : packets)
    if (!sink->Write(p.View())) return sink->error();
  if (!sink->Close(stats)) return sink->error();
  return "";
}

// Runs a shell command; returns its standard output and sets *status.
inline std::string RunCommand(const std::string& command, int* status) {
  std::string out;
  FILE* p = popen(command.c_str(), "r");
  if (p == nullptr) {
    *status = -1;
    return out;
  }
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  *status = pclose(p);
  return out;
}

inline bool HaveCommand(const std::string& name) {
  int status = 0;
  RunCommand("command -v " + name + " >/dev/null 2>&1", &status);
  return status == 0;
}

// The packet as a reader of a microsecond file returns it.
inline OwnedPacket AtMicroseconds(OwnedPacket p) {
  p.ts_nsec = p.ts_nsec / 1000 * 1000;
  return p;
}

// The four savefile flavours the parameterized tests run over.
struct Variant {
  SavefileFormat format;
  bool nanosecond;
  const char* name;
};

inline constexpr Variant kVariants[] = {
    {SavefileFormat::kPcap, false, "PcapMicro"},
    {SavefileFormat::kPcap, true, "PcapNano"},
    {SavefileFormat::kPcapng, false, "PcapngMicro"},
    {SavefileFormat::kPcapng, true, "PcapngNano"},
};

inline void PrintTo(const Variant& v, std::ostream* os) { *os << v.name; }
inline std::string VariantName(const ::testing::TestParamInfo<Variant>& i) { return i.param.name; }

}  // namespace bpfcap::capture::testing
