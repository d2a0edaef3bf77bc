// Packet generator: see packets.h.
//
// A frame is built front to back into a Frame, which also records the
// offsets worth mutating ("hot": type fields, IHL, protocol, flags, ports)
// and where the last protocol header ends. Mutate() then decides, per base
// frame, whether it is emitted as is, with changed bytes, cut by a snapshot
// length, swept through every truncation length, or replaced by garbage.
#include "tests/diff/packets.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>

namespace bpfcap::difftest {
namespace {

// --- PRNG: xoshiro256** seeded by splitmix64, same on every machine. -------
class Rng {
 public:
  explicit Rng(uint64_t seed) {
    for (uint64_t& s : s_) {
      seed += 0x9e3779b97f4a7c15ULL;
      uint64_t z = seed;
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
      s = z ^ (z >> 31);
    }
  }
  uint64_t Next() {
    const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }
  // Uniform enough in [0, n); 0 when n == 0.
  uint32_t Below(uint32_t n) { return n == 0 ? 0 : static_cast<uint32_t>(Next() % n); }
  // Uniform in [lo, hi].
  uint32_t Range(uint32_t lo, uint32_t hi) { return lo + Below(hi - lo + 1); }
  bool Chance(uint32_t percent) { return Below(100) < percent; }
  uint8_t Byte() { return static_cast<uint8_t>(Next()); }
  uint16_t U16() { return static_cast<uint16_t>(Next()); }
  uint32_t U32() { return static_cast<uint32_t>(Next()); }
  template <typename T, size_t N>
  const T& Pick(const T (&a)[N]) { return a[Below(N)]; }
  template <typename T, size_t N>
  const T& Pick(const std::array<T, N>& a) { return a[Below(N)]; }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

// --- Pools shared with exprs.txt. ------------------------------------------
using V4 = std::array<uint8_t, 4>;
using V6 = std::array<uint8_t, 16>;
using Mac = std::array<uint8_t, 6>;

constexpr V4 kV4Pool[] = {
    {10, 0, 0, 1},       {10, 0, 0, 2},       {10, 1, 2, 3},
    {192, 168, 1, 1},    {192, 168, 1, 255},  {192, 168, 1, 0},
    {192, 168, 2, 7},    {172, 16, 5, 4},     {224, 0, 0, 1},
    {224, 0, 0, 251},    {239, 255, 255, 250}, {255, 255, 255, 255},
    {127, 0, 0, 1},      {0, 0, 0, 0},        {10, 255, 255, 255},
    {8, 8, 8, 8},        {10, 0, 0, 255},     {192, 168, 0, 1},
};

constexpr V6 kV6Pool[] = {
    {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1},                 // ::1
    {0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1},           // fe80::1
    {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1},     // 2001:db8::1
    {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2},     // 2001:db8::2
    {0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5},     // 2001:db8:1::5
    {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1},           // ff02::1
    {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0, 0, 1},        // ff02::1:ff00:1
    {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},                 // ::
    {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 1},          // ::ffff:10.0.0.1
    {0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x02, 0x11, 0x22, 0xff, 0xfe, 0x33, 0x44, 0x55},
    {0x20, 0x01, 0x0d, 0xb9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1},     // 2001:db9::1
};

constexpr Mac kMacPool[] = {
    {0x00, 0x11, 0x22, 0x33, 0x44, 0x55}, {0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb},
    {0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, {0x01, 0x00, 0x5e, 0x00, 0x00, 0x01},
    {0x33, 0x33, 0x00, 0x00, 0x00, 0x01}, {0x02, 0x00, 0x00, 0x00, 0x00, 0x01},
    {0x00, 0x00, 0x00, 0x00, 0x00, 0x00}, {0x01, 0x80, 0xc2, 0x00, 0x00, 0x00},
};

constexpr uint16_t kPortPool[] = {0,    7,    20,   21,   22,    23,    25,   53,
                                  67,   68,   80,   123,  161,   443,   1023, 1024,
                                  1025, 2049, 5000, 6000, 8080,  8443,  65534, 65535};

constexpr uint8_t kIpProtoPool[] = {6,  6,  6,  6,  6,  17, 17, 17, 17, 1,  1,  1,  132, 132,
                                    2,  2,  0,  4,  9,  41, 43, 44, 47, 50, 51, 58, 59,  60,
                                    89, 103, 112, 255};
constexpr uint8_t kIp6ProtoPool[] = {6,  6,  6,  6,  17, 17, 17, 17, 58, 58, 58, 58, 132, 132,
                                     0,  43, 44, 60, 59, 47, 50, 51, 103, 112, 1, 2, 4,  41};

constexpr uint16_t kEtherTypePool[] = {0x88cc, 0x6003, 0x809b, 0x80f3, 0x8137, 0x8863,
                                       0x8864, 0x0801, 0x9000, 0x05dc, 0x05dd, 0x0600,
                                       0x6002, 0x6004, 0x8038, 0x88e5, 0x0842, 0x22f0};

enum class Net : uint8_t { kIpv4, kIpv6, kArp, kRarp, kRandom };

// --- Frame: bytes plus what the mutator needs to know. ---------------------
struct Frame {
  std::vector<uint8_t> b;
  std::vector<uint32_t> hot;  // offsets worth mutating
  uint32_t header_end = 0;    // end of the last header (before payload)

  uint32_t size() const { return static_cast<uint32_t>(b.size()); }
  void Hot() { hot.push_back(size()); }
  void Put8(uint8_t v) { b.push_back(v); }
  void Put16(uint16_t v) {
    b.push_back(static_cast<uint8_t>(v >> 8));
    b.push_back(static_cast<uint8_t>(v));
  }
  void Put32(uint32_t v) {
    Put16(static_cast<uint16_t>(v >> 16));
    Put16(static_cast<uint16_t>(v));
  }
  void Put32Le(uint32_t v) {
    for (int i = 0; i < 4; ++i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
  template <size_t N>
  void Put(const std::array<uint8_t, N>& a) { b.insert(b.end(), a.begin(), a.end()); }
  void Put(std::string_view s) { b.insert(b.end(), s.begin(), s.end()); }
  void PutRandom(Rng& rng, uint32_t n) {
    for (uint32_t i = 0; i < n; ++i) b.push_back(rng.Byte());
  }
  void Set16(uint32_t off, uint16_t v) {
    b[off] = static_cast<uint8_t>(v >> 8);
    b[off + 1] = static_cast<uint8_t>(v);
  }
  void MarkHeaderEnd() { header_end = size(); }
};

uint16_t Checksum(const uint8_t* p, size_t n) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < n; i += 2) sum += (p[i] << 8) | p[i + 1];
  if (n % 2) sum += p[n - 1] << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

V4 PickV4(Rng& rng) {
  if (rng.Chance(85)) return rng.Pick(kV4Pool);
  V4 a;
  for (auto& x : a) x = rng.Byte();
  if (rng.Chance(50)) a[0] = 10;  // near the pool's nets
  return a;
}
V6 PickV6(Rng& rng) {
  if (rng.Chance(85)) return rng.Pick(kV6Pool);
  V6 a;
  for (auto& x : a) x = rng.Byte();
  if (rng.Chance(50)) a[0] = 0x20, a[1] = 0x01, a[2] = 0x0d, a[3] = 0xb8;
  return a;
}
Mac PickMac(Rng& rng) {
  if (rng.Chance(80)) return rng.Pick(kMacPool);
  Mac a;
  for (auto& x : a) x = rng.Byte();
  return a;
}
uint16_t PickPort(Rng& rng) {
  static constexpr uint16_t kCommon[] = {0, 22, 53, 80, 443, 1024, 8080, 65535};
  uint32_t r = rng.Below(100);
  return r < 45 ? rng.Pick(kCommon) : r < 85 ? rng.Pick(kPortPool) : rng.U16();
}

// --- Transport layer. --------------------------------------------------------
void PutTcp(Rng& rng, Frame& f) {
  static constexpr uint8_t kFlags[] = {0x02, 0x12, 0x10, 0x18, 0x11, 0x01, 0x04, 0x14,
                                       0x29, 0x3f, 0x00, 0x20, 0x30, 0xc2, 0x52, 0x08,
                                       0x19, 0x03, 0x06, 0x40, 0x80, 0xff};
  f.Hot();
  f.Put16(PickPort(rng));
  f.Hot();
  f.Put16(PickPort(rng));
  f.Put32(rng.U32());
  f.Put32(rng.Chance(30) ? 0 : rng.U32());
  uint32_t opt_words = rng.Chance(60) ? 0 : rng.Range(1, 10);
  f.Hot();
  f.Put8(static_cast<uint8_t>((5 + opt_words) << 4 | (rng.Chance(90) ? 0 : rng.Below(16))));
  f.Hot();
  f.Put8(rng.Chance(85) ? rng.Pick(kFlags) : rng.Byte());
  f.Put16(rng.Chance(20) ? 0 : rng.U16());
  f.Put16(rng.U16());
  f.Put16(rng.Chance(80) ? 0 : rng.U16());
  uint32_t opt_end = f.size() + 4 * opt_words;
  while (f.size() < opt_end) {
    switch (rng.Below(6)) {
      case 0: f.Put8(2), f.Put8(4), f.Put16(rng.Chance(50) ? 1460 : rng.U16()); break;  // MSS
      case 1: f.Put8(1); break;                                                         // NOP
      case 2: f.Put8(3), f.Put8(3), f.Put8(static_cast<uint8_t>(rng.Below(15))); break; // WS
      case 3: f.Put8(4), f.Put8(2); break;                                              // SACK ok
      case 4: f.Put8(8), f.Put8(10), f.Put32(rng.U32()), f.Put32(rng.U32()); break;     // TS
      default: f.Put8(0); break;                                                        // EOL
    }
  }
  f.b.resize(opt_end);
  f.MarkHeaderEnd();
  static constexpr std::string_view kPayloads[] = {
      "GET / HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 200 OK\r\n", "SSH-2.0-OpenSSH_9.2\r\n",
      "POST /a HTTP/1.0\r\n", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"};
  uint32_t r = rng.Below(100);
  if (r < 40) return;
  if (r < 65) return f.Put(rng.Pick(kPayloads));
  f.PutRandom(rng, rng.Range(1, 60));
}

void PutGeneve(Rng& rng, Frame& f);
int geneve_nesting = 0;  // Geneve in Geneve: at most twice
// The percentage of outer IP packets made UDP to Geneve on purpose (the
// 802.11 link types, whose frames carry UDP too seldom for geneve to be
// seen otherwise); 0 elsewhere, where it costs no random draws.
uint32_t geneve_outer_percent = 0;
bool geneve_forced = false;  // the next PutUdp is Geneve
uint8_t MaybeGeneveOuter(Rng& rng, uint8_t proto, int depth) {
  if (geneve_outer_percent == 0 || depth != 0 || geneve_nesting != 0) return proto;
  if (!rng.Chance(geneve_outer_percent)) return proto;
  geneve_forced = true;
  return 17;
}

void PutUdp(Rng& rng, Frame& f) {
  uint32_t start = f.size();
  const bool geneve = geneve_forced || (geneve_nesting < 2 && rng.Chance(geneve_nesting == 0 ? 12 : 30));
  geneve_forced = false;
  f.Hot();
  f.Put16(PickPort(rng));
  f.Hot();
  f.Put16(geneve ? (rng.Chance(95) ? 6081 : 6082) : PickPort(rng));
  f.Put16(0);
  f.Put16(rng.Chance(50) ? 0 : rng.U16());
  f.MarkHeaderEnd();
  if (geneve) {
    ++geneve_nesting;
    PutGeneve(rng, f);
    --geneve_nesting;
  } else {
    f.PutRandom(rng, rng.Below(48));
  }
  f.Set16(start + 4, rng.Chance(85) ? static_cast<uint16_t>(f.size() - start) : rng.U16());
}

void PutSctp(Rng& rng, Frame& f) {
  f.Hot();
  f.Put16(PickPort(rng));
  f.Hot();
  f.Put16(PickPort(rng));
  f.Put32(rng.U32());  // verification tag
  f.Put32(rng.U32());  // checksum
  f.MarkHeaderEnd();
  f.Put8(static_cast<uint8_t>(rng.Below(16)));  // chunk type
  f.Put8(rng.Byte());
  f.Put16(static_cast<uint16_t>(4 + rng.Below(20)));
  f.PutRandom(rng, rng.Below(20));
}

void PutIcmp(Rng& rng, Frame& f) {
  static constexpr uint8_t kTypes[] = {0, 3, 4, 5, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 0, 0, 8, 8, 8, 3, 3};
  uint32_t start = f.size();
  f.Hot();
  f.Put8(rng.Chance(90) ? rng.Pick(kTypes) : rng.Byte());
  f.Hot();
  f.Put8(static_cast<uint8_t>(rng.Chance(60) ? 0 : rng.Below(rng.Chance(80) ? 16 : 256)));
  f.Put16(0);
  f.Put16(rng.U16());  // id / unused
  f.Put16(rng.U16());  // seq
  f.MarkHeaderEnd();
  if (rng.Chance(30)) {  // quoted IPv4 header, as in an error message
    f.Put8(0x45), f.Put8(0), f.Put16(60), f.Put32(rng.U32());
    f.Put8(64), f.Put8(rng.Pick(kIpProtoPool)), f.Put16(0);
    f.Put(PickV4(rng)), f.Put(PickV4(rng));
    f.PutRandom(rng, 8);
  } else {
    f.PutRandom(rng, rng.Below(40));
  }
  f.Set16(start + 2, Checksum(&f.b[start], f.size() - start));
}

void PutIcmp6(Rng& rng, Frame& f) {
  static constexpr uint8_t kTypes[] = {1,   2,   3,   4,   128, 129, 130, 131, 132, 133, 134,
                                       135, 136, 137, 143, 128, 129, 135, 128, 129, 128, 129};
  f.Hot();
  uint8_t type = rng.Chance(90) ? rng.Pick(kTypes) : rng.Byte();
  f.Put8(type);
  f.Hot();
  f.Put8(static_cast<uint8_t>(rng.Chance(70) ? 0 : rng.Below(8)));
  f.Put16(rng.U16());
  f.Put32(rng.Chance(50) ? 0 : rng.U32());
  f.MarkHeaderEnd();
  if (type == 135 || type == 136 || type == 137) f.Put(PickV6(rng));
  f.PutRandom(rng, rng.Below(24));
}

void PutIgmp(Rng& rng, Frame& f) {
  static constexpr uint8_t kTypes[] = {0x11, 0x12, 0x16, 0x17, 0x22};
  f.Hot();
  f.Put8(rng.Chance(90) ? rng.Pick(kTypes) : rng.Byte());
  f.Put8(static_cast<uint8_t>(rng.Below(200)));
  f.Put16(rng.U16());
  f.Put(PickV4(rng));
  f.MarkHeaderEnd();
  f.PutRandom(rng, rng.Below(12));
}

// An AH header: next header, length L (the header is (L + 2) * 4 bytes:
// mostly 4, the 96-bit ICV), reserved, SPI, sequence, ICV. libpcap's
// protochain looks for the next header (L + 2) * 4 bytes from the start of
// the IP header rather than of the AH header, so varied lengths make it land
// on varied bytes, some of which send it round in a loop.
void PutAh(Rng& rng, Frame& f, uint8_t next) {
  const uint32_t len = rng.Chance(70) ? 4 : rng.Range(1, 9);
  f.Hot();
  f.Put8(next);
  f.Hot();
  f.Put8(static_cast<uint8_t>(len)), f.Put16(0);
  f.Put32(rng.Chance(50) ? 0x100 : rng.U32()), f.Put32(rng.U32());
  f.PutRandom(rng, 4 * (len + 2) - 12);
}

// PIM, VRRP/CARP, AH, ESP, GRE and the rest: a plausible fixed header.
void PutOther(Rng& rng, Frame& f, uint8_t proto) {
  switch (proto) {
    case 103:  // PIM: version 2, type
      f.Hot();
      f.Put8(static_cast<uint8_t>(0x20 | rng.Below(10)));
      f.Put8(0), f.Put16(rng.U16()), f.PutRandom(rng, 8);
      break;
    case 112:  // VRRP v2/v3 or CARP
      f.Hot();
      f.Put8(rng.Chance(70) ? 0x21 : (rng.Chance(50) ? 0x31 : rng.Byte()));
      f.Put8(static_cast<uint8_t>(rng.Range(1, 10)));   // vrid
      f.Put8(rng.Chance(50) ? 100 : rng.Byte());        // priority
      f.Put8(1), f.Put8(0), f.Put8(1), f.Put16(rng.U16());
      f.Put(PickV4(rng));
      break;
    case 51: {  // AH: next header, length, reserved, SPI, sequence, ICV
      // Sometimes a chain of AH headers (up to 10, for "protochain", which
      // walks them; see PutAh), else one.
      const uint32_t n = rng.Chance(80) ? 1 : rng.Range(2, 10);
      for (uint32_t i = 0; i < n; ++i) {
        const uint8_t next = i + 1 < n ? 51 : rng.Pick(kIpProtoPool);
        PutAh(rng, f, next);
      }
      break;
    }
    case 50:  // ESP: SPI, sequence
      f.Hot();
      f.Put32(rng.Chance(50) ? 0x100 : rng.U32()), f.Put32(rng.U32());
      break;
    case 47:  // GRE: flags/version, protocol
      f.Put16(rng.Chance(80) ? 0 : rng.U16());
      f.Hot();
      f.Put16(rng.Chance(60) ? 0x0800 : (rng.Chance(50) ? 0x86dd : 0x6558));
      break;
    default:
      f.PutRandom(rng, rng.Below(24));
      break;
  }
  f.MarkHeaderEnd();
  f.PutRandom(rng, rng.Below(24));
}

void PutIpv4(Rng& rng, Frame& f, int depth);
void PutIpv6(Rng& rng, Frame& f, int depth);

void PutTransport(Rng& rng, Frame& f, uint8_t proto, int depth) {
  switch (proto) {
    case 6: return PutTcp(rng, f);
    case 17: return PutUdp(rng, f);
    case 132: return PutSctp(rng, f);
    case 1: return PutIcmp(rng, f);
    case 58: return PutIcmp6(rng, f);
    case 2: return PutIgmp(rng, f);
    case 4:
      if (depth == 0) return PutIpv4(rng, f, depth + 1);
      break;
    case 41:
      if (depth == 0) return PutIpv6(rng, f, depth + 1);
      break;
    default: break;
  }
  PutOther(rng, f, proto);
}

// --- Network layer. ----------------------------------------------------------
void PutIpv4(Rng& rng, Frame& f, int depth) {
  uint32_t start = f.size();
  uint32_t ihl = rng.Chance(75) ? 5 : rng.Range(6, 15);
  f.Hot();
  f.Put8(static_cast<uint8_t>(0x40 | ihl));
  f.Put8(rng.Chance(70) ? 0 : rng.Byte());
  f.Put16(0);  // total length, below
  f.Put16(rng.U16());
  uint16_t frag = rng.Chance(50) ? 0x4000 : 0;  // DF
  uint32_t r = rng.Below(100);
  if (r < 10) frag = 0x2000;                                                   // MF
  else if (r < 20) frag = static_cast<uint16_t>(rng.Range(1, 0x1fff));          // offset
  else if (r < 30) frag = static_cast<uint16_t>(0x2000 | rng.Range(1, 0x1fff)); // both
  else if (r < 32) frag = rng.U16();
  f.Hot();
  f.Put16(frag);
  f.Put8(rng.Chance(70) ? 64 : rng.Byte());
  uint8_t proto = rng.Chance(92) ? rng.Pick(kIpProtoPool) : rng.Byte();
  proto = MaybeGeneveOuter(rng, proto, depth);
  f.Hot();
  f.Put8(proto);
  f.Put16(0);  // checksum, below
  f.Hot();
  f.Put(PickV4(rng));
  f.Hot();
  f.Put(PickV4(rng));
  uint32_t opt_end = start + 4 * ihl;
  while (f.size() < opt_end) {
    switch (rng.Below(4)) {
      case 0: f.Put8(1); break;                                   // NOP
      case 1: f.Put8(7), f.Put8(7), f.Put8(4), f.Put(PickV4(rng)); break;  // RR
      case 2: f.Put8(0); break;                                   // EOL
      default: f.Put8(rng.Byte()); break;
    }
  }
  f.b.resize(opt_end);
  f.MarkHeaderEnd();
  // Non-first fragments mostly carry no transport header.
  if ((frag & 0x1fff) != 0 && rng.Chance(50)) {
    f.PutRandom(rng, rng.Below(32));
  } else {
    PutTransport(rng, f, proto, depth);
  }
  uint16_t total = static_cast<uint16_t>(f.size() - start);
  f.Set16(start + 2, rng.Chance(90) ? total : rng.U16());
  f.Set16(start + 10, Checksum(&f.b[start], 4 * ihl));
}

void PutIpv6(Rng& rng, Frame& f, int depth) {
  uint32_t start = f.size();
  f.Hot();
  f.Put8(static_cast<uint8_t>(0x60 | (rng.Chance(80) ? 0 : rng.Below(16))));
  f.Put8(rng.Chance(80) ? 0 : rng.Byte());
  f.Put16(rng.Chance(70) ? 0 : rng.U16());
  f.Put16(0);  // payload length, below
  uint32_t next_off = f.size();
  f.Hot();
  f.Put8(0);  // next header, below
  f.Put8(rng.Chance(70) ? 64 : rng.Byte());
  f.Hot();
  f.Put(PickV6(rng));
  f.Hot();
  f.Put(PickV6(rng));
  // Extension header chain before the transport: mostly none or a few, and
  // sometimes long (up to 11, past the 8 that "protochain" walks).
  uint32_t n_ext = rng.Chance(65) ? 0 : rng.Chance(85) ? rng.Range(1, 3) : rng.Range(4, 11);
  for (uint32_t i = 0; i < n_ext; ++i) {
    static constexpr uint8_t kExt[] = {0, 43, 44, 60, 0, 44, 51};
    uint8_t ext = (i == 0 && rng.Chance(40)) ? 0 : rng.Pick(kExt);
    f.b[next_off] = ext;
    next_off = f.size();
    f.Hot();
    f.Put8(0);
    if (ext == 44) {  // fragment header: fixed 8 bytes
      f.Put8(0);
      uint32_t r = rng.Below(4);
      uint16_t off_m = r == 0 ? 0 : r == 1 ? 1 : static_cast<uint16_t>(rng.Range(1, 0x1fff) << 3 | (r & 1));
      f.Hot();
      f.Put16(off_m);
      f.Put32(rng.U32());
    } else if (ext == 51) {  // AH: length in 4-octet units minus 2
      f.b.pop_back();  // PutAh writes the next header too
      PutAh(rng, f, 0);
    } else {
      uint32_t len8 = rng.Below(3);
      f.Put8(static_cast<uint8_t>(len8));
      if (ext == 43) {  // routing: type, segments left
        f.Put8(static_cast<uint8_t>(rng.Below(5))), f.Put8(static_cast<uint8_t>(rng.Below(3)));
        f.PutRandom(rng, 4 + 8 * len8);
      } else {  // options: PadN
        f.Put8(1), f.Put8(static_cast<uint8_t>(4 + 8 * len8));
        for (uint32_t k = 0; k < 4 + 8 * len8; ++k) f.Put8(0);
      }
    }
  }
  uint8_t proto = rng.Chance(92) ? rng.Pick(kIp6ProtoPool) : rng.Byte();
  proto = MaybeGeneveOuter(rng, proto, depth);
  f.b[next_off] = proto;
  f.MarkHeaderEnd();
  PutTransport(rng, f, proto, depth);
  uint16_t plen = static_cast<uint16_t>(f.size() - start - 40);
  f.Set16(start + 4, rng.Chance(90) ? plen : rng.U16());
}

void PutArp(Rng& rng, Frame& f, bool rarp) {
  f.Hot();
  f.Put16(rng.Chance(85) ? 1 : (rng.Chance(50) ? 6 : rng.U16()));
  f.Hot();
  f.Put16(rng.Chance(90) ? 0x0800 : 0x86dd);
  f.Hot();
  f.Put8(rng.Chance(90) ? 6 : rng.Byte());
  f.Hot();
  f.Put8(rng.Chance(90) ? 4 : rng.Byte());
  f.Hot();
  uint16_t op = rarp ? (rng.Chance(50) ? 3 : 4) : (rng.Chance(50) ? 1 : 2);
  f.Put16(rng.Chance(90) ? op : static_cast<uint16_t>(rng.Below(10)));
  f.Put(PickMac(rng));
  f.Hot();
  f.Put(PickV4(rng));
  f.Put(PickMac(rng));
  f.Hot();
  f.Put(PickV4(rng));
  f.MarkHeaderEnd();
}

void PutNetwork(Rng& rng, Frame& f, Net net) {
  switch (net) {
    case Net::kIpv4: return PutIpv4(rng, f, 0);
    case Net::kIpv6: return PutIpv6(rng, f, 0);
    case Net::kArp: return PutArp(rng, f, false);
    case Net::kRarp: return PutArp(rng, f, true);
    case Net::kRandom:
      f.Hot();
      f.PutRandom(rng, rng.Below(48));
      f.MarkHeaderEnd();
      return;
  }
}

Net PickIpNet(Rng& rng) {
  uint32_t r = rng.Below(100);
  return r < 48 ? Net::kIpv4 : r < 96 ? Net::kIpv6 : Net::kRandom;
}

// An 802.2 LLC header (and sometimes SNAP) followed by a little payload.
void PutLlc(Rng& rng, Frame& f) {
  static constexpr std::array<uint8_t, 3> kLlc[] = {
      {0xaa, 0xaa, 0x03}, {0x42, 0x42, 0x03}, {0xe0, 0xe0, 0x03}, {0xfe, 0xfe, 0x03},
      {0xf0, 0xf0, 0x03}, {0xff, 0xff, 0x00}, {0x06, 0x06, 0x03}, {0xaa, 0xaa, 0x03},
      {0xfe, 0xfe, 0x03}};
  f.Hot();
  if (rng.Chance(90)) {
    f.Put(rng.Pick(kLlc));
  } else {
    f.PutRandom(rng, 3);
  }
  if (f.b[f.size() - 3] == 0xaa) {  // SNAP: OUI, EtherType
    f.Put8(0), f.Put8(0), f.Put8(rng.Chance(80) ? 0 : 0xf8);
    f.Hot();
    f.Put16(rng.Chance(60) ? 0x0800 : rng.Chance(50) ? 0x809b : 0x80f3);
  } else if (f.b[f.size() - 3] == 0xfe) {  // OSI: NLPID, length, version, id length, PDU type
    static constexpr uint8_t kNlpid[] = {0x81, 0x81, 0x82, 0x83, 0x83, 0x83, 0x00};
    static constexpr uint8_t kPdu[] = {15, 16, 17, 18, 20, 24, 25, 26, 27, 19};
    f.Hot();
    f.Put8(rng.Pick(kNlpid));
    f.Put8(27), f.Put8(1), f.Put8(0);
    f.Hot();
    f.Put8(rng.Pick(kPdu));
  }
  f.MarkHeaderEnd();
  f.PutRandom(rng, rng.Below(40));
}

// --- Link layers. ------------------------------------------------------------
// The EtherType and the payload for Ethernet-like links (also after SLL).
void PutEtherPayload(Rng& rng, Frame& f, bool allow_vlan) {
  uint32_t r = rng.Below(100);
  auto put_type = [&](uint16_t t) {
    f.Hot();
    f.Hot();
    f.hot.back() += 1;
    f.Put16(t);
  };
  if (allow_vlan && rng.Chance(15)) {  // one or two VLAN tags
    static constexpr uint16_t kTpid[] = {0x8100, 0x8100, 0x8100, 0x88a8, 0x9100};
    static constexpr uint16_t kVid[] = {0, 1, 2, 100, 200, 4095};
    uint32_t tags = rng.Chance(75) ? 1 : 2;
    for (uint32_t i = 0; i < tags; ++i) {
      put_type(rng.Pick(kTpid));
      f.Hot();
      uint16_t vid = rng.Chance(80) ? rng.Pick(kVid) : static_cast<uint16_t>(rng.Below(4096));
      f.Put16(static_cast<uint16_t>(rng.Below(8) << 13 | vid));
    }
  }
  if (r < 34) {
    put_type(0x0800), PutIpv4(rng, f, 0);
  } else if (r < 60) {
    put_type(0x86dd), PutIpv6(rng, f, 0);
  } else if (r < 69) {
    put_type(0x0806), PutArp(rng, f, false);
  } else if (r < 73) {
    put_type(0x8035), PutArp(rng, f, rng.Chance(80));
  } else if (r < 77) {  // MPLS label stack
    put_type(rng.Chance(85) ? 0x8847 : 0x8848);
    static constexpr uint32_t kLabels[] = {0, 1, 2, 16, 100, 1000, 0xfffff};
    uint32_t n = rng.Range(1, 3);
    for (uint32_t i = 0; i < n; ++i) {
      uint32_t label = rng.Chance(80) ? rng.Pick(kLabels) : rng.Below(1 << 20);
      f.Hot();
      f.Put32(label << 12 | rng.Below(8) << 9 | (i + 1 == n ? 1u << 8 : 0) | 64);
    }
    PutNetwork(rng, f, PickIpNet(rng));
  } else if (r < 80) {  // PPPoE session: version/type, code, session, length, PPP protocol
    put_type(rng.Chance(85) ? 0x8864 : 0x8863);
    static constexpr uint16_t kSessions[] = {0, 3, 0x27, 0xffff};
    static constexpr uint16_t kPpp[] = {0x0021, 0x0021, 0x0057, 0x0281, 0x0023, 0xc021};
    f.Hot();
    f.Put16(0x1100);
    f.Hot();
    f.Put16(rng.Chance(80) ? rng.Pick(kSessions) : rng.U16());
    f.Put16(0);
    f.Hot();
    const uint16_t ppp = rng.Pick(kPpp);
    f.Put16(ppp);
    if (ppp == 0x0281) {
      f.Hot();
      f.Put32(16u << 12 | 1u << 8 | 64);
    }
    PutNetwork(rng, f, ppp == 0x0057 ? Net::kIpv6 : ppp == 0xc021 ? Net::kRandom : Net::kIpv4);
  } else if (r < 86) {  // 802.3 length + LLC
    uint32_t len_off = f.size();
    put_type(0);
    PutLlc(rng, f);
    uint32_t len = f.size() - len_off - 2;
    f.Set16(len_off, static_cast<uint16_t>(rng.Chance(80) ? len : rng.Below(1501)));
  } else if (r < 91) {
    put_type(rng.Pick(kEtherTypePool));
    PutNetwork(rng, f, rng.Chance(70) ? Net::kRandom : PickIpNet(rng));
  } else if (r < 94) {  // DECnet routing header: short/long, maybe padded
    put_type(0x6003);
    static constexpr uint16_t kDnAddr[] = {0x0104, 0xffff, 0x0100, 0x0528, 0x7005};
    const bool padded = rng.Chance(40), long_form = rng.Chance(50);
    f.Put16(0);  // length
    f.Hot();
    if (padded) f.Put8(0x81);
    f.Put8(static_cast<uint8_t>((long_form ? 0x06 : 0x02) | (rng.Chance(80) ? 0 : rng.Below(8) << 3)));
    if (long_form) {
      f.Put16(0), f.Put16(0), f.Put16(0);  // destination area, subarea, id (high part)
      f.Hot();
      f.Put16(rng.Pick(kDnAddr));          // destination node
      f.Put16(0), f.Put16(0), f.Put16(0), f.Put16(0);
      f.Hot();
      f.Put16(rng.Pick(kDnAddr));          // source node
    } else {
      f.Hot();
      f.Put16(rng.Pick(kDnAddr));          // destination
      f.Hot();
      f.Put16(rng.Pick(kDnAddr));          // source
    }
    f.MarkHeaderEnd();
    f.PutRandom(rng, rng.Below(20));
    PutNetwork(rng, f, rng.Chance(70) ? Net::kRandom : PickIpNet(rng));
  } else {
    put_type(rng.U16());
    PutNetwork(rng, f, rng.Chance(70) ? Net::kRandom : PickIpNet(rng));
  }
}

void PutEthernet(Rng& rng, Frame& f) {
  f.Hot();
  f.Put(PickMac(rng));
  f.Hot();
  f.Put(PickMac(rng));
  PutEtherPayload(rng, f, true);
}

// Geneve (RFC 8926) after UDP: version and options length, flags, protocol
// type, VNI and a reserved byte, the options, then mostly an Ethernet frame
// (Transparent Ethernet Bridging), or IPv4/IPv6/anything by its EtherType.
void PutByEtherType(Rng& rng, Frame& f, uint16_t type);

void PutGeneve(Rng& rng, Frame& f) {
  static constexpr uint8_t kOptWords[] = {0, 0, 0, 1, 2, 3, 4, 8, 63};
  const uint8_t words = rng.Chance(90) ? rng.Pick(kOptWords) : static_cast<uint8_t>(rng.Below(64));
  f.Hot();
  f.Put8(static_cast<uint8_t>((rng.Chance(90) ? 0 : rng.Below(4) << 6) | words));
  f.Put8(rng.Chance(80) ? 0 : rng.Byte());
  static constexpr uint16_t kTypes[] = {0x6558, 0x6558, 0x6558, 0x6558, 0x0800, 0x86dd, 0x0806, 0x8100};
  const uint16_t type = rng.Chance(95) ? rng.Pick(kTypes) : rng.U16();
  f.Hot();
  f.Put16(type);
  static constexpr uint32_t kVnis[] = {0, 5, 7, 100, 0xffffff};
  f.Hot();
  f.Put32((rng.Chance(85) ? rng.Pick(kVnis) : rng.Below(1u << 24)) << 8 | (rng.Chance(85) ? 0 : rng.Byte()));
  for (uint32_t i = 0; i < 4u * words; ++i) f.Put8(rng.Byte());
  f.MarkHeaderEnd();
  if (type == 0x6558) return PutEthernet(rng, f);
  PutByEtherType(rng, f, type);
}

uint16_t PickSllProto(Rng& rng) {
  static constexpr uint16_t kProtos[] = {0x0800, 0x0800, 0x0800, 0x86dd, 0x86dd, 0x86dd,
                                         0x0806, 0x8035, 0x0004, 0x0001, 0x0003, 0x8100,
                                         0x88cc, 0x8847, 0x0005, 0x000c};
  return rng.Chance(90) ? rng.Pick(kProtos) : rng.U16();
}

// The payload after an SLL/SLL2 protocol field.
void PutSllPayload(Rng& rng, Frame& f, uint16_t proto) {
  switch (proto) {
    case 0x0800: return PutNetwork(rng, f, rng.Chance(95) ? Net::kIpv4 : Net::kIpv6);
    case 0x86dd: return PutNetwork(rng, f, rng.Chance(95) ? Net::kIpv6 : Net::kIpv4);
    case 0x0806: return PutArp(rng, f, false);
    case 0x8035: return PutArp(rng, f, true);
    case 0x0004: return PutLlc(rng, f);
    case 0x8100:
      f.Hot();
      f.Put16(static_cast<uint16_t>(rng.Chance(50) ? 100 : rng.Below(4096)));
      f.Hot();
      f.Put16(rng.Chance(50) ? 0x0800 : 0x86dd);
      return PutNetwork(rng, f, PickIpNet(rng));
    default: return PutNetwork(rng, f, rng.Chance(60) ? Net::kRandom : PickIpNet(rng));
  }
}

void PutSllAddress(Rng& rng, Frame& f) {
  f.Put(PickMac(rng));
  f.Put16(rng.Chance(80) ? 0 : rng.U16());
}

uint16_t PickHaType(Rng& rng) {
  static constexpr uint16_t kTypes[] = {1, 1, 1, 772, 776, 778, 65534, 824, 512, 280};
  return rng.Chance(90) ? rng.Pick(kTypes) : rng.U16();
}

void PutSll(Rng& rng, Frame& f) {
  f.Hot();
  f.Put16(static_cast<uint16_t>(rng.Chance(90) ? rng.Below(5) : rng.U16()));  // packet type
  f.Put16(PickHaType(rng));
  f.Put16(static_cast<uint16_t>(rng.Chance(85) ? 6 : rng.Below(9)));          // address length
  PutSllAddress(rng, f);
  uint16_t proto = PickSllProto(rng);
  f.Hot();
  f.Hot();
  f.hot.back() += 1;
  f.Put16(proto);
  PutSllPayload(rng, f, proto);
}

void PutSll2(Rng& rng, Frame& f) {
  uint16_t proto = PickSllProto(rng);
  f.Hot();
  f.Hot();
  f.hot.back() += 1;
  f.Put16(proto);
  f.Put16(rng.Chance(95) ? 0 : rng.U16());  // reserved
  static constexpr uint32_t kIfIndex[] = {1, 2, 3, 7, 42};
  f.Hot();
  f.Put32(rng.Chance(85) ? rng.Pick(kIfIndex) : rng.U32());
  f.Put16(PickHaType(rng));
  f.Hot();
  f.Put8(static_cast<uint8_t>(rng.Chance(90) ? rng.Below(5) : rng.Byte()));  // packet type
  f.Put8(static_cast<uint8_t>(rng.Chance(85) ? 6 : rng.Below(9)));           // address length
  PutSllAddress(rng, f);
  PutSllPayload(rng, f, proto);
}

void PutRaw(Rng& rng, Frame& f) {
  uint32_t r = rng.Below(100);
  if (r < 46) return PutIpv4(rng, f, 0);
  if (r < 92) return PutIpv6(rng, f, 0);
  f.Hot();
  f.Put8(static_cast<uint8_t>(rng.Chance(50) ? (rng.Below(16) << 4 | 5) : rng.Byte()));
  f.PutRandom(rng, rng.Below(60));
  f.MarkHeaderEnd();
}

// A PPP protocol number and its payload.
void PutPppProtocol(Rng& rng, Frame& f) {
  static constexpr uint16_t kProtos[] = {0x0021, 0x0021, 0x0021, 0x0057, 0x0057, 0x0057,
                                         0x0281, 0x0023, 0x0027, 0x0029, 0x002b, 0x8864,
                                         0x0031, 0xc021, 0x002d, 0x002f};
  f.Hot();
  const uint16_t p = rng.Chance(92) ? rng.Pick(kProtos) : rng.U16();
  f.Put16(p);
  switch (p) {
    case 0x002f:  // VJ uncompressed TCP/IP: an IPv4 header
    case 0x0021: return PutNetwork(rng, f, rng.Chance(95) ? Net::kIpv4 : Net::kIpv6);
    case 0x0057: return PutNetwork(rng, f, rng.Chance(95) ? Net::kIpv6 : Net::kIpv4);
    case 0x0281:
      f.Hot();
      f.Put32(16u << 12 | 1u << 8 | 64);
      return PutNetwork(rng, f, PickIpNet(rng));
    case 0x0023: {  // OSI: NLPID, length, version, id length, PDU type
      static constexpr uint8_t kNlpid[] = {0x81, 0x82, 0x83, 0x83};
      f.Hot();
      f.Put8(rng.Pick(kNlpid));
      f.Put8(27), f.Put8(1), f.Put8(0);
      f.Hot();
      f.Put8(static_cast<uint8_t>(15 + rng.Below(13)));
      f.MarkHeaderEnd();
      return f.PutRandom(rng, rng.Below(20));
    }
    default:
      return PutNetwork(rng, f, rng.Chance(60) ? Net::kRandom : PickIpNet(rng));
  }
}

// DLT_PPP / DLT_PPP_SERIAL: address, control, PPP protocol, payload.
void PutPpp(Rng& rng, Frame& f) {
  f.Put8(0xff), f.Put8(0x03);
  PutPppProtocol(rng, f);
}

// DLT_C_HDLC: address (unicast 0x0f or broadcast 0x8f), control, EtherType.
void PutCiscoHdlc(Rng& rng, Frame& f) {
  static constexpr uint16_t kTypes[] = {0x0800, 0x0800, 0x0800, 0x86dd, 0x86dd, 0x86dd,
                                        0x8847, 0xfefe, 0x6003, 0x0806, 0x809b, 0x00e0};
  f.Put8(rng.Chance(80) ? 0x0f : 0x8f), f.Put8(0);
  f.Hot();
  const uint16_t t = rng.Chance(92) ? rng.Pick(kTypes) : rng.U16();
  f.Put16(t);
  if (t == 0x0800) return PutNetwork(rng, f, Net::kIpv4);
  if (t == 0x86dd) return PutNetwork(rng, f, Net::kIpv6);
  if (t == 0x8847) {
    f.Hot();
    f.Put32(16u << 12 | 1u << 8 | 64);
    return PutNetwork(rng, f, PickIpNet(rng));
  }
  if (t == 0xfefe) {
    f.Put8(0x03);
    f.Hot();
    f.Put8(rng.Chance(70) ? 0x83 : 0x81);
    f.Put8(27), f.Put8(1);
    f.Hot();
    f.Put8(static_cast<uint8_t>(15 + rng.Below(13)));
    f.MarkHeaderEnd();
    return f.PutRandom(rng, rng.Below(20));
  }
  PutNetwork(rng, f, rng.Chance(60) ? Net::kRandom : PickIpNet(rng));
}

// DLT_NULL (host order, little endian here) and DLT_LOOP (big endian).
void PutAfHeader(Rng& rng, Frame& f, bool big_endian) {
  // libpcap on a pcap_open_dead handle tests AF_INET6 as this host's value
  // (10 on Linux); on a savefile it tests the BSD values 24, 28 and 30.
  static constexpr uint32_t kAf[] = {2, 2, 2, 2, 2, 10, 10, 10, 10, 24, 28, 30, 7, 23, 1, 0, 17};
  uint32_t af = rng.Chance(90) ? rng.Pick(kAf) : (rng.Chance(50) ? rng.Below(64) : rng.U32());
  f.Hot();
  for (int i = 1; i < 4; ++i) f.hot.push_back(f.size() + static_cast<uint32_t>(i));
  if (big_endian) {
    f.Put32(af);
  } else {
    f.Put32Le(af);
  }
  Net net = af == 2 ? Net::kIpv4 : (af == 10 || af == 24 || af == 28 || af == 30) ? Net::kIpv6
                                                                                  : PickIpNet(rng);
  if (rng.Chance(5)) net = PickIpNet(rng);  // a mismatched family
  PutNetwork(rng, f, net);
}

// --- The rest of libpcap's link types: real headers where the format is
// public, and the offsets libpcap reads filled with values it tests for.

// `n` bytes, mostly zeros (reserved fields), sometimes random.
void PutFiller(Rng& rng, Frame& f, uint32_t n) {
  const bool random = rng.Chance(30);
  for (uint32_t i = 0; i < n; ++i) f.Put8(random ? rng.Byte() : 0);
}

// The payload for an EtherType (IPv4, IPv6, ARP, RARP, anything else).
void PutByEtherType(Rng& rng, Frame& f, uint16_t type) {
  switch (type) {
    case 0x0800: return PutNetwork(rng, f, rng.Chance(95) ? Net::kIpv4 : Net::kIpv6);
    case 0x86dd: return PutNetwork(rng, f, rng.Chance(95) ? Net::kIpv6 : Net::kIpv4);
    case 0x0806: return PutArp(rng, f, false);
    case 0x8035: return PutArp(rng, f, true);
    default: return PutNetwork(rng, f, rng.Chance(60) ? Net::kRandom : PickIpNet(rng));
  }
}

uint16_t PickEtherType(Rng& rng) {
  static constexpr uint16_t kTypes[] = {0x0800, 0x0800, 0x0800, 0x86dd, 0x86dd, 0x86dd, 0x0806,
                                        0x8035, 0x809b, 0x80f3, 0x6003, 0x8137, 0x00fe, 0x0042};
  return rng.Chance(85) ? rng.Pick(kTypes) : rng.Chance(50) ? rng.Pick(kEtherTypePool) : rng.U16();
}

// An 802.2 header carrying a network layer: SNAP with an EtherType
// (AppleTalk with Apple's OUI), or one of the SAPs libpcap tests.
void PutLlcNetwork(Rng& rng, Frame& f) {
  if (rng.Chance(35)) return PutLlc(rng, f);
  f.Hot();
  f.Put8(0xaa), f.Put8(0xaa), f.Put8(0x03);
  const uint16_t type = rng.Chance(90) ? PickEtherType(rng) : 0x8864;
  f.Hot();
  if (type == 0x809b && rng.Chance(70)) {
    f.Put8(0x08), f.Put8(0x00), f.Put8(0x07);
  } else {
    f.Put8(0), f.Put8(0), f.Put8(0);
  }
  f.Hot();
  f.Put16(type);
  if (type == 0x8864) {  // PPPoE session, then PPP
    f.Put16(0x1100), f.Put16(rng.Chance(50) ? 1 : rng.U16()), f.Put16(0);
    return PutPppProtocol(rng, f);
  }
  PutByEtherType(rng, f, type);
}

// ARCNET: source, destination (0 = broadcast), [Linux: 2-byte offset],
// protocol id, split flag, sequence number; then the payload.
void PutArcnet(Rng& rng, Frame& f, bool linux_header) {
  static constexpr uint8_t kIds[] = {0xd4, 0xd4, 0xf0, 0xc4, 0xc4, 0xd5, 0xf1, 0xd6, 0xdd, 0xcd, 0xe8};
  f.Put8(rng.Byte());
  f.Hot();
  f.Put8(rng.Chance(30) ? 0 : rng.Byte());
  if (linux_header) f.Put16(0);
  f.Hot();
  const uint8_t id = rng.Chance(92) ? rng.Pick(kIds) : rng.Byte();
  f.Put8(id);
  f.Put8(0), f.Put16(rng.U16());  // split flag, sequence
  switch (id) {
    case 0xd4: case 0xf0: return PutNetwork(rng, f, Net::kIpv4);
    case 0xc4: return PutNetwork(rng, f, Net::kIpv6);
    case 0xd5: case 0xf1: return PutArp(rng, f, false);
    case 0xd6: return PutArp(rng, f, true);
    default: return PutNetwork(rng, f, Net::kRandom);
  }
}

// SLIP (BSD): direction (0 in, 1 out), then the compressed-header area up to
// `hdr` bytes; libpcap reads the IP version from the first byte.
void PutSlip(Rng& rng, Frame& f, uint32_t hdr) {
  static constexpr uint8_t kFirst[] = {0x00, 0x00, 0x01, 0x01, 0x45, 0x60, 0x4f};
  f.Hot();
  f.Put8(rng.Chance(90) ? rng.Pick(kFirst) : rng.Byte());
  PutFiller(rng, f, hdr - 1);
  PutNetwork(rng, f, PickIpNet(rng));
}

// BSD/OS PPP: a 24-byte header with the PPP protocol at offset 5.
void PutPppBsdos(Rng& rng, Frame& f) {
  f.Put8(rng.Chance(50) ? 0 : 1);
  PutFiller(rng, f, 4);
  PutPppProtocol(rng, f);  // (payload moved past the header below)
  // The header is 24 bytes: open a gap after the protocol field.
  f.b.insert(f.b.begin() + 7, 17, 0);
  for (uint32_t& h : f.hot) {
    if (h >= 7) h += 17;
  }
  f.header_end = f.header_end >= 7 ? f.header_end + 17 : f.header_end;
}

// Symantec firewall: 44 bytes, the EtherType at 6.
void PutSymantec(Rng& rng, Frame& f) {
  PutFiller(rng, f, 6);
  const uint16_t type = PickEtherType(rng);
  f.Hot();
  f.Put16(type);
  PutFiller(rng, f, 36);
  PutByEtherType(rng, f, type);
}

// Frame Relay (Q.922 address, UI control, NLPID); libpcap reads the network
// layer from offset 0, so most of its IP tests look at the address bytes.
void PutFrelay(Rng& rng, Frame& f) {
  static constexpr uint8_t kNlpid[] = {0xcc, 0xcc, 0x8e, 0x8e, 0x81, 0x82, 0x83, 0x83, 0x80};
  f.Hot();
  f.Put16(rng.Chance(50) ? 0x0401 : rng.U16());
  f.Hot();
  f.Put8(rng.Chance(90) ? 0x03 : rng.Byte());
  f.Hot();
  const uint8_t nlpid = rng.Chance(92) ? rng.Pick(kNlpid) : rng.Byte();
  f.Put8(nlpid);
  if (nlpid == 0xcc) return PutNetwork(rng, f, Net::kIpv4);
  if (nlpid == 0x8e) return PutNetwork(rng, f, Net::kIpv6);
  if (nlpid == 0x83) {  // IS-IS: length, version, id length, PDU type
    static constexpr uint8_t kPdu[] = {15, 16, 17, 18, 20, 24, 25, 26, 27};
    f.Put8(27), f.Put8(1), f.Put8(0);
    f.Hot();
    f.Put8(rng.Pick(kPdu));
    f.MarkHeaderEnd();
    return f.PutRandom(rng, rng.Below(20));
  }
  PutNetwork(rng, f, rng.Chance(50) ? Net::kRandom : PickIpNet(rng));
}

// OpenBSD enc: address family (host order), SPI, flags.
void PutEnc(Rng& rng, Frame& f) {
  static constexpr uint32_t kAf[] = {2, 2, 2, 10, 10, 10, 24, 0};
  const uint32_t af = rng.Chance(90) ? rng.Pick(kAf) : rng.U32();
  f.Hot();
  f.Put32Le(af);
  f.Put32(rng.U32()), f.Put32(0);
  PutNetwork(rng, f, af == 2 ? Net::kIpv4 : af == 10 ? Net::kIpv6 : PickIpNet(rng));
}

// LocalTalk LLAP: destination, source, type (1 short / 2 long DDP).
void PutLocalTalk(Rng& rng, Frame& f) {
  f.Put8(rng.Byte()), f.Put8(rng.Byte());
  f.Hot();
  f.Put8(static_cast<uint8_t>(rng.Chance(80) ? rng.Range(1, 2) : rng.Byte()));
  PutNetwork(rng, f, rng.Chance(50) ? Net::kRandom : PickIpNet(rng));
}

// RFC 2625 IP over Fibre Channel: network header (destination and source
// as NAA + 48-bit address), then LLC/SNAP.
void PutIpOverFc(Rng& rng, Frame& f) {
  f.Put16(0x1000);
  f.Hot();
  f.Put(PickMac(rng));
  f.Put16(0x1000);
  f.Hot();
  f.Put(PickMac(rng));
  PutLlcNetwork(rng, f);
}

// Apple IP over IEEE 1394: destination and source EUI-64, EtherType.
void PutAppleFirewire(Rng& rng, Frame& f) {
  f.PutRandom(rng, 16);
  const uint16_t type = PickEtherType(rng);
  f.Hot();
  f.Put16(type);
  PutByEtherType(rng, f, type);
}

// BACnet MS/TP: preamble 0x55 0xff, frame type, addresses, length, CRC.
void PutBacnet(Rng& rng, Frame& f) {
  f.Hot();
  f.Put8(rng.Chance(85) ? 0x55 : rng.Byte());
  f.Hot();
  f.Put8(rng.Chance(85) ? 0xff : rng.Byte());
  f.Put8(static_cast<uint8_t>(rng.Below(8)));
  f.Put8(rng.Byte()), f.Put8(rng.Byte());
  f.Put16(0), f.Put8(rng.Byte());
  PutNetwork(rng, f, rng.Chance(50) ? Net::kRandom : PickIpNet(rng));
}

// pppd with direction flag: direction (0 in, 1 out), control, protocol.
void PutPppPppd(Rng& rng, Frame& f) {
  f.Hot();
  f.Put8(static_cast<uint8_t>(rng.Chance(90) ? rng.Below(2) : rng.Byte()));
  f.Put8(0x03);
  PutPppProtocol(rng, f);
}

// PPPoE session header, then PPP.
void PutPppEther(Rng& rng, Frame& f) {
  f.Put8(0x11), f.Put8(0);
  f.Hot();
  f.Put16(rng.Chance(50) ? 1 : rng.U16());
  f.Put16(0);
  PutPppProtocol(rng, f);
}

// Solaris ipnet: version, family (2 IPv4, 26 IPv6), direction (1 out,
// 2 in), length, interface and zone ids.
void PutIpnet(Rng& rng, Frame& f) {
  static constexpr uint8_t kFamily[] = {2, 2, 2, 26, 26, 26, 0, 24};
  f.Put8(1);
  f.Hot();
  const uint8_t family = rng.Chance(92) ? rng.Pick(kFamily) : rng.Byte();
  f.Put8(family);
  f.Hot();
  f.Put16(static_cast<uint16_t>(rng.Chance(90) ? rng.Range(1, 2) : rng.U16()));
  f.Put32(0), f.Put32(1), f.Put32(1), f.Put32(0), f.Put32(0);
  PutNetwork(rng, f, family == 2 ? Net::kIpv4 : family == 26 ? Net::kIpv6 : PickIpNet(rng));
}

// Hilscher netANALYZER: a 4-byte status header (transparent mode: then the
// preamble and SFD), then the Ethernet frame.
void PutNetAnalyzer(Rng& rng, Frame& f, bool transparent) {
  f.Put32(rng.U32());
  if (transparent) {
    for (int i = 0; i < 7; ++i) f.Put8(0x55);
    f.Put8(0xd5);
  }
  PutEthernet(rng, f);
}

// Juniper: "MGC" cookie, flags (bit 0: inbound), then the PIC's own header
// up to where libpcap expects the network layer (`nl`; the ES, VP, ...
// types have none it can find, so the payload just follows).
void PutJuniper(Rng& rng, Frame& f, uint32_t nl, bool ether) {
  f.Hot();
  f.Put8('M');
  f.Hot();
  f.Put8(rng.Chance(90) ? 'G' : rng.Byte());
  f.Put8('C');
  f.Hot();
  f.Put8(static_cast<uint8_t>(rng.Chance(90) ? rng.Below(4) : rng.Byte()));
  if (ether && nl >= 18) {
    PutFiller(rng, f, nl - 18);
    return PutEthernet(rng, f);
  }
  if (nl > 4 && nl < 64) PutFiller(rng, f, nl - 4);
  PutNetwork(rng, f, PickIpNet(rng));
}

// Link types without a protocol field libpcap can test: bytes of many
// lengths, for len, link[...] and the direction tests.
void PutOpaque(Rng& rng, Frame& f) {
  f.Hot();
  f.PutRandom(rng, rng.Below(rng.Chance(50) ? 40 : 200));
  f.MarkHeaderEnd();
}

// --- LLC links: FDDI, token ring, 802.11. -------------------------------------
// An 802.2 payload as these links carry it: mostly SNAP with an EtherType
// and the network layer behind it, else the plain LLC frames of PutLlc.
void PutLlcPayload(Rng& rng, Frame& f) {
  if (rng.Chance(20)) return PutLlc(rng, f);
  static constexpr uint16_t kTypes[] = {0x0800, 0x0800, 0x0800, 0x0800, 0x0800, 0x0800, 0x86dd,
                                        0x86dd, 0x86dd, 0x86dd, 0x0806, 0x8035, 0x809b, 0x80f3,
                                        0x6003, 0x8137, 0x8864, 0x8100};
  const uint16_t type = rng.Chance(90) ? rng.Pick(kTypes) : rng.Pick(kEtherTypePool);
  f.Hot();
  f.Put8(rng.Chance(95) ? 0xaa : rng.Byte());
  f.Put8(0xaa), f.Put8(0x03);
  f.Hot();
  if (type == 0x809b && rng.Chance(80)) f.Put8(0x08), f.Put8(0x00), f.Put8(0x07);  // Apple's OUI
  else f.Put8(0), f.Put8(0), f.Put8(rng.Chance(90) ? 0 : 0xf8);
  f.Hot();
  f.Hot();
  f.hot.back() += 1;
  f.Put16(type);
  switch (type) {
    case 0x0800: return PutNetwork(rng, f, rng.Chance(95) ? Net::kIpv4 : Net::kIpv6);
    case 0x86dd: return PutNetwork(rng, f, rng.Chance(95) ? Net::kIpv6 : Net::kIpv4);
    case 0x0806: return PutArp(rng, f, false);
    case 0x8035: return PutArp(rng, f, true);
    case 0x8100: {  // a VLAN tag (100, 200 or any), then the inner EtherType
      static constexpr uint16_t kVid[] = {100, 100, 200, 1};
      f.Hot();
      f.Put16(static_cast<uint16_t>(rng.Chance(80) ? rng.Pick(kVid) : rng.Below(4096)));
      const bool v6 = rng.Chance(40);
      f.Hot();
      f.Put16(v6 ? 0x86dd : 0x0800);
      return PutNetwork(rng, f, v6 ? Net::kIpv6 : Net::kIpv4);
    }
    case 0x8864:  // PPPoE session carrying IPv4
      f.Put16(0x1100), f.Put16(rng.Chance(50) ? 3 : rng.U16()), f.Put16(0);
      f.Hot();
      f.Put16(rng.Chance(80) ? 0x0021 : 0x0057);
      return PutNetwork(rng, f, PickIpNet(rng));
    default: return PutNetwork(rng, f, rng.Chance(60) ? Net::kRandom : PickIpNet(rng));
  }
}

void PutFddi(Rng& rng, Frame& f) {
  f.Hot();
  f.Put8(rng.Chance(80) ? 0x50 : rng.Byte());  // frame control: LLC, asynchronous
  f.Hot();
  f.Put(PickMac(rng));
  f.Hot();
  f.Put(PickMac(rng));
  PutLlcPayload(rng, f);
}

// Token ring; a source address with the routing-information bit set is
// followed by a routing field (which libpcap does not skip).
void PutTokenRing(Rng& rng, Frame& f) {
  f.Put8(0x10);  // access control
  f.Hot();
  f.Put8(rng.Chance(90) ? 0x40 : rng.Byte());  // frame control: LLC
  f.Hot();
  f.Put(PickMac(rng));
  Mac src = PickMac(rng);
  const bool routed = rng.Chance(15);
  if (routed) src[0] |= 0x80;
  f.Hot();
  f.Put(src);
  if (routed) {
    const uint32_t len = 2 * rng.Range(1, 9);
    f.Put8(static_cast<uint8_t>(len)), f.Put8(0x30);
    f.PutRandom(rng, len - 2);
  }
  PutLlcPayload(rng, f);
}

// An 802.11 frame: management (with a body), control (addresses by
// subtype), or data (with or without QoS, four addresses between DSs,
// protected or null bodies, else LLC). `pad` (radiotap's data-pad flag)
// pads a data frame's header to a multiple of 4 bytes.
void PutWlan(Rng& rng, Frame& f, bool pad) {
  static constexpr uint8_t kMgt[] = {0, 1, 2, 3, 4, 5, 8, 8, 8, 9, 10, 11, 12, 13, 14};
  static constexpr uint8_t kCtl[] = {7, 8, 9, 10, 11, 11, 12, 12, 13, 13, 14, 15};
  static constexpr uint8_t kData[] = {0, 0, 0, 0, 0, 0, 8, 8, 8, 8, 8, 8, 4, 12, 1, 2, 3, 5, 6, 7, 9, 10, 11, 14, 15};
  static constexpr uint8_t kDataDir[] = {0, 0, 0, 1, 1, 1, 2, 2, 2, 3};
  const uint32_t start = f.size();
  const uint32_t r = rng.Below(100);
  const uint8_t type = r < 15 ? 0 : r < 27 ? 1 : r < 97 ? 2 : 3;
  const uint8_t subtype = type == 0 ? rng.Pick(kMgt) : type == 1 ? rng.Pick(kCtl) : type == 2 ? rng.Pick(kData) : static_cast<uint8_t>(rng.Below(16));
  const uint8_t fc0 = static_cast<uint8_t>(subtype << 4 | type << 2 | (rng.Chance(97) ? 0 : rng.Below(4)));
  uint8_t fc1 = static_cast<uint8_t>(type == 2 ? rng.Pick(kDataDir) : rng.Chance(90) ? 0 : rng.Below(4));
  if (rng.Chance(10)) fc1 |= 0x08;                    // retry
  const bool protect = type != 1 && rng.Chance(6);
  if (protect) fc1 |= 0x40;
  f.Hot();
  f.Put8(fc0);
  f.Hot();
  f.Put8(fc1);
  f.Put16(static_cast<uint16_t>(rng.Below(400)));     // duration
  f.Hot();
  f.Put(PickMac(rng));                                // addr1
  if (type == 1) {
    if (subtype != 12 && subtype != 13) {             // all but CTS and ACK have a TA
      f.Hot();
      f.Put(PickMac(rng));
    }
    if (subtype == 8 || subtype == 9) f.PutRandom(rng, 4);  // block ack request / ack
    f.MarkHeaderEnd();
    return;
  }
  f.Hot();
  f.Put(PickMac(rng));                                // addr2
  f.Hot();
  f.Put(PickMac(rng));                                // addr3
  f.Put16(rng.U16());                                 // sequence control
  if (type != 2) {
    f.MarkHeaderEnd();
    f.PutRandom(rng, rng.Below(48));                  // management body
    return;
  }
  if ((fc1 & 3) == 3) {
    f.Hot();
    f.Put(PickMac(rng));                              // addr4
  }
  if (subtype & 8) {
    f.Hot();
    f.Put16(static_cast<uint16_t>(rng.Below(8) << 8));  // QoS control
  }
  if (pad) {
    while ((f.size() - start) % 4) f.Put8(0);
  }
  if (protect) {
    f.PutRandom(rng, 8);                              // CCMP header
    f.MarkHeaderEnd();
    f.PutRandom(rng, rng.Below(40));
    return;
  }
  if (subtype & 4) {                                  // null data: no body
    f.MarkHeaderEnd();
    return;
  }
  PutLlcPayload(rng, f);
}

void PutLe16(Frame& f, uint16_t v) {
  f.Put8(static_cast<uint8_t>(v)), f.Put8(static_cast<uint8_t>(v >> 8));
}
void SetLe16(Frame& f, uint32_t off, uint16_t v) {
  f.b[off] = static_cast<uint8_t>(v);
  f.b[off + 1] = static_cast<uint8_t>(v >> 8);
}

// A radio header's length field, mostly right: sometimes off by a little,
// sometimes nonsense.
uint16_t MaybeWrongLength(Rng& rng, uint32_t len) {
  if (rng.Chance(94)) return static_cast<uint16_t>(len);
  if (rng.Chance(50)) return static_cast<uint16_t>(len + rng.Range(1, 4) - 2);
  return rng.Chance(50) ? static_cast<uint16_t>(rng.Below(64)) : rng.U16();
}

// Radiotap: present flags varied (TSFT, flags, rate, channel, signal,
// antenna, sometimes an extended bitmap), fields aligned as radiotap wants.
void PutRadiotap(Rng& rng, Frame& f) {
  f.Put8(0), f.Put8(0);
  f.Hot();
  f.Hot();
  f.hot.back() += 1;
  PutLe16(f, 0);  // it_len, set below
  uint32_t present = 0;
  if (rng.Chance(35)) present |= 1u << 0;   // TSFT
  if (rng.Chance(65)) present |= 1u << 1;   // flags
  if (rng.Chance(50)) present |= 1u << 2;   // rate
  if (rng.Chance(60)) present |= 1u << 3;   // channel
  if (rng.Chance(50)) present |= 1u << 5;   // antenna signal
  if (rng.Chance(30)) present |= 1u << 11;  // antenna
  const bool ext = rng.Chance(15);
  if (ext) present |= 1u << 31;
  f.Hot();
  f.Put32Le(present);
  if (ext) f.Put32Le(rng.Chance(50) ? 0 : 1u << 29);  // a second word, vendor namespace bit
  uint8_t flags = 0;
  if (rng.Chance(30)) flags |= 0x20;  // data pad
  if (rng.Chance(20)) flags |= 0x10;  // FCS at end
  if (rng.Chance(10)) flags |= static_cast<uint8_t>(rng.Byte() & 0xcf);
  if (present & 1u) {
    while (f.size() % 8) f.Put8(0);
    f.PutRandom(rng, 8);
  }
  if (present & 2u) {
    f.Hot();
    f.Put8(flags);
  }
  if (present & 4u) f.Put8(static_cast<uint8_t>(rng.Range(2, 108)));
  if (present & 8u) {
    while (f.size() % 2) f.Put8(0);
    PutLe16(f, 2412), PutLe16(f, 0x00a0);
  }
  if (present & (1u << 5)) f.Put8(static_cast<uint8_t>(-rng.Range(20, 90)));
  if (present & (1u << 11)) f.Put8(static_cast<uint8_t>(rng.Below(4)));
  SetLe16(f, 2, MaybeWrongLength(rng, f.size()));
  PutWlan(rng, f, (present & 2u) && (flags & 0x20));
  if (flags & 0x10) f.Put32(rng.U32());
}

// PPI: an 8-byte header (DLT 105 inside, mostly) and a field or two.
void PutPpi(Rng& rng, Frame& f) {
  f.Put8(0), f.Put8(0);
  f.Hot();
  PutLe16(f, 0);  // pph_len, set below
  f.Hot();
  f.Put32Le(rng.Chance(92) ? 105 : rng.Chance(50) ? 127 : rng.Below(300));
  const uint32_t fields = rng.Below(3);
  for (uint32_t i = 0; i < fields; ++i) {
    const bool common = rng.Chance(70);
    const uint16_t len = common ? 20 : static_cast<uint16_t>(rng.Below(16));
    PutLe16(f, common ? 2 : static_cast<uint16_t>(rng.Range(3, 8)));
    PutLe16(f, len);
    f.PutRandom(rng, len);
  }
  SetLe16(f, 2, MaybeWrongLength(rng, f.size()));
  PutWlan(rng, f, false);
}

// An AVS header: version word, then its big-endian length.
void PutAvsHeader(Rng& rng, Frame& f) {
  f.Hot();
  f.Put32(rng.Chance(90) ? 0x80211001 : 0x80211000 | rng.Below(0x1000));
  f.Hot();
  f.Put32(MaybeWrongLength(rng, 64));
  f.PutRandom(rng, 56);
}

// PRISM_HEADER: a 144-byte prism header, or an AVS header in its place.
void PutPrism(Rng& rng, Frame& f) {
  if (rng.Chance(40)) {
    PutAvsHeader(rng, f);
  } else {
    f.Hot();
    f.Put32Le(rng.Chance(90) ? 0x44 : rng.U32());  // message code
    f.Put32Le(144);
    f.PutRandom(rng, 136);
  }
  PutWlan(rng, f, false);
}

// DLT_PFLOG: a pfloghdr (length, AF, action, reason, interface and ruleset
// names, rule numbers, uid/pid, direction, padding), the network layer at
// the length rounded up to 4: usually 61 (64 with the padding), sometimes
// another length, which moves the payload or overlaps the header.
void PutPflog(Rng& rng, Frame& f) {
  static constexpr std::string_view kIfNames[] = {"em0", "em1", "em01", "pflog0", "lo0",
                                                  "eth0.1", "abcdefghijklmno", "e", ""};
  static constexpr std::string_view kRulesets[] = {"", "", "foo", "anchor1", "abcdefghijklmno"};
  static constexpr uint32_t kRules[] = {0, 1, 2, 3, 17, 0xffffffff};
  static constexpr uint8_t kLengths[] = {61, 61, 61, 64, 64, 45, 48, 60, 62, 63, 65, 68, 0, 255};
  static constexpr uint8_t kAfs[] = {2, 2, 2, 10, 10, 10, 24, 28, 30, 0, 1};
  auto put_name = [&](std::string_view name) {
    for (size_t i = 0; i < 16; ++i) f.Put8(i < name.size() ? static_cast<uint8_t>(name[i]) : 0);
  };
  const uint8_t len = rng.Chance(85) ? rng.Pick(kLengths) : rng.Byte();
  f.Hot();
  f.Put8(len);
  f.Hot();
  const uint8_t af = rng.Chance(92) ? rng.Pick(kAfs) : rng.Byte();
  f.Put8(af);
  f.Hot();
  f.Put8(static_cast<uint8_t>(rng.Chance(90) ? rng.Below(10) : rng.Byte()));  // action
  f.Hot();
  f.Put8(static_cast<uint8_t>(rng.Chance(90) ? rng.Below(16) : rng.Byte()));  // reason
  f.Hot();
  put_name(rng.Pick(kIfNames));
  f.Hot();
  put_name(rng.Pick(kRulesets));
  f.Hot();
  f.Put32(rng.Chance(85) ? rng.Pick(kRules) : rng.U32());  // rule number
  f.Hot();
  f.Put32(rng.Chance(85) ? rng.Pick(kRules) : rng.U32());  // subrule number
  for (int i = 0; i < 4; ++i) f.Put32(rng.Chance(50) ? 0 : rng.U32());  // uid, pid, rule uid/pid
  f.Hot();
  f.Put8(static_cast<uint8_t>(rng.Chance(90) ? rng.Below(3) : rng.Byte()));  // direction
  f.Put8(0), f.Put8(0), f.Put8(0);
  f.b.resize((len + 3u) & ~3u, 0);
  const Net net = af == 2 ? Net::kIpv4 : af == 10 ? Net::kIpv6 : PickIpNet(rng);
  PutNetwork(rng, f, rng.Chance(95) ? net : PickIpNet(rng));
}

// DLT_SUNATM: flags (traffic type in the low nibble), VPI, VCI, then an
// LLC/SNAP payload, a LANE frame (LE client id + Ethernet, or an LE control
// frame), a signalling message (Q.2931 message type at payload + 5), or an
// OAM/ILMI cell.
void PutSunAtm(Rng& rng, Frame& f) {
  static constexpr uint8_t kVpis[] = {0, 0, 0, 1, 2, 255};
  static constexpr uint16_t kVcis[] = {1, 2, 3, 4, 5, 16, 32, 100, 0, 0xffff};
  static constexpr uint8_t kMsgs[] = {0x5a, 0x4d, 0x0f, 0x07, 0x05, 0x02, 0x46, 0x62, 0x4e};
  const uint32_t r = rng.Below(100);
  // Traffic type: LANE 1, LLC 2, others; the high bits are direction etc.
  uint8_t type = r < 55 ? 2 : r < 85 ? 1 : static_cast<uint8_t>(rng.Below(16));
  f.Hot();
  f.Put8(static_cast<uint8_t>((rng.Chance(50) ? 0x80 : 0) | (rng.Chance(10) ? rng.Below(8) << 4 : 0) | type));
  f.Hot();
  f.Put8(rng.Chance(90) ? rng.Pick(kVpis) : rng.Byte());
  f.Hot();
  f.Put16(rng.Chance(90) ? rng.Pick(kVcis) : rng.U16());
  if (type == 1) {  // LANE: LE client id, then Ethernet (or an LE control frame)
    f.Hot();
    f.Put16(rng.Chance(20) ? 0xff00 : static_cast<uint16_t>(rng.Below(8)));
    PutEthernet(rng, f);
    return;
  }
  if (type == 2 && rng.Chance(85)) {  // LLC/SNAP or other 802.2
    if (rng.Chance(80)) {
      f.Hot();
      f.Put8(0xaa), f.Put8(0xaa), f.Put8(0x03);
      const bool atalk = rng.Chance(8);
      f.Put8(atalk ? 0x08 : 0), f.Put8(0), f.Put8(atalk ? 0x07 : 0);
      static constexpr uint16_t kTypes[] = {0x0800, 0x0800, 0x0800, 0x0800, 0x86dd, 0x86dd,
                                            0x86dd, 0x0806, 0x8035, 0x809b, 0x80f3, 0x6003,
                                            0x8137, 0x05dd, 0x8864};
      const uint16_t et = atalk            ? 0x809b
                          : rng.Chance(60) ? (rng.Chance(65) ? 0x0800 : 0x86dd)
                          : rng.Chance(85) ? rng.Pick(kTypes)
                                           : rng.U16();
      f.Hot();
      f.Hot();
      f.hot.back() += 1;
      f.Put16(et);
      return PutNetwork(rng, f, et == 0x0800 ? Net::kIpv4 : et == 0x86dd ? Net::kIpv6
                                : et == 0x0806 ? Net::kArp : et == 0x8035 ? Net::kRarp : Net::kRandom);
    }
    return PutLlc(rng, f);
  }
  // A signalling message or a cell payload.
  f.Put8(0x09), f.Put8(3), f.Put8(rng.Byte()), f.Put8(rng.Byte()), f.Put8(rng.Byte());
  f.Hot();
  f.Put8(rng.Chance(85) ? rng.Pick(kMsgs) : rng.Byte());
  f.MarkHeaderEnd();
  f.PutRandom(rng, rng.Below(40));
}

// SS7: MTP2 (BSN, FSN, length indicator, SIO, routing label, SIF), in the
// basic layout or, half the time, the high-speed one (two-byte sequence
// numbers and length indicator), behind `prefix` bytes of pseudo-header.
void PutMtp2(Rng& rng, Frame& f, uint32_t prefix) {
  static constexpr uint32_t kPcs[] = {0, 1, 5, 1000, 0x2aaa, 0x3fff};
  static constexpr uint8_t kSios[] = {0x03, 0x83, 0x05, 0x85, 0x00, 0x0f};
  for (uint32_t i = 0; i < prefix; ++i) f.Put8(rng.Chance(70) ? 0 : rng.Byte());
  const bool hsl = rng.Chance(50);
  f.Put8(rng.Byte());
  if (hsl) f.Put8(rng.Byte());
  f.Put8(rng.Byte());
  if (hsl) f.Put8(rng.Byte());
  f.Hot();
  uint32_t li = rng.Chance(85) ? rng.Below(6) : rng.Below(64);
  if (hsl) {
    f.Put16(static_cast<uint16_t>(li << 7 | (rng.Chance(80) ? 0 : rng.Below(128))));
  } else {
    f.Put8(static_cast<uint8_t>(li | (rng.Chance(80) ? 0 : rng.Below(4) << 6)));
  }
  f.Hot();
  f.Put8(rng.Chance(85) ? rng.Pick(kSios) : rng.Byte());
  const uint32_t dpc = rng.Chance(85) ? rng.Pick(kPcs) : rng.Below(1 << 14);
  const uint32_t opc = rng.Chance(85) ? rng.Pick(kPcs) : rng.Below(1 << 14);
  const uint32_t sls = rng.Below(16);
  f.Hot();
  for (uint32_t i = 1; i < 4; ++i) f.hot.push_back(f.size() + i);
  f.Put32Le(dpc | opc << 14 | sls << 28);
  f.MarkHeaderEnd();
  f.PutRandom(rng, rng.Below(24));
}

// DLT_MTP3: SIO, routing label, SIF.
void PutMtp3(Rng& rng, Frame& f) {
  f.Hot();
  f.Put8(rng.Byte());
  f.Hot();
  f.Put32Le(rng.U32());
  f.MarkHeaderEnd();
  f.PutRandom(rng, rng.Below(24));
}

Frame BuildFrame(Rng& rng, int dlt) {
  Frame f;
  geneve_forced = false;
  geneve_outer_percent = dlt == 105 || dlt == 119 || dlt == 127 || dlt == 163 || dlt == 192 ? 40 : 0;
  switch (dlt) {
    case 1: PutEthernet(rng, f); break;
    case 12: PutRaw(rng, f); break;
    case 113: PutSll(rng, f); break;
    case 276: PutSll2(rng, f); break;
    case 0: PutAfHeader(rng, f, false); break;
    case 9:
    case 50: PutPpp(rng, f); break;
    case 104: PutCiscoHdlc(rng, f); break;
    case 228: PutNetwork(rng, f, rng.Chance(95) ? Net::kIpv4 : Net::kRandom); break;
    case 229: PutNetwork(rng, f, rng.Chance(95) ? Net::kIpv6 : Net::kRandom); break;
    case 108: PutAfHeader(rng, f, true); break;
    case 117: PutPflog(rng, f); break;
    case 123: PutSunAtm(rng, f); break;
    case 139: PutMtp2(rng, f, 4); break;
    case 140: PutMtp2(rng, f, 0); break;
    case 141: PutMtp3(rng, f); break;
    case 197: PutMtp2(rng, f, 20); break;  // ERF record header + extension
    case 7: PutArcnet(rng, f, false); break;
    case 129: PutArcnet(rng, f, true); break;
    case 8: PutSlip(rng, f, 16); break;
    case 15: PutSlip(rng, f, 24); break;
    case 11:
    case 19: PutLlcNetwork(rng, f); break;
    case 16: PutPppBsdos(rng, f); break;
    case 51: PutPppEther(rng, f); break;
    case 99: PutSymantec(rng, f); break;
    case 107: PutFrelay(rng, f); break;
    case 109: PutEnc(rng, f); break;
    case 112: PutCiscoHdlc(rng, f); break;
    case 114: PutLocalTalk(rng, f); break;
    case 122: PutIpOverFc(rng, f); break;
    case 138: PutAppleFirewire(rng, f); break;
    case 165: PutBacnet(rng, f); break;
    case 166: PutPppPppd(rng, f); break;
    case 226: PutIpnet(rng, f); break;
    case 240: PutNetAnalyzer(rng, f, false); break;
    case 241: PutNetAnalyzer(rng, f, true); break;
    case 178: PutJuniper(rng, f, 32, true); break;
    case 179: PutJuniper(rng, f, 4, false); break;
    case 137: PutJuniper(rng, f, 4, false); break;
    case 133: PutJuniper(rng, f, 12, false); break;
    case 132: PutJuniper(rng, f, 4, false); break;
    case 143:
    case 189: PutOpaque(rng, f); break;
    case 6: PutTokenRing(rng, f); break;
    case 10: PutFddi(rng, f); break;
    case 105: PutWlan(rng, f, false); break;
    case 119: PutPrism(rng, f); break;
    case 127: PutRadiotap(rng, f); break;
    case 163: PutAvsHeader(rng, f), PutWlan(rng, f, false); break;
    case 192: PutPpi(rng, f); break;
    default: break;
  }
  if (f.header_end == 0) f.header_end = f.size();
  // Pad to a length the corpus's len/less/greater tests sit around.
  static constexpr uint32_t kLengths[] = {60, 64, 99, 100, 101, 128, 255, 256, 576, 1000, 1500, 1514};
  if (rng.Chance(12)) {
    uint32_t target = rng.Pick(kLengths);
    while (f.size() < target) f.Put8(0);
  } else if (dlt == 1 && f.size() < 60 && rng.Chance(50)) {
    f.b.resize(60, 0);  // Ethernet minimum frame
  }
  return f;
}

// One byte at a header offset (mostly) changed to something interesting.
void MutateBytes(Rng& rng, Frame& f) {
  static constexpr uint8_t kValues[] = {0x00, 0xff, 0x45, 0x46, 0x4f, 0x60, 0x06, 0x11, 0x3a,
                                        0x08, 0x86, 0xdd, 0x81, 0x20, 0x1f, 0x84, 0x02, 0x01};
  uint32_t n = rng.Range(1, 3);
  for (uint32_t i = 0; i < n && !f.b.empty(); ++i) {
    uint32_t off;
    if (!f.hot.empty() && rng.Chance(75)) {
      off = f.hot[rng.Below(static_cast<uint32_t>(f.hot.size()))];
    } else {
      off = rng.Below(std::max<uint32_t>(1, std::min(f.size(), f.header_end + 4)));
    }
    if (off >= f.size()) continue;
    uint32_t r = rng.Below(3);
    if (r == 0) f.b[off] = rng.Pick(kValues);
    else if (r == 1) f.b[off] ^= static_cast<uint8_t>(1u << rng.Below(8));
    else f.b[off] = rng.Byte();
  }
}

void Emit(std::vector<Packet>& out, const std::vector<uint8_t>& b, uint32_t caplen,
          uint32_t wirelen) {
  Packet p;
  p.bytes.assign(b.begin(), b.begin() + caplen);
  p.wirelen = wirelen;
  out.push_back(std::move(p));
}

}  // namespace

std::span<const DiffLinkType> DiffLinkTypes() {
  // Minor link types: fewer packets and a subset of the corpus (diff_test.cc:
  // the link-level expressions and every kMinorStride-th other one).
  constexpr size_t kMinor = kPacketsPerMinorLinkType;
  static constexpr DiffLinkType kTypes[] = {
      {1, "EN10MB", 262144},       {12, "RAW", 65535},  {113, "LINUX_SLL", 262144},
      {276, "LINUX_SLL2", 262144}, {0, "NULL", 262144}, {108, "LOOP", 96},
      {9, "PPP", 262144},          {50, "PPP_SERIAL", 262144}, {104, "C_HDLC", 262144},
      {228, "IPV4", 262144},       {229, "IPV6", 65535},
      {7, "ARCNET", 262144, kMinor},            {129, "ARCNET_LINUX", 262144, kMinor},
      {8, "SLIP", 262144, kMinor},              {15, "SLIP_BSDOS", 262144, kMinor},
      {11, "ATM_RFC1483", 262144, kMinor},      {19, "ATM_CLIP", 262144, kMinor},
      {16, "PPP_BSDOS", 262144, kMinor},        {51, "PPP_ETHER", 262144, kMinor},
      {166, "PPP_PPPD", 262144, kMinor},        {99, "SYMANTEC_FIREWALL", 262144, kMinor},
      {107, "FRELAY", 262144, kMinor},          {109, "ENC", 262144, kMinor},
      {112, "112", 262144, kMinor},             {114, "LTALK", 262144, kMinor},
      {122, "IP_OVER_FC", 262144, kMinor},      {138, "APPLE_IP_OVER_IEEE1394", 262144, kMinor},
      {165, "BACNET_MS_TP", 262144, kMinor},    {226, "IPNET", 262144, kMinor},
      {240, "NETANALYZER", 262144, kMinor},     {241, "NETANALYZER_TRANSPARENT", 262144, kMinor},
      {178, "JUNIPER_ETHER", 262144, kMinor},   {179, "JUNIPER_PPP", 262144, kMinor},
      {137, "JUNIPER_ATM1", 262144, kMinor},    {133, "JUNIPER_GGSN", 262144, kMinor},
      {132, "JUNIPER_ES", 262144, kMinor},      {143, "DOCSIS", 262144, kMinor},
      {189, "USB_LINUX", 262144, kMinor},
      // LLC links and 802.11: also the 802.11 corpus (exprs_wlan.txt).
      {10, "FDDI", 262144, 2000, CorpusSet::kMainAndWlan},
      {6, "IEEE802", 262144, kMinor, CorpusSet::kMainAndWlan},
      {105, "IEEE802_11", 262144, 2500, CorpusSet::kWlanFamily},
      {127, "IEEE802_11_RADIO", 262144, 3000, CorpusSet::kWlanFamily},
      {192, "PPI", 262144, 1500, CorpusSet::kWlanFamily},
      {119, "PRISM_HEADER", 262144, 1500, CorpusSet::kWlanFamily},
      {163, "IEEE802_11_RADIO_AVS", 262144, 1500, CorpusSet::kWlanFamily},
      // Link types with keywords of their own: more packets than the other
      // minor ones; PFLOG and SUNATM run the whole corpus (every protocol
      // test goes through their headers).
      {117, "PFLOG", 262144, 8000, CorpusSet::kMain, true},
      {123, "SUNATM", 262144, 8000, CorpusSet::kMain, true},
      {139, "MTP2_WITH_PHDR", 262144, 3000},    {140, "MTP2", 262144, 3000},
      {141, "MTP3", 262144, 2000},              {197, "ERF", 262144, 3000},
  };
  return kTypes;
}

std::vector<Packet> GeneratePackets(int dlt, uint64_t seed, size_t count) {
  Rng rng(seed ^ (static_cast<uint64_t>(dlt) * 0x9e3779b97f4a7c15ULL));
  std::vector<Packet> out;
  out.reserve(count);
  while (out.size() < count) {
    uint32_t r = rng.Below(1000);
    if (r >= 980) {  // garbage of any length
      std::vector<uint8_t> g(rng.Below(rng.Chance(50) ? 24 : 96));
      for (auto& x : g) x = rng.Byte();
      uint32_t len = static_cast<uint32_t>(g.size());
      Emit(out, g, len, rng.Chance(80) ? len : len + rng.Below(100));
      continue;
    }
    Frame f = BuildFrame(rng, dlt);
    uint32_t len = f.size();
    if (r < 540) {  // as built
      Emit(out, f.b, len, len);
    } else if (r < 760) {  // bytes changed at header offsets
      MutateBytes(rng, f);
      Emit(out, f.b, len, len);
    } else if (r < 880) {  // snapshot length cuts the frame
      uint32_t cap = rng.Chance(50) ? rng.Below(len + 1)
                                    : std::min(len, f.header_end - std::min(f.header_end, 8u) + rng.Below(13));
      Emit(out, f.b, cap, len);
    } else if (r < 884) {  // every truncation length up to the header end
      bool short_wire = rng.Chance(50);
      for (uint32_t cap = 0; cap <= std::min(len, f.header_end) && out.size() < count; ++cap) {
        Emit(out, f.b, cap, short_wire ? cap : len);
      }
    } else {  // both: changed bytes, then cut
      MutateBytes(rng, f);
      uint32_t cap = rng.Below(len + 1);
      Emit(out, f.b, cap, rng.Chance(70) ? len : cap);
    }
  }
  return out;
}

std::string DescribePacket(const Packet& p) {
  std::string s = "caplen " + std::to_string(p.caplen()) + " wirelen " + std::to_string(p.wirelen) + ":";
  char buf[4];
  for (size_t i = 0; i < p.bytes.size(); ++i) {
    if (i % 16 == 0 && i != 0) s += " ";
    std::snprintf(buf, sizeof buf, " %02x", p.bytes[i]);
    s += buf;
  }
  return s;
}

}  // namespace bpfcap::difftest
