// Our savefiles against the reference tools: libpcap reads what we write
// (every field compared), we read what libpcap's pcap_dump writes, and
// tcpdump and tshark (when installed) read our pcap and pcapng files.
#include <pcap/pcap.h>

#include <gtest/gtest.h>

#include <sstream>

#include "capture/savefile.h"
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

void ReadLibpcapDump(bool nanosecond) {
  TempDir dir;
  std::string path = dir.File("libpcap.pcap");
  int precision = nanosecond ? PCAP_TSTAMP_PRECISION_NANO : PCAP_TSTAMP_PRECISION_MICRO;
  pcap_t* dead = pcap_open_dead_with_tstamp_precision(DLT_LINUX_SLL2, 9000, precision);
  ASSERT_NE(dead, nullptr);
  pcap_dumper_t* d = pcap_dump_open(dead, path.c_str());
  ASSERT_NE(d, nullptr) << pcap_geterr(dead);
  std::vector<OwnedPacket> want = SamplePackets();
  for (const OwnedPacket& w : want) {
    pcap_pkthdr h{};
    h.ts.tv_sec = static_cast<time_t>(w.ts_sec);
    h.ts.tv_usec = static_cast<suseconds_t>(nanosecond ? w.ts_nsec : w.ts_nsec / 1000);
    h.caplen = w.caplen;
    h.len = w.len;
    pcap_dump(reinterpret_cast<u_char*>(d), &h, w.data.data());
  }
  pcap_dump_close(d);
  pcap_close(dead);

  std::string error;
  std::unique_ptr<PacketSource> src = OpenSavefile(path, &error);
  ASSERT_NE(src, nullptr) << error;
  EXPECT_EQ(src->LinkType(), DLT_LINUX_SLL2);
  EXPECT_EQ(src->Snaplen(), 9000u);
  EXPECT_EQ(src->NanosecondTimestamps(), nanosecond);
  ReadResult r = ReadAll(src.get());
  EXPECT_EQ(r.last, ReadStatus::kEnd) << r.error;
  ASSERT_EQ(r.packets.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    OwnedPacket w = nanosecond ? want[i] : AtMicroseconds(want[i]);
    w.direction = Direction::kUnknown;
    EXPECT_EQ(r.packets[i], w) << "packet " << i;
  }
}

class PcapInterop : public ::testing::TestWithParam<Variant> {
 protected:
  // Writes SamplePackets() with `link_type`; returns the path.
  std::string WriteSample(int link_type = 1) {
    std::string path = dir_.File(std::string("sample.") + GetParam().name);
    SinkInfo info;
    info.link_type = link_type;
    info.nanosecond = GetParam().nanosecond;
    info.if_name = "veth-test";
    CaptureStats stats{.received = 10, .dropped = 2, .if_dropped = 1};  // pcapng: an ISB at the end
    std::string error = testing::WriteFile(path, GetParam().format, info, SamplePackets(), &stats);
    EXPECT_EQ(error, "");
    return path;
  }

  TempDir dir_;
};

TEST_P(PcapInterop, LibpcapReadsOurFile) {
  const Variant& v = GetParam();
  for (int dlt : {DLT_EN10MB, DLT_RAW, DLT_LINUX_SLL}) {
    std::string path = WriteSample(dlt);
    char errbuf[PCAP_ERRBUF_SIZE] = "";
    pcap_t* p = pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, errbuf);
    ASSERT_NE(p, nullptr) << errbuf;
    EXPECT_EQ(pcap_datalink(p), dlt);
    EXPECT_EQ(pcap_snapshot(p), 262144);
    std::vector<OwnedPacket> want = SamplePackets();
    size_t i = 0;
    pcap_pkthdr* hdr;
    const u_char* data;
    int rc;
    while ((rc = pcap_next_ex(p, &hdr, &data)) == 1) {
      ASSERT_LT(i, want.size());
      OwnedPacket w = v.nanosecond ? want[i] : AtMicroseconds(want[i]);
      // libpcap reads the 32-bit seconds as signed; the format (and our
      // reader, and tshark) say unsigned. Compare the 32 bits.
      EXPECT_EQ(static_cast<uint32_t>(hdr->ts.tv_sec), static_cast<uint32_t>(w.ts_sec)) << "packet " << i;
      EXPECT_EQ(static_cast<uint32_t>(hdr->ts.tv_usec), w.ts_nsec) << "packet " << i;
      EXPECT_EQ(hdr->caplen, w.caplen) << "packet " << i;
      EXPECT_EQ(hdr->len, w.len) << "packet " << i;
      EXPECT_EQ(std::vector<uint8_t>(data, data + hdr->caplen), w.data) << "packet " << i;
      ++i;
    }
    EXPECT_EQ(rc, PCAP_ERROR_BREAK) << pcap_geterr(p);
    EXPECT_EQ(i, want.size());
    pcap_close(p);
  }
}

