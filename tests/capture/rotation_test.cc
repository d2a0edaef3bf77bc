// Rotation: tcpdump's -C / -G / -W file names and rotation points.
#include "capture/rotation.h"

#include <gtest/gtest.h>

namespace bpfcap::capture {
namespace {

TEST(Rotation, SizeAloneNumbersFromOne) {
  Rotation r("out.pcap", 1000, 0, 0);
  EXPECT_EQ(r.First(0), "out.pcap");
  EXPECT_FALSE(r.Due(1000, 0));
  EXPECT_TRUE(r.Due(1001, 0));
  std::string name;
  ASSERT_TRUE(r.Next(0, &name));
  EXPECT_EQ(name, "out.pcap1");
  ASSERT_TRUE(r.Next(0, &name));
  EXPECT_EQ(name, "out.pcap2");
}

TEST(Rotation, SizeWithLimitPadsAndWraps) {
  Rotation r("f", 10, 0, 12);
  EXPECT_EQ(r.First(0), "f00");
  std::string name;
  for (int i = 1; i < 12; ++i) ASSERT_TRUE(r.Next(0, &name));
  EXPECT_EQ(name, "f11");
  ASSERT_TRUE(r.Next(0, &name));
  EXPECT_EQ(name, "f00");  // wraps, overwriting the oldest
}

TEST(Rotation, SizeWithLimitOfTenUsesOneDigit) {
  Rotation r("f", 10, 0, 10);
  EXPECT_EQ(r.First(0), "f0");
}

TEST(Rotation, TimeUsesStrftimeAndStopsAtTheLimit) {
  setenv("TZ", "UTC", 1);
  tzset();
  Rotation r("cap-%H%M%S.pcap", 0, 60, 2);
  EXPECT_EQ(r.First(3600), "cap-010000.pcap");
  EXPECT_FALSE(r.Due(1 << 30, 3659));  // size does not matter without -C
  EXPECT_TRUE(r.Due(0, 3660));
  std::string name;
  ASSERT_TRUE(r.Next(3660, &name));
  EXPECT_EQ(name, "cap-010100.pcap");
  EXPECT_FALSE(r.Next(3720, &name));  // -W 2: two files, then stop
}

TEST(Rotation, TimeAndSizeAppendTheSizeCounter) {
  setenv("TZ", "UTC", 1);
  tzset();
  Rotation r("c-%M", 100, 60, 0);
  EXPECT_EQ(r.First(0), "c-00");
  std::string name;
  ASSERT_TRUE(r.Next(10, &name));  // size rotation within the minute
  EXPECT_EQ(name, "c-001");
  ASSERT_TRUE(r.Next(60, &name));  // time rotation resets the counter
  EXPECT_EQ(name, "c-01");
}

}  // namespace
}  // namespace bpfcap::capture
