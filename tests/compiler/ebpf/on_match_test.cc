// XdpOnMatch::kRingbufCopy in the kernel: the program compiled with a ring
// buffer and counters is run with BPF_PROG_TEST_RUN on frames of sizes
// around the record size classes and the snap length, and the records read
// back from the ring must hold exactly the frame's first caplen bytes, its
// length, the ingress ifindex, a monotonic timestamp; counters count
// matches and ring-full drops; non-matching frames leave no record. Also
// the listing's map references and the kernel fields at XDP.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <time.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "compiler/compile.h"
#include "compiler/ebpf/codegen.h"
#include "compiler/ebpf/load.h"
#include "compiler/ebpf/print.h"

namespace bpfcap::ebpf {
namespace {

#define SKIP_UNLESS_ROOT()                                                          \
  if (geteuid() != 0) GTEST_SKIP() << "needs root (CAP_BPF) to load eBPF programs; " \
                                      "run the tests as root"

struct Record {
  XdpRecordHeader h;
  std::vector<uint8_t> data;
};

int Collect(void* ctx, void* data, size_t size) {
  auto* out = static_cast<std::vector<Record>*>(ctx);
  Record r;
  std::memcpy(&r.h, data, sizeof(r.h));
  const auto* p = static_cast<const uint8_t*>(data) + sizeof(r.h);
  r.data.assign(p, p + std::min<size_t>(r.h.caplen, size - sizeof(r.h)));
  out->push_back(std::move(r));
  return 0;
}

// A frame of `n` bytes: an IPv4/UDP header to `port`, then a counting pattern.
std::vector<uint8_t> Frame(size_t n, uint16_t port) {
  std::vector<uint8_t> f(n);
  for (size_t i = 0; i < n; ++i) f[i] = static_cast<uint8_t>(i * 7 + 3);
  f[12] = 0x08, f[13] = 0x00;             // IPv4
  f[14] = 0x45, f[23] = 17;               // IHL 5, UDP
  f[20] = 0, f[21] = 0;                   // not a fragment
  f[36] = static_cast<uint8_t>(port >> 8), f[37] = static_cast<uint8_t>(port);
  return f;
}

class RingbufCopy : public ::testing::Test {
 protected:
  void SetUp() override {
    SKIP_UNLESS_ROOT();
    ring_ = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "t_ring", 0, 0, 64 * 1024, nullptr);
    ASSERT_GE(ring_, 0);
    counters_ = bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, "t_counts", 4, sizeof(XdpCounters), 1,
                               nullptr);
    ASSERT_GE(counters_, 0);
  }
  void TearDown() override {
    if (ring_ >= 0) close(ring_);
    if (counters_ >= 0) close(counters_);
  }

  GenOptions Gen(uint32_t snaplen) const {
    GenOptions g;
    g.target = Target::kXdp;
    g.xdp_accept = kXdpPass;
    g.xdp_reject = kXdpPass;
    g.on_match = {XdpOnMatch::Kind::kRingbufCopy, ring_, counters_, snaplen};
    return g;
  }

  LoadedProgram Load(const std::string& expr, uint32_t snaplen) {
    CompileOptions c;
    EbpfCompileResult r = CompileEbpf(expr, c, Gen(snaplen));
    EXPECT_TRUE(r.diag.ok()) << r.diag.message;
    LoadedProgram p;
    std::string err;
    EXPECT_TRUE(LoadedProgram::Load(r.program, Target::kXdp, &p, &err)) << err;
    return p;
  }

  std::vector<Record> Drain() {
    std::vector<Record> out;
    ring_buffer* rb = ring_buffer__new(ring_, Collect, &out, nullptr);
    EXPECT_NE(rb, nullptr);
    if (rb) {
      ring_buffer__consume(rb);
      ring_buffer__free(rb);
    }
    return out;
  }

  XdpCounters Counters() const {
    std::vector<XdpCounters> per_cpu(static_cast<size_t>(libbpf_num_possible_cpus()));
    const uint32_t key = 0;
    EXPECT_EQ(bpf_map_lookup_elem(counters_, &key, per_cpu.data()), 0);
    XdpCounters sum{};
    for (const XdpCounters& c : per_cpu) sum.matched += c.matched, sum.ring_full += c.ring_full;
    return sum;
  }

  int ring_ = -1, counters_ = -1;
};

int64_t MonoNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

TEST_F(RingbufCopy, RecordsHoldTheFrameUpToTheSnapLength) {
  struct Case {
    size_t frame;
    uint32_t snaplen;
  };
  const Case cases[] = {{60, 262144}, {128, 262144}, {129, 262144}, {1000, 262144},
                        {1514, 262144}, {3000, 262144}, {60, 42}, {1514, 200}, {200, 200}};
  for (const Case& c : cases) {
    LoadedProgram p = Load("udp port 4789", c.snaplen);
    ASSERT_GE(p.fd(), 0);
    const std::vector<uint8_t> frame = Frame(c.frame, 4789);
    const int64_t before = MonoNs();
    uint32_t ret = 0;
    std::string err;
    ASSERT_TRUE(p.TestRun(frame, &ret, &err)) << err;
    EXPECT_EQ(ret, uint32_t(kXdpPass));
    const std::vector<Record> recs = Drain();
    ASSERT_EQ(recs.size(), 1u) << c.frame << "/" << c.snaplen;
    const uint32_t caplen = static_cast<uint32_t>(std::min<size_t>(c.frame, c.snaplen));
    EXPECT_EQ(recs[0].h.caplen, caplen) << c.frame << "/" << c.snaplen;
    EXPECT_EQ(recs[0].h.len, c.frame);
    EXPECT_EQ(recs[0].data, std::vector<uint8_t>(frame.begin(), frame.begin() + caplen));
    EXPECT_GE(static_cast<int64_t>(recs[0].h.ts_ns), before);
    EXPECT_LE(static_cast<int64_t>(recs[0].h.ts_ns), MonoNs());
  }
  EXPECT_EQ(Counters().matched, std::size(cases));
  EXPECT_EQ(Counters().ring_full, 0u);
}

