// Hand-built byte-level savefiles (tests/capture/savefile_fixtures.h):
// big-endian pcap (micro and nano) and a two-section pcapng (big-endian,
// then little-endian) exercising every block type the reader knows, and
// damaged copies of them with the exact error each must produce after the
// packets before the damage.
#include <gtest/gtest.h>

#include "capture/pcapng_file.h"
#include "capture/savefile.h"
#include "tests/capture/savefile_fixtures.h"
#include "tests/capture/savefile_test_util.h"

namespace bpfcap::capture {
namespace {

using testing::Bytes;
using testing::Cat;
using testing::kPcapBeHeader;
using testing::kPcapBeRecord1;
using testing::MemoryInput;
using testing::OwnedPacket;
using testing::PcapBe;
using testing::PcapngTwoSections;
using testing::ReadAll;
using testing::ReadResult;


// ------------------------------------------------------------ pcap, big-endian

ReadResult Read(const Bytes& bytes, std::string* open_error = nullptr) {
  std::string error;
  std::unique_ptr<PacketSource> src = OpenSavefile(MemoryInput(bytes, "F"), &error);
  if (src == nullptr) {
    if (open_error != nullptr) *open_error = error;
    ReadResult r;
    r.last = ReadStatus::kError;
    r.error = error;
    return r;
  }
  return ReadAll(src.get());
}

TEST(PcapBigEndian, Microseconds) {
  std::string error;
  std::unique_ptr<PacketSource> src = OpenSavefile(MemoryInput(PcapBe()), &error);
  ASSERT_NE(src, nullptr) << error;
  EXPECT_EQ(src->LinkType(), 12) << "LINKTYPE_RAW 101 is DLT_RAW 12";
  EXPECT_EQ(src->Snaplen(), 65535u);
  EXPECT_FALSE(src->NanosecondTimestamps());
  ReadResult r = ReadAll(src.get());
  EXPECT_EQ(r.last, ReadStatus::kEnd) << r.error;
  ASSERT_EQ(r.packets.size(), 2u);
  EXPECT_EQ(r.packets[0].ts_sec, 1600000000);
  EXPECT_EQ(r.packets[0].ts_nsec, 999999000u);
  EXPECT_EQ(r.packets[0].caplen, 20u);
  EXPECT_EQ(r.packets[0].len, 40u);
  EXPECT_EQ(r.packets[0].data, Bytes(kPcapBeRecord1.begin() + 16, kPcapBeRecord1.end()));
  EXPECT_EQ(r.packets[1].ts_sec, 1);
  EXPECT_EQ(r.packets[1].ts_nsec, 2000u);
  EXPECT_EQ(r.packets[1].data, (Bytes{0xde, 0xad, 0xbe, 0xef}));
}

TEST(PcapBigEndian, Nanoseconds) {
  Bytes file = Cat({kPcapBeHeader, {
      0x00, 0x00, 0x00, 0x01,  // 1 s
      0x3b, 0x9a, 0xc9, 0xff,  // 999999999 ns
      0x00, 0x00, 0x00, 0x00,  // caplen 0
      0x00, 0x00, 0x00, 0x3c,  // len 60
  }});
  file[2] = 0x3c;  // magic a1 b2 3c 4d: nanoseconds
  file[3] = 0x4d;
  std::string error;
  std::unique_ptr<PacketSource> src = OpenSavefile(MemoryInput(file), &error);
  ASSERT_NE(src, nullptr) << error;
  EXPECT_TRUE(src->NanosecondTimestamps());
  ReadResult r = ReadAll(src.get());
  EXPECT_EQ(r.last, ReadStatus::kEnd) << r.error;
  ASSERT_EQ(r.packets.size(), 1u);
  EXPECT_EQ(r.packets[0].ts_sec, 1);
  EXPECT_EQ(r.packets[0].ts_nsec, 999999999u);
  EXPECT_EQ(r.packets[0].caplen, 0u);
  EXPECT_EQ(r.packets[0].len, 60u);
}

TEST(PcapBigEndian, DamageGivesExactErrorAfterGoodPackets) {
  struct Case {
    const char* what;
    Bytes file;
    size_t good_packets;
    std::string error;
  };
  const Bytes good = PcapBe();
  Bytes big_caplen = PcapBe();
  big_caplen[60 + 8] = 0x10;  // record 2 caplen 0x10000004
  Bytes zero_snap_big = PcapBe();
  zero_snap_big[16] = zero_snap_big[17] = zero_snap_big[18] = zero_snap_big[19] = 0;
  zero_snap_big[60 + 9] = 0x04;  // caplen 0x00040004 = 262148
  const Case kCases[] = {
      {"cut in a record header", Bytes(good.begin(), good.begin() + 24 + 7), 0,
       "truncated packet record header at byte 24: 7 of 16 bytes"},
      {"cut in record data", Bytes(good.begin(), good.end() - 2), 1,
       "truncated packet record at byte 60: 2 of 4 data bytes"},
      {"caplen past 256 MiB", big_caplen, 1,
       "packet record at byte 60 has caplen 268435460, more than the maximum 262144"},
      {"caplen past the default bound, snaplen 0", zero_snap_big, 1,
       "packet record at byte 60 has caplen 262148, more than the maximum 262144"},
  };
  for (const Case& c : kCases) {
    ReadResult r = Read(c.file);
    EXPECT_EQ(r.last, ReadStatus::kError) << c.what;
    EXPECT_EQ(r.packets.size(), c.good_packets) << c.what;
    EXPECT_EQ(r.error, c.error) << c.what;
  }
}

// ------------------------------------------------------------ pcapng

TEST(PcapngBigEndian, TwoSectionsEveryBlockType) {
  Bytes file = PcapngTwoSections();
  ASSERT_EQ(file.size(), 360u);
  std::string error;
  std::unique_ptr<PacketSource> src = OpenSavefile(MemoryInput(file), &error);
  ASSERT_NE(src, nullptr) << error;
  auto* ng = dynamic_cast<PcapngReader*>(src.get());
  ASSERT_NE(ng, nullptr);
  EXPECT_EQ(src->LinkType(), 1);
  EXPECT_EQ(src->Snaplen(), 256u);
  EXPECT_FALSE(src->NanosecondTimestamps()) << "2^-10 s is coarser than a nanosecond";
  EXPECT_EQ(ng->if_name(), "eth0");
  ReadResult r = ReadAll(src.get());
  EXPECT_EQ(r.last, ReadStatus::kEnd) << r.error;
  EXPECT_EQ(ng->sections(), 2);
  const OwnedPacket kWant[] = {
      {101, 500000000, 5, 64, {1, 2, 3, 4, 5}, Direction::kOutbound},  // 1.5 s + if_tsoffset
      {0, 0, 6, 6, {0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f}, Direction::kUnknown},  // SPB: no time
      {102, 0, 3, 3, {0xaa, 0xbb, 0xcc}, Direction::kInbound},
      {1, 7, 4, 4, {0x11, 0x22, 0x33, 0x44}, Direction::kUnknown},  // section 2, nanoseconds
  };
  ASSERT_EQ(r.packets.size(), std::size(kWant));
  for (size_t i = 0; i < std::size(kWant); ++i) EXPECT_EQ(r.packets[i], kWant[i]) << "packet " << i;
  CaptureStats stats;
  ASSERT_TRUE(src->Stats(&stats));
  EXPECT_EQ(stats.received, 7u);
  EXPECT_EQ(stats.if_dropped, 3u);
  EXPECT_EQ(stats.dropped, 0u);
}

TEST(PcapngBigEndian, DamageGivesExactErrorAfterGoodPackets) {
  struct Case {
    const char* what;
    Bytes file;
    size_t good_packets;
    std::string error;
  };
  auto with = [](size_t at, std::initializer_list<uint8_t> bytes) {
    Bytes f = PcapngTwoSections();
    std::copy(bytes.begin(), bytes.end(), f.begin() + static_cast<long>(at));
    return f;
  };
  Bytes full = PcapngTwoSections();
  const Case kCases[] = {
      {"trailing length differs", with(96 + 48, {0, 0, 0, 0x30}), 0,
       "enhanced packet block at byte 96 has trailing length 48, leading length 52"},
      {"length not a multiple of 4", with(148 + 4, {0, 0, 0, 0x19}), 1,
       "simple packet block at byte 148 has invalid length 25 (not a multiple of 4)"},
      {"length below 12", with(148 + 4, {0, 0, 0, 0x08}), 1,
       "simple packet block at byte 148 has invalid length 8 (less than 12)"},
      {"length past the bound", with(148 + 4, {0x20, 0, 0, 0}), 1,
       "simple packet block at byte 148 has invalid length 536870912 (more than 268500992)"},
      {"undefined interface", with(96 + 8, {0, 0, 0, 1}), 0,
       "enhanced packet block at byte 96 refers to interface 1, but the section defines 1"},
      {"caplen past the body", with(96 + 20, {0, 0, 0, 0x15}), 0,
       "enhanced packet block at byte 96 has caplen 21, more than the 20 bytes of its body"},
      {"option past the block", with(96 + 38, {0, 0x0c}), 0,
       "enhanced packet block at byte 96: option 2 of length 12 runs past the end of the block"},
      {"second interface with another link type", with(296 + 8, {0x65}), 3,
       "interface description block at byte 296 has link type 101, unlike the first interface's DLT 1 "
       "(interfaces with different link types are not supported)"},
      {"bad byte-order magic in section 2", with(268 + 8, {0x4d, 0x3c, 0x2b, 0x1b}), 3,
       "section header block at byte 268 has bad byte-order magic 0x1b2b3c4d"},
      {"cut inside a block", Bytes(full.begin(), full.end() - 5), 3,
       "truncated enhanced packet block at byte 324: 31 of 36 bytes"},
      {"cut inside a block header", Bytes(full.begin(), full.begin() + 148 + 5), 1,
       "truncated block header at byte 148: 5 of 12 bytes"},
      {"bad if_tsresol", with(28 + 26, {0x00, 0x02}), 0,
       "interface description block at byte 28: if_tsresol has length 2, not 1"},
      {"if_tsresol out of range", with(28 + 28, {0x14}), 0,
       "interface description block at byte 28: if_tsresol 10^-20 is out of range"},
  };
  for (const Case& c : kCases) {
    std::string open_error;
    ReadResult r = Read(c.file, &open_error);
    EXPECT_EQ(r.last, ReadStatus::kError) << c.what;
    EXPECT_EQ(r.packets.size(), c.good_packets) << c.what;
    // Errors during Open() carry the file name ("F: ..."), as the CLI shows them.
    EXPECT_EQ(r.error, open_error.empty() ? c.error : "F: " + c.error) << c.what;
  }
}

}  // namespace
}  // namespace bpfcap::capture
