// Where libpcap 1.10.3 is wrong on 802.11 and bpfcap follows pcap-filter(7)
// instead (README, "Deliberate differences"). Each test builds a frame on
// which the two disagree and pins both verdicts; the differential suite
// keeps these expressions out of its 802.11 runs (diff_test.cc,
// LibpcapWrongOn).
#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

#include "tests/diff/compilers.h"

namespace bpfcap::difftest {
namespace {

constexpr int kRadiotap = 127;

// An 8-byte radiotap header with nothing present, then `mac`.
Packet RadiotapFrame(std::vector<uint8_t> mac) {
  Packet p;
  p.bytes.assign(8 + mac.size(), 0);
  p.bytes[2] = 8;  // it_len, little-endian
  for (size_t i = 0; i < mac.size(); ++i) p.bytes[8 + i] = mac[i];
  p.wirelen = p.caplen();
  return p;
}

struct Verdicts {
  uint32_t libpcap, bpfcap;
};

Verdicts RunBoth(const char* expr, const Packet& p) {
  Libpcap lib(kRadiotap, 262144);
  const Compiled l = lib.Compile(expr, /*optimize=*/false, kNetmaskUnknown);
  const Compiled o = OursCompile(expr, kRadiotap, 262144, /*optimize=*/false, kNetmaskUnknown);
  EXPECT_TRUE(l.ok) << l.error;
  EXPECT_TRUE(o.ok) << o.error;
  return {LibpcapRun(l.prog, p), OursRun(o.prog, p)};
}

// libpcap keeps the radiotap length in a scratch memory slot that it
// allocates when the first header test is parsed; a relation parsed before
// it has already used, and freed, that slot, and its code, which runs after
// the length is stored, overwrites it. Here `len < 5` leaves 5 there, and
// "wlan addr1" reads 5 + 4 instead of 8 + 4.
TEST(DiffLibpcapBugs, RelationBeforeTheFirstRadiotapHeaderTestOverwritesItsLength) {
  // Frame control 08 00, duration 11 22, addr1 33:44:55:66:77:88: the bytes
  // from 9 spell 00:11:22:33:44:55.
  const Packet p = RadiotapFrame({0x08, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
                                  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                  0x00, 0x00, 0x00, 0x00});
  const Verdicts v = RunBoth("len < 5 or wlan addr1 00:11:22:33:44:55", p);
  EXPECT_NE(v.libpcap, 0u) << "libpcap fixed? then drop LibpcapWrongOn's relation rule";
  EXPECT_EQ(v.bpfcap, 0u);  // addr1 is 33:44:55:66:77:88
  EXPECT_NE(RunBoth("wlan addr1 33:44:55:66:77:88 or len < 5", p).bpfcap, 0u);
}

// After "pppoes" behind a radio header, libpcap reads the MAC header through
// a scratch slot it never stored (0 in bpf_filter), so it looks for frame
// control in the radiotap header and misses every PPPoE frame.
TEST(DiffLibpcapBugs, PppoesBehindRadiotap) {
  std::vector<uint8_t> mac = {0x08, 0x00, 0x00, 0x00};      // data frame, no DS bits
  for (int i = 0; i < 18; ++i) mac.push_back(0x02);        // addr1..addr3
  mac.insert(mac.end(), {0x00, 0x00});                      // sequence
  mac.insert(mac.end(), {0xaa, 0xaa, 0x03, 0x00, 0x00, 0x00, 0x88, 0x64});  // SNAP: PPPoE session
  mac.insert(mac.end(), {0x11, 0x00, 0x00, 0x03, 0x00, 0x16, 0x00, 0x21});  // session 3, PPP: IPv4
  mac.insert(mac.end(), {0x45, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00, 0x40, 0x06,
                         0x00, 0x00, 0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x02});
  const Verdicts v = RunBoth("pppoes and ip", RadiotapFrame(mac));
  EXPECT_EQ(v.libpcap, 0u) << "libpcap fixed? then drop LibpcapWrongOn's pppoes rule";
  EXPECT_NE(v.bpfcap, 0u);
}

}  // namespace
}  // namespace bpfcap::difftest