TEST_F(RingbufCopy, NonMatchingFramesPassWithoutARecord) {
  LoadedProgram p = Load("udp port 4789", 262144);
  uint32_t ret = 0;
  std::string err;
  ASSERT_TRUE(p.TestRun(Frame(100, 53), &ret, &err)) << err;
  EXPECT_EQ(ret, uint32_t(kXdpPass));
  EXPECT_TRUE(Drain().empty());
  EXPECT_EQ(Counters().matched, 0u);
}

TEST_F(RingbufCopy, AFullRingCountsDrops) {
  // 64 KiB of ring, 2000-byte frames in 2048-byte records: fills after 31.
  LoadedProgram p = Load("", 262144);
  const std::vector<uint8_t> frame = Frame(2000, 1);
  for (int i = 0; i < 40; ++i) {
    uint32_t ret = 0;
    std::string err;
    ASSERT_TRUE(p.TestRun(frame, &ret, &err)) << err;
  }
  const XdpCounters c = Counters();
  EXPECT_EQ(c.matched, 40u);
  EXPECT_EQ(c.ring_full, 9u);
  EXPECT_EQ(Drain().size() + c.ring_full, 40u);
}

TEST_F(RingbufCopy, InboundHoldsAndIfindexReadsTheIngressDevice) {
  // BPF_PROG_TEST_RUN's frame arrives on loopback (ifindex 1).
  LoadedProgram in = Load("inbound and ifindex 1", 262144);
  uint32_t ret = 0;
  std::string err;
  ASSERT_TRUE(in.TestRun(Frame(60, 1), &ret, &err)) << err;
  const std::vector<Record> recs = Drain();
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].h.ifindex, 1u);
  LoadedProgram other = Load("ifindex 2", 262144);
  ASSERT_TRUE(other.TestRun(Frame(60, 1), &ret, &err)) << err;
  EXPECT_TRUE(Drain().empty());
}

TEST(XdpOnMatchListing, ShowsMapReferences) {
  GenOptions g;
  g.target = Target::kXdp;
  g.on_match = {XdpOnMatch::Kind::kRingbufCopy, 7, 8, 96};
  EbpfCompileResult r = CompileEbpf("ip", CompileOptions{}, g);
  ASSERT_TRUE(r.diag.ok()) << r.diag.message;
  const std::string text = Dump(r.program);
  EXPECT_NE(text.find("r1 = map[fd:8]"), std::string::npos) << text;
  EXPECT_NE(text.find("r1 = map[fd:7]"), std::string::npos) << text;
  EXPECT_NE(text.find("call bpf_ringbuf_reserve#131"), std::string::npos) << text;
  EXPECT_NE(text.find("call bpf_xdp_load_bytes#189"), std::string::npos) << text;
  // snaplen 96 is below the first size class: one reservation size.
  EXPECT_NE(text.find("r2 = 120"), std::string::npos) << text;
  EXPECT_EQ(text.find("bpf_ringbuf_query"), std::string::npos) << text;
  g.on_match.wakeup_bytes = 4096;  // wake-ups past 4 KiB waiting
  const std::string batched = Dump(CompileEbpf("ip", CompileOptions{}, g).program);
  EXPECT_NE(batched.find("call bpf_ringbuf_query#134"), std::string::npos) << batched;
  EXPECT_NE(batched.find("if r0 <= 0x1000 goto"), std::string::npos) << batched;
}

TEST(XdpCapture, OutboundIsRefusedAtTheWord) {
  Diag d;
  EXPECT_FALSE(CheckXdpCapture("udp and outbound", &d));
  EXPECT_EQ(FormatDiag(d, "udp and outbound"),
            "'outbound' never matches at XDP, which sees received packets only "
            "(column 9, near 'outbound')");
  EXPECT_TRUE(CheckXdpCapture("inbound or vlan", &d));
}

TEST(KernelFields, SocketFilterReadsThemFromTheSkb) {
  SKIP_UNLESS_ROOT();
  // The test harness's skb comes from loopback (ifindex 1) and is not
  // PACKET_OUTGOING; for_kernel "vlan" reads vlan_present, which is 0.
  struct Case {
    const char* expr;
    uint32_t verdict;
  };
  const Case cases[] = {{"ifindex 1", 96}, {"ifindex 2", 0}, {"inbound", 96},
                        {"outbound", 0},   {"vlan", 0},      {"not vlan 5", 96}};
  for (const Case& c : cases) {
    GenOptions g;
    g.snaplen = 96;
    CompileOptions co;
    co.for_kernel = true;
    EbpfCompileResult r = CompileEbpf(c.expr, co, g);
    ASSERT_TRUE(r.diag.ok()) << c.expr << ": " << r.diag.message;
    LoadedProgram p;
    std::string err;
    ASSERT_TRUE(LoadedProgram::Load(r.program, Target::kSocketFilter, &p, &err)) << c.expr << err;
    uint32_t ret = 1;
    ASSERT_TRUE(p.TestRun(std::vector<uint8_t>(60, 0), &ret, &err)) << err;
    EXPECT_EQ(ret, c.verdict) << c.expr;
  }
}

}  // namespace
}  // namespace bpfcap::ebpf
