// Savefile round trips through our own writers and readers, the factory's
// format detection and errors, writer failures (ENOSPC, EPIPE), stdin and
// stdout, and the link-type map.
#include "capture/savefile.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "capture/linktype_map.h"
#include "capture/pcap_file.h"
#include "capture/pcapng_file.h"
#include "tests/capture/savefile_test_util.h"

namespace bpfcap::capture {
namespace {

using testing::AtMicroseconds;
using testing::OwnedPacket;
using testing::ReadAll;
using testing::ReadResult;
using testing::SamplePackets;
using testing::TempDir;
using testing::Variant;
using testing::kVariants;

// What a reader should return for `p` written in variant `v`.
OwnedPacket Expected(OwnedPacket p, const Variant& v) {
  if (!v.nanosecond) p = AtMicroseconds(p);
  if (v.format == SavefileFormat::kPcap) p.direction = Direction::kUnknown;
  return p;
}

class SavefileRoundTrip : public ::testing::TestWithParam<Variant> {};

TEST_P(SavefileRoundTrip, EveryFieldSurvives) {
  const Variant& v = GetParam();
  TempDir dir;
  std::string path = dir.File("out");
  SinkInfo info;
  info.nanosecond = v.nanosecond;
  info.if_name = "veth0";
  info.filter = "udp";
  std::vector<OwnedPacket> packets = SamplePackets();
  ASSERT_EQ(testing::WriteFile(path, v.format, info, packets), "");

  std::string error;
  std::unique_ptr<PacketSource> src = OpenSavefile(path, &error);
  ASSERT_NE(src, nullptr) << error;
  EXPECT_EQ(src->LinkType(), 1);
  EXPECT_EQ(src->Snaplen(), 262144u);
  EXPECT_EQ(src->NanosecondTimestamps(), v.nanosecond);
  ReadResult r = ReadAll(src.get());
  EXPECT_EQ(r.last, ReadStatus::kEnd) << r.error;
  ASSERT_EQ(r.packets.size(), packets.size());
  for (size_t i = 0; i < packets.size(); ++i) {
    EXPECT_EQ(r.packets[i], Expected(packets[i], v)) << "packet " << i;
  }
  EXPECT_EQ(src->Next(nullptr, 0), ReadStatus::kEnd) << "kEnd again after the end";
}

TEST_P(SavefileRoundTrip, LinkTypeAndSnaplenSurvive) {
  const Variant& v = GetParam();
  TempDir dir;
  for (int dlt : {0, 1, 12, 108, 113, 276}) {
    std::string path = dir.File("lt" + std::to_string(dlt));
    SinkInfo info;
    info.link_type = dlt;
    info.snaplen = 128;
    info.nanosecond = v.nanosecond;
    ASSERT_EQ(testing::WriteFile(path, v.format, info, {}), "");
    std::string error;
    std::unique_ptr<PacketSource> src = OpenSavefile(path, &error);
    ASSERT_NE(src, nullptr) << error;
    EXPECT_EQ(src->LinkType(), dlt);
    EXPECT_EQ(src->Snaplen(), 128u);
    EXPECT_EQ(ReadAll(src.get()).last, ReadStatus::kEnd);
  }
}

TEST_P(SavefileRoundTrip, WriterCutsPacketsToSnaplen) {
  const Variant& v = GetParam();
  TempDir dir;
  std::string path = dir.File("cut");
  SinkInfo info;
  info.snaplen = 64;
  info.nanosecond = v.nanosecond;
  std::vector<OwnedPacket> packets = SamplePackets();
  ASSERT_EQ(testing::WriteFile(path, v.format, info, packets), "");
  std::string error;
  std::unique_ptr<PacketSource> src = OpenSavefile(path, &error);
  ASSERT_NE(src, nullptr) << error;
  ReadResult r = ReadAll(src.get());
  ASSERT_EQ(r.packets.size(), packets.size());
  for (size_t i = 0; i < packets.size(); ++i) {
    OwnedPacket want = Expected(packets[i], v);
    if (want.caplen > 64) {
      want.caplen = 64;
      want.data.resize(64);
    }
    EXPECT_EQ(r.packets[i], want) << "packet " << i;
  }
}

// After every Flush() the file on disk is complete: a reader sees exactly
// the packets written so far and a clean end.
TEST_P(SavefileRoundTrip, FileIsValidAfterEveryFlush) {
  const Variant& v = GetParam();
  TempDir dir;
  std::string path = dir.File("flush");
  SinkInfo info;
  info.nanosecond = v.nanosecond;
  std::string error;
  std::unique_ptr<PacketSink> sink = CreateSavefile(path, v.format, info, &error);
  ASSERT_NE(sink, nullptr) << error;
  std::vector<OwnedPacket> packets = SamplePackets();
  for (size_t i = 0; i <= packets.size(); ++i) {
    ASSERT_TRUE(sink->Flush()) << sink->error();
    std::unique_ptr<PacketSource> src = OpenSavefile(path, &error);
    ASSERT_NE(src, nullptr) << error;
    ReadResult r = ReadAll(src.get());
    EXPECT_EQ(r.last, ReadStatus::kEnd) << "after " << i << " packets: " << r.error;
    EXPECT_EQ(r.packets.size(), i);
    EXPECT_EQ(sink->BytesWritten(), testing::ReadFileBytes(path).size());
    if (i < packets.size()) {
      ASSERT_TRUE(sink->Write(packets[i].View()));
    }
  }
  EXPECT_TRUE(sink->Close());
  EXPECT_TRUE(sink->Close()) << "Close() is idempotent";
  EXPECT_FALSE(sink->Write(packets[0].View()));
  EXPECT_EQ(sink->error(), "write to a closed savefile");
}

TEST_P(SavefileRoundTrip, StdoutAndStdin) {
  const Variant& v = GetParam();
  TempDir dir;
  std::string path = dir.File("std");
  std::vector<OwnedPacket> packets = SamplePackets();
  SinkInfo info;
  info.nanosecond = v.nanosecond;

  std::fflush(stdout);
  int saved_out = dup(STDOUT_FILENO);
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ASSERT_GE(fd, 0);
  dup2(fd, STDOUT_FILENO);
  close(fd);
  std::string write_error = testing::WriteFile("-", v.format, info, packets);
  dup2(saved_out, STDOUT_FILENO);
  close(saved_out);
  ASSERT_EQ(write_error, "");

  int saved_in = dup(STDIN_FILENO);
  fd = open(path.c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  dup2(fd, STDIN_FILENO);
  close(fd);
  std::string error;
  std::unique_ptr<PacketSource> src = OpenSavefile("-", &error);
  ReadResult r;
  if (src != nullptr) r = ReadAll(src.get());
  dup2(saved_in, STDIN_FILENO);
  close(saved_in);
  ASSERT_NE(src, nullptr) << error;
  EXPECT_EQ(r.last, ReadStatus::kEnd) << r.error;
  EXPECT_EQ(r.packets.size(), packets.size());
}

TEST_P(SavefileRoundTrip, InterruptStopsOneNext) {
  const Variant& v = GetParam();
  TempDir dir;
  std::string path = dir.File("int");
  SinkInfo info;
  info.nanosecond = v.nanosecond;
  ASSERT_EQ(testing::WriteFile(path, v.format, info, SamplePackets()), "");
  std::string error;
  std::unique_ptr<PacketSource> src = OpenSavefile(path, &error);
  ASSERT_NE(src, nullptr) << error;
  Packet p;
  ASSERT_EQ(src->Next(&p, -1), ReadStatus::kPacket);
  src->Interrupt();
  EXPECT_EQ(src->Next(&p, -1), ReadStatus::kInterrupted);
  EXPECT_EQ(src->Next(&p, -1), ReadStatus::kPacket);
  EXPECT_EQ(p.ts_nsec, v.nanosecond ? 123456789u : 123456000u) << "the second packet, none skipped";
}

INSTANTIATE_TEST_SUITE_P(SavefileFormats, SavefileRoundTrip, ::testing::ValuesIn(kVariants),
                         testing::VariantName);

TEST(SavefileWriter, PcapHeaderBytes) {
  TempDir dir;
  SinkInfo info;
  info.link_type = 12;  // DLT_RAW: written as LINKTYPE_RAW 101
  info.snaplen = 1500;
  ASSERT_EQ(testing::WriteFile(dir.File("h"), SavefileFormat::kPcap, info, {}), "");
  const std::vector<uint8_t> want = {0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0,   0, 0, 0,
                                     0,    0,    0,    0,    0xdc, 0x05, 0, 0, 101, 0, 0, 0};
  EXPECT_EQ(testing::ReadFileBytes(dir.File("h")), want);
  info.nanosecond = true;
  ASSERT_EQ(testing::WriteFile(dir.File("n"), SavefileFormat::kPcap, info, {}), "");
  std::vector<uint8_t> nano = testing::ReadFileBytes(dir.File("n"));
  ASSERT_GE(nano.size(), 4u);
  EXPECT_EQ(std::vector<uint8_t>(nano.begin(), nano.begin() + 4), (std::vector<uint8_t>{0x4d, 0x3c, 0xb2, 0xa1}));
}

TEST(SavefileWriter, PcapngBlocksAndStatistics) {
  TempDir dir;
  std::string path = dir.File("s.pcapng");
  SinkInfo info;
  info.nanosecond = true;
  info.if_name = "eth7";
  CaptureStats stats{.received = 12345, .dropped = 67, .if_dropped = 8};
  ASSERT_EQ(testing::WriteFile(path, SavefileFormat::kPcapng, info, SamplePackets(), &stats), "");
  std::vector<uint8_t> bytes = testing::ReadFileBytes(path);
  // Section header: type, length 44, byte-order magic, 1.0, length -1,
  // shb_userappl "bpfcap" padded to 8, end of options, length again.
  const std::vector<uint8_t> shb = {
      0x0a, 0x0d, 0x0d, 0x0a, 44, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a, 1, 0, 0, 0,
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 4, 0, 6, 0, 'b', 'p', 'f', 'c',
      'a', 'p', 0, 0, 0, 0, 0, 0, 44, 0, 0, 0};
  ASSERT_GE(bytes.size(), shb.size());
  EXPECT_EQ(std::vector<uint8_t>(bytes.begin(), bytes.begin() + shb.size()), shb);

  std::string error;
  std::unique_ptr<PacketSource> src = OpenSavefile(path, &error);
  ASSERT_NE(src, nullptr) << error;
  auto* ng = dynamic_cast<PcapngReader*>(src.get());
  ASSERT_NE(ng, nullptr);
  EXPECT_EQ(ng->if_name(), "eth7");
  CaptureStats got;
  EXPECT_FALSE(src->Stats(&got)) << "no statistics block read yet";
  EXPECT_EQ(ReadAll(src.get()).packets.size(), SamplePackets().size());
  ASSERT_TRUE(src->Stats(&got));
  EXPECT_EQ(got.received, 12345u);
  EXPECT_EQ(got.dropped, 67u);
  EXPECT_EQ(got.if_dropped, 8u);
}

TEST(SavefileWriter, NoSpaceLeftIsAnError) {
  std::string error;
  EXPECT_EQ(CreateSavefile("/dev/full", SavefileFormat::kPcap, SinkInfo{}, &error), nullptr);
  EXPECT_EQ(error, "write error on /dev/full: No space left on device");
  EXPECT_EQ(CreateSavefile("/dev/full", SavefileFormat::kPcapng, SinkInfo{}, &error), nullptr);
  EXPECT_EQ(error, "write error on /dev/full: No space left on device");
}

TEST(SavefileWriter, BrokenPipeIsAnError) {
  struct sigaction ignore{}, old{};
  ignore.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &ignore, &old);
  for (SavefileFormat format : {SavefileFormat::kPcap, SavefileFormat::kPcapng}) {
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    std::string error;
    std::unique_ptr<PacketSink> sink =
        CreateSavefile(std::make_unique<OutputFile>(fds[1], true, "pipe"), format, SinkInfo{}, &error);
    ASSERT_NE(sink, nullptr) << error;
    close(fds[0]);  // the reader goes away
    OwnedPacket p = SamplePackets()[0];
    EXPECT_TRUE(sink->Write(p.View())) << "buffered, not yet written";
    EXPECT_FALSE(sink->Flush());
    EXPECT_EQ(sink->error(), "write error on pipe: Broken pipe");
    EXPECT_FALSE(sink->Write(p.View())) << "errors stick";
    EXPECT_FALSE(sink->Close());
  }
  sigaction(SIGPIPE, &old, nullptr);
}

TEST(SavefileWriter, UnwritablePath) {
  std::string error;
  EXPECT_EQ(CreateSavefile("/nonexistent-dir/x.pcap", SavefileFormat::kPcap, SinkInfo{}, &error), nullptr);
  EXPECT_EQ(error, "/nonexistent-dir/x.pcap: No such file or directory");
}

TEST(SavefileOpen, Errors) {
  TempDir dir;
  const struct {
    std::vector<uint8_t> bytes;
    std::string error;
  } kCases[] = {
      {{}, "F: empty file"},
      {{0xd4, 0xc3}, "F: truncated file: 2 bytes"},
      {{'G', 'I', 'F', '8', '9', 'a'}, "F: unknown file format (magic 0x38464947)"},
      {{0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0}, "F: truncated pcap file header at byte 0: 8 of 24 bytes"},
      {{0xd4, 0xc3, 0xb2, 0xa1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0},
       "F: unsupported pcap version 1.0 at byte 4"},
      {{0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a, 1, 0, 0, 0,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 28, 0, 0, 0},
       "F: pcapng file has no interface description block before its end at byte 28"},
      {{0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1b, 1, 0, 0, 0},
       "F: section header block at byte 0 has bad byte-order magic 0x1b2b3c4d"},
      {{0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a, 2, 0, 0, 0,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 28, 0, 0, 0},
       "F: section header block at byte 0 has unsupported version 2.0"},
  };
  for (const auto& c : kCases) {
    std::string path = dir.File("F");
    FILE* f = std::fopen(path.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    if (!c.bytes.empty()) std::fwrite(c.bytes.data(), 1, c.bytes.size(), f);
    std::fclose(f);
    std::string error;
    EXPECT_EQ(OpenSavefile(path, &error), nullptr) << c.error;
    std::string want = c.error;
    want.replace(0, 1, path);
    EXPECT_EQ(error, want);
  }
  std::string error;
  EXPECT_EQ(OpenSavefile(dir.File("missing"), &error), nullptr);
  EXPECT_EQ(error, dir.File("missing") + ": No such file or directory");
}

TEST(SavefileLinkTypeMap, DltAndLinkType) {
  const struct {
    int dlt;
    uint32_t linktype;
  } kPairs[] = {{0, 0}, {1, 1}, {12, 101}, {108, 108}, {113, 113}, {276, 276}, {105, 105}, {11, 100}};
  for (const auto& p : kPairs) {
    EXPECT_EQ(DltToLinkType(p.dlt), p.linktype) << p.dlt;
    EXPECT_EQ(LinkTypeToDlt(p.linktype), p.dlt) << p.linktype;
  }
  EXPECT_EQ(LinkTypeToDlt(12), 12) << "old writers' RAW";
  EXPECT_EQ(LinkTypeToDlt(14), 12) << "OpenBSD's RAW";
}

}  // namespace
}  // namespace bpfcap::capture
