// RunCaptureLoop over an in-memory source: counts, the user-space filter,
// direction, end of file, interrupts and errors.
#include "capture/capture_loop.h"

#include <vector>

#include <gtest/gtest.h>

#include "compiler/compile.h"

namespace bpfcap::capture {
namespace {

// A source over prepared frames; ends, fails or is interrupted on request.
class VectorSource : public PacketSource {
 public:
  explicit VectorSource(std::vector<std::vector<uint8_t>> frames) : frames_(std::move(frames)) {}
  int LinkType() const override { return 1; }
  uint32_t Snaplen() const override { return 262144; }
  bool NanosecondTimestamps() const override { return false; }
  ReadStatus Next(Packet* out, int) override {
    if (interrupted_) return ReadStatus::kInterrupted;
    if (next_ == fail_at_) {
      error_ = "corrupt record at byte 99";
      return ReadStatus::kError;
    }
    if (next_ >= frames_.size()) return ReadStatus::kEnd;
    const auto& f = frames_[next_];
    *out = Packet{};
    out->data = f.data();
    out->caplen = out->len = uint32_t(f.size());
    out->direction = next_ % 2 ? Direction::kOutbound : Direction::kInbound;
    ++next_;
    return ReadStatus::kPacket;
  }
  void Interrupt() override { interrupted_ = true; }
  size_t fail_at_ = SIZE_MAX;

 private:
  std::vector<std::vector<uint8_t>> frames_;
  size_t next_ = 0;
  bool interrupted_ = false;
};

// An Ethernet frame of the given EtherType, padded to 60 bytes.
std::vector<uint8_t> Frame(uint16_t type) {
  std::vector<uint8_t> f(60, 0);
  f[12] = uint8_t(type >> 8);
  f[13] = uint8_t(type);
  return f;
}

std::vector<std::vector<uint8_t>> Mixed() {
  return {Frame(0x0800), Frame(0x0806), Frame(0x0800), Frame(0x86dd), Frame(0x0800)};
}

uint32_t TypeOf(const Packet& p) { return uint32_t(p.data[12]) << 8 | p.data[13]; }

TEST(CaptureLoop, FilterKeepsOnlyMatches) {
  VectorSource src(Mixed());
  CompileResult c = Compile("ip", CompileOptions{});
  ASSERT_TRUE(c.diag.ok());
  LoopConfig cfg;
  cfg.filter = &c.program;
  std::vector<uint32_t> types;
  LoopResult r = RunCaptureLoop(src, cfg, [&](const Packet& p, std::string*) {
    types.push_back(TypeOf(p));
    return true;
  });
  EXPECT_EQ(r.seen, 5u);
  EXPECT_EQ(r.captured, 3u);
  EXPECT_EQ(types, (std::vector<uint32_t>{0x800, 0x800, 0x800}));
  EXPECT_FALSE(r.interrupted);
  EXPECT_TRUE(r.error.empty());
}

TEST(CaptureLoop, CountStopsEarly) {
  VectorSource src(Mixed());
  LoopConfig cfg;
  cfg.count = 2;
  LoopResult r = RunCaptureLoop(src, cfg, [](const Packet&, std::string*) { return true; });
  EXPECT_EQ(r.captured, 2u);
  EXPECT_EQ(r.seen, 2u);
}

TEST(CaptureLoop, DirectionInDropsOutbound) {
  VectorSource src(Mixed());
  LoopConfig cfg;
  cfg.direction = DirectionFilter::kIn;
  LoopResult r = RunCaptureLoop(src, cfg, [](const Packet& p, std::string*) {
    EXPECT_NE(p.direction, Direction::kOutbound);
    return true;
  });
  EXPECT_EQ(r.captured, 3u);  // packets 0, 2, 4
}

TEST(CaptureLoop, SourceErrorEndsWithItsMessageAfterGoodPackets) {
  VectorSource src(Mixed());
  src.fail_at_ = 3;
  LoopResult r = RunCaptureLoop(src, LoopConfig{}, [](const Packet&, std::string*) { return true; });
  EXPECT_EQ(r.captured, 3u);
  EXPECT_EQ(r.error, "corrupt record at byte 99");
}

TEST(CaptureLoop, InterruptFromTheHandlerEndsTheLoop) {
  VectorSource src(Mixed());
  LoopResult r = RunCaptureLoop(src, LoopConfig{}, [&](const Packet&, std::string*) {
    src.Interrupt();
    return true;
  });
  EXPECT_EQ(r.captured, 1u);
  EXPECT_TRUE(r.interrupted);
}

TEST(CaptureLoop, TicksEveryThousandPacketsNotEveryPacket) {
  std::vector<std::vector<uint8_t>> frames(2 * kTickPackets + 5, Frame(0x0800));
  VectorSource src(frames);
  int ticks = 0;
  LoopResult r = RunCaptureLoop(
      src, LoopConfig{}, [](const Packet&, std::string*) { return true; },
      [&](std::string*) {
        ++ticks;
        return true;
      });
  EXPECT_EQ(r.captured, frames.size());
  EXPECT_EQ(ticks, 2);
}

TEST(CaptureLoop, HandlerFailureStopsWithItsError) {
  VectorSource src(Mixed());
  LoopResult r = RunCaptureLoop(src, LoopConfig{}, [](const Packet&, std::string* e) {
    *e = "No space left on device";
    return false;
  });
  EXPECT_EQ(r.captured, 1u);
  EXPECT_EQ(r.error, "No space left on device");
}

}  // namespace
}  // namespace bpfcap::capture
