// Damaged savefiles: every truncation of valid files, and seeded random byte
// flips and garbage. The readers must always stop with kEnd or kError (one
// line), never crash, hang or return more packets than the bytes allow.
// Truncations are checked exactly: the packets wholly before the cut come
// out, then kEnd if the cut is on a record/block boundary, else kError.
// Run under `make check-asan` as well.
#include <gtest/gtest.h>

#include <random>

#include "capture/savefile.h"
#include "tests/capture/savefile_fixtures.h"
#include "tests/capture/savefile_test_util.h"

namespace bpfcap::capture {
namespace {

using testing::Bytes;
using testing::MemoryInput;
using testing::ReadAll;
using testing::ReadResult;

struct Input {
  std::string name;
  Bytes bytes;
};

// Our writers' output for the sample packets, and the hand-built fixtures.
std::vector<Input> Inputs() {
  std::vector<Input> inputs;
  testing::TempDir dir;
  for (SavefileFormat format : {SavefileFormat::kPcap, SavefileFormat::kPcapng}) {
    for (bool nanosecond : {false, true}) {
      SinkInfo info;
      info.nanosecond = nanosecond;
      info.if_name = "eth0";
      info.filter = "tcp";
      std::vector<testing::OwnedPacket> packets = testing::SamplePackets();
      packets.resize(4);  // keep the files small: the truncation loop is quadratic
      packets[3].data.resize(100);
      packets[3].caplen = 100;
      CaptureStats stats{.received = 4, .dropped = 1, .if_dropped = 0};
      std::string path = dir.File("f");
      EXPECT_EQ(testing::WriteFile(path, format, info, packets, &stats), "");
      inputs.push_back({std::string(format == SavefileFormat::kPcap ? "pcap" : "pcapng") +
                            (nanosecond ? "-nano" : "-micro"),
                        testing::ReadFileBytes(path)});
    }
  }
  inputs.push_back({"pcap-be-fixture", testing::PcapBe()});
  inputs.push_back({"pcapng-two-sections-fixture", testing::PcapngTwoSections()});
  return inputs;
}

struct Boundary {
  size_t end;      // offset just past a record or block
  bool is_packet;
};

// Record/block ends of a valid file, found independently of the reader,
// and the offset where the header part Open() needs ends.
std::vector<Boundary> Boundaries(const Bytes& f, size_t* header_end) {
  std::vector<Boundary> out;
  auto load32 = [&](size_t at, bool swap) {
    uint32_t v = uint32_t{f[at]} | uint32_t{f[at + 1]} << 8 | uint32_t{f[at + 2]} << 16 | uint32_t{f[at + 3]} << 24;
    return swap ? __builtin_bswap32(v) : v;
  };
  if (load32(0, false) != 0x0a0d0d0a) {  // pcap
    bool swap = f[0] == 0xa1;
    *header_end = 24;
    for (size_t at = 24; at < f.size();) {
      at += 16 + load32(at + 8, swap);
      out.push_back({at, true});
    }
    return out;
  }
  bool swap = false;
  *header_end = 0;
  for (size_t at = 0; at < f.size();) {
    uint32_t type = load32(at, false);
    if (type == 0x0a0d0d0a) swap = f[at + 8] == 0x1a;
    type = load32(at, swap);
    at += load32(at + 4, swap);
    if (type == 1 && *header_end == 0) *header_end = at;
    out.push_back({at, type == 2 || type == 3 || type == 6});
  }
  return out;
}

TEST(SavefileFuzz, EveryTruncationEndsCleanlyAfterTheWholeRecords) {
  for (const Input& input : Inputs()) {
    size_t header_end = 0;
    std::vector<Boundary> bounds = Boundaries(input.bytes, &header_end);
    ASSERT_EQ(bounds.back().end, input.bytes.size()) << input.name;
    ReadResult full;
    {
      std::string error;
      std::unique_ptr<PacketSource> src = OpenSavefile(MemoryInput(input.bytes), &error);
      ASSERT_NE(src, nullptr) << input.name << ": " << error;
      full = ReadAll(src.get());
      ASSERT_EQ(full.last, ReadStatus::kEnd) << input.name << ": " << full.error;
    }
    for (size_t cut = 0; cut <= input.bytes.size(); ++cut) {
      SCOPED_TRACE(input.name + " cut at " + std::to_string(cut));
      std::string error;
      std::unique_ptr<PacketSource> src = OpenSavefile(MemoryInput(input.bytes.data(), cut), &error);
      if (cut < header_end) {
        EXPECT_EQ(src, nullptr);
        EXPECT_FALSE(error.empty());
        EXPECT_EQ(error.find('\n'), std::string::npos) << error;
        continue;
      }
      ASSERT_NE(src, nullptr) << error;
      ReadResult r = ReadAll(src.get());
      size_t whole = 0;
      bool on_boundary = false;
      for (const Boundary& b : bounds) {
        if (b.end <= cut && b.is_packet) ++whole;
        if (b.end == cut) on_boundary = true;
      }
      on_boundary = on_boundary || cut == header_end;
      EXPECT_EQ(r.last, on_boundary ? ReadStatus::kEnd : ReadStatus::kError) << r.error;
      ASSERT_EQ(r.packets.size(), whole) << r.error;
      for (size_t i = 0; i < whole; ++i) EXPECT_EQ(r.packets[i], full.packets[i]) << "packet " << i;
      if (r.last == ReadStatus::kError) {
        EXPECT_NE(r.error.find("truncated"), std::string::npos) << r.error;
        EXPECT_NE(r.error.find(" at byte "), std::string::npos) << r.error;
      }
    }
  }
}

// Reads damaged bytes to the end; checks only what must hold for any input.
void ReadDamaged(const Bytes& bytes, const std::string& what) {
  std::string error;
  std::unique_ptr<PacketSource> src = OpenSavefile(MemoryInput(bytes), &error);
  if (src == nullptr) {
    EXPECT_FALSE(error.empty()) << what;
    EXPECT_EQ(error.find('\n'), std::string::npos) << what << ": " << error;
    return;
  }
  // Every record or block takes at least 12 bytes of the file.
  size_t bound = bytes.size() / 12 + 1;
  ReadResult r = ReadAll(src.get(), bound);
  ASSERT_LE(r.packets.size(), bound) << what;
  ASSERT_TRUE(r.last == ReadStatus::kEnd || r.last == ReadStatus::kError) << what;
  if (r.last == ReadStatus::kError) {
    EXPECT_FALSE(r.error.empty()) << what;
    EXPECT_EQ(r.error.find('\n'), std::string::npos) << what << ": " << r.error;
    Packet p;
    EXPECT_EQ(src->Next(&p, -1), ReadStatus::kError) << what << ": errors stick";
  }
  for (const testing::OwnedPacket& p : r.packets) {
    EXPECT_LE(p.caplen, p.len) << what;
    EXPECT_LT(p.ts_nsec, 1000000000u) << what;
  }
}

TEST(SavefileFuzz, RandomByteFlipsNeverCrashOrHang) {
  std::mt19937 rng(20240501);
  for (const Input& input : Inputs()) {
    for (int round = 0; round < 1500; ++round) {
      Bytes damaged = input.bytes;
      int flips = 1 + static_cast<int>(rng() % 4);
      for (int i = 0; i < flips; ++i) {
        size_t at = rng() % damaged.size();
        damaged[at] ^= static_cast<uint8_t>(1 + rng() % 255);
      }
      ReadDamaged(damaged, input.name + " round " + std::to_string(round));
    }
  }
}

TEST(SavefileFuzz, LengthFieldsSetToExtremes) {
  std::mt19937 rng(7);
  const uint32_t kExtremes[] = {0, 1, 11, 12, 13, 0x7fffffff, 0x80000000, 0xfffffff0, 0xffffffff, 0x10000000};
  for (const Input& input : Inputs()) {
    for (int round = 0; round < 600; ++round) {
      Bytes damaged = input.bytes;
      size_t at = (rng() % (damaged.size() / 4)) * 4;  // an aligned 32-bit field
      uint32_t v = kExtremes[rng() % std::size(kExtremes)];
      for (int b = 0; b < 4 && at + static_cast<size_t>(b) < damaged.size(); ++b)
        damaged[at + static_cast<size_t>(b)] = static_cast<uint8_t>(v >> (8 * b));
      ReadDamaged(damaged, input.name + " extreme at " + std::to_string(at));
    }
  }
}

TEST(SavefileFuzz, GarbageAfterAValidHeader) {
  std::mt19937 rng(99);
  for (const Input& input : Inputs()) {
    size_t header_end = 0;
    Boundaries(input.bytes, &header_end);
    for (int round = 0; round < 300; ++round) {
      Bytes damaged(input.bytes.begin(), input.bytes.begin() + static_cast<long>(header_end));
      size_t n = rng() % 2000;
      for (size_t i = 0; i < n; ++i) damaged.push_back(static_cast<uint8_t>(rng()));
      ReadDamaged(damaged, input.name + " garbage round " + std::to_string(round));
    }
  }
}

}  // namespace
}  // namespace bpfcap::capture
