// Shared by the ring and kernel filter tests: open a ring inside a test
// namespace, drain it into owned copies, compile an expression.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "capture/ring.h"
#include "compiler/compile.h"
#include "tests/integration/netns.h"

namespace bpfcap::capture::test {

#define BPFCAP_REQUIRE_ROOT()                                                  \
  do {                                                                         \
    if (geteuid() != 0) {                                                      \
      GTEST_SKIP() << "needs root: creates network namespaces and AF_PACKET "  \
                      "sockets";                                               \
    }                                                                          \
  } while (0)

struct Captured {
  std::vector<uint8_t> data;
  uint32_t len = 0;
  int64_t ts_sec = 0;
  uint32_t ts_nsec = 0;
  int ifindex = 0;
  Direction direction = Direction::kUnknown;
};

// Fast rings for tests: blocks retire after 2 ms, and there are enough of
// them that a test sending one packet per block does not fill the ring.
inline RingOptions TestOptions(const std::string& interface) {
  RingOptions o;
  o.interface = interface;
  o.block_size = 16 * 1024;
  o.block_count = 64;
  o.block_timeout_ms = 2;
  return o;
}

inline cbpf::Program MustCompile(const std::string& expr, int dlt, uint32_t snaplen = 262144) {
  CompileOptions opts;
  opts.dlt = dlt;
  opts.snaplen = snaplen;
  CompileResult r = Compile(expr, opts);
  EXPECT_TRUE(r.diag.ok()) << expr;
  return r.program;
}

// Opens a ring inside namespace `side`; fails the test on error.
inline std::unique_ptr<Ring> OpenIn(const bpfcap::test::NetnsPair& net,
                                    bpfcap::test::NetnsPair::Side side,
                                    const RingOptions& options, std::string* error = nullptr) {
  std::unique_ptr<Ring> ring;
  std::string err;
  net.RunIn(side, [&] { ring = Ring::Open(options, &err); });
  if (error != nullptr) *error = err;
  else EXPECT_NE(ring, nullptr) << err;
  return ring;
}

// A test suite whose tests share one namespace pair, made once for the
// suite with the tag Tag::kName and removed after it.
template <class Tag>
class NetnsSuite : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (geteuid() != 0) return;
    std::string error;
    net_ = bpfcap::test::NetnsPair::Create(Tag::kName, &error).release();
    ASSERT_NE(net_, nullptr) << error;
  }
  static void TearDownTestSuite() {
    delete net_;
    net_ = nullptr;
  }
  void SetUp() override {
    BPFCAP_REQUIRE_ROOT();
    ASSERT_NE(net_, nullptr);
  }
  static inline bpfcap::test::NetnsPair* net_ = nullptr;
};

// Reads packets from a ring or any other live source until none arrived
// for `quiet_ms`.
inline std::vector<Captured> Drain(PacketSource& source, int quiet_ms = 60) {
  std::vector<Captured> out;
  Packet p;
  while (source.Next(&p, quiet_ms) == ReadStatus::kPacket) {
    Captured c;
    c.data.assign(p.data, p.data + p.caplen);
    c.len = p.len;
    c.ts_sec = p.ts_sec;
    c.ts_nsec = p.ts_nsec;
    c.ifindex = p.ifindex;
    c.direction = p.direction;
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace bpfcap::capture::test