TEST(PcapLibpcapDump, WeReadIt) {
  for (bool nanosecond : {false, true}) {
    SCOPED_TRACE(nanosecond ? "nanosecond" : "microsecond");
    ReadLibpcapDump(nanosecond);
  }
}

TEST_P(PcapInterop, TcpdumpReadsOurFile) {
  if (!testing::HaveCommand("tcpdump")) GTEST_SKIP() << "tcpdump is not installed (scripts/install-deps.sh)";
  std::string path = WriteSample();
  int status = 0;
  std::string err_path = dir_.File("tcpdump.err");
  std::string out = testing::RunCommand("tcpdump -r '" + path + "' -nn 2>'" + err_path + "'", &status);
  std::vector<uint8_t> err = testing::ReadFileBytes(err_path);
  std::string err_text(err.begin(), err.end());
  EXPECT_EQ(status, 0) << err_text;
  EXPECT_EQ(err_text.find("error"), std::string::npos) << err_text;
  EXPECT_EQ(err_text.find("truncated"), std::string::npos) << err_text;
  size_t lines = 0;
  for (char c : out) lines += c == '\n';
  EXPECT_EQ(lines, SamplePackets().size()) << out;
  EXPECT_NE(out.find("10.0.0.1.12345 > 10.0.0.2.2001: UDP"), std::string::npos) << out;
}

TEST_P(PcapInterop, TsharkReadsOurFile) {
  if (!testing::HaveCommand("tshark")) GTEST_SKIP() << "tshark is not installed (scripts/install-deps.sh installs it)";
  const Variant& v = GetParam();
  std::string path = WriteSample();
  int status = 0;
  std::string out = testing::RunCommand(
      "tshark -r '" + path +
          "' -T fields -E separator=, -e frame.time_epoch -e frame.cap_len -e frame.len "
          "-e frame.interface_name -e frame.packet_flags_direction 2>/dev/null",
      &status);
  EXPECT_EQ(status, 0) << out;
  std::vector<OwnedPacket> want = SamplePackets();
  std::istringstream lines(out);
  std::string line;
  size_t i = 0;
  for (; std::getline(lines, line); ++i) {
    ASSERT_LT(i, want.size()) << out;
    OwnedPacket w = v.nanosecond ? want[i] : AtMicroseconds(want[i]);
    char frac[16];
    std::snprintf(frac, sizeof frac, "%09u", w.ts_nsec);
    std::string expect = std::to_string(w.ts_sec) + "." + frac + "," + std::to_string(w.caplen) + "," +
                         std::to_string(w.len) + ",";
    if (v.format == SavefileFormat::kPcapng) {
      expect += "veth-test,";
      if (w.direction != Direction::kUnknown)
        expect += w.direction == Direction::kInbound ? "0x00000001" : "0x00000002";
    } else {
      expect += ",";
    }
    EXPECT_EQ(line, expect) << "packet " << i;
  }
  EXPECT_EQ(i, want.size()) << out;
}

INSTANTIATE_TEST_SUITE_P(SavefileFormats, PcapInterop, ::testing::ValuesIn(kVariants),
                         testing::VariantName);

}  // namespace
}  // namespace bpfcap::capture
