// Test kit: whether traffic across a NetnsPair got through, for tests that
// put an XDP program in the path (tests/compiler/ebpf/object_test.cc,
// tests/capture/afxdp_test.cc).
//
// UdpReceiver binds a UDP socket on one side before anything is sent;
// Receive then says whether a datagram arrived there. PingReplies sends an
// ICMP echo request and waits for the other kernel's reply, so it fails
// when either direction is cut. Timeouts are short (a veth delivers in
// microseconds); a "did not arrive" check waits the full timeout.
#pragma once

#include <cstdint>
#include <string>

#include "tests/integration/netns.h"

namespace bpfcap::test {

// A UDP socket bound to side s's IPv4 address and `port`; closed by the
// destructor.
class UdpReceiver {
 public:
  UdpReceiver(const NetnsPair& net, NetnsPair::Side s, uint16_t port);
  ~UdpReceiver();
  UdpReceiver(const UdpReceiver&) = delete;
  UdpReceiver& operator=(const UdpReceiver&) = delete;

  bool ok() const { return fd_ >= 0; }
  // The next datagram's payload within timeout_ms; false if none came.
  bool Receive(int timeout_ms, std::string* payload = nullptr);
  // Discards whatever is queued.
  void Flush();

 private:
  int fd_ = -1;
};

// ICMP echo request from `from` to the other side; true when the reply with
// this id and seq comes back within timeout_ms.
bool PingReplies(const NetnsPair& net, NetnsPair::Side from, uint16_t id, uint16_t seq,
                 int timeout_ms = 500);

}  // namespace bpfcap::test
