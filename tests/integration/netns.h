// Test kit: a private two-namespace network, and known traffic across it.
//
// NetnsPair::Create makes two network namespaces, A and B, joined by a veth
// pair, with fixed MAC, IPv4 and IPv6 addresses and permanent neighbour
// entries (so no ARP or neighbour discovery happens unless a test sends it),
// IPv6 DAD, autoconfiguration and router solicitation off (no background
// noise), and every link up. Names are built from "bpfcT", a short tag for
// the test, the pid and a counter, so parallel tests and other users of the
// machine never collide; leftovers of dead processes with the same tag are
// removed first. The destructor removes everything, whatever the test did.
//
// Code runs inside a namespace on a thread of its own (RunIn, setns), so
// sockets a test opens there (Socket, or Ring::Open inside RunIn) stay in
// that namespace and can be used from any thread afterwards. Commands run
// with `ip netns exec`.
//
// Traffic goes only between A and B, never to the host's interfaces.
//
// Needs root (CAP_SYS_ADMIN, CAP_NET_ADMIN, CAP_NET_RAW); callers skip when
// geteuid() != 0.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace bpfcap::test {

using Mac = std::array<uint8_t, 6>;

// Runs argv (no shell); returns the exit status (-1 if it could not run).
// Standard output and error go to *output when given.
int RunCommand(const std::vector<std::string>& argv, std::string* output = nullptr);

class NetnsPair {
 public:
  enum Side { kA = 0, kB = 1 };

  // tag: 1 to 4 characters of [a-z0-9]. queues: receive and transmit
  // queues of each veth end (multi-queue tests; a packet arrives on the
  // receive queue matching the transmit queue the sender's stack picked,
  // by flow hash). nullptr with *error on failure.
  static std::unique_ptr<NetnsPair> Create(std::string_view tag, std::string* error,
                                           int queues = 1);
  ~NetnsPair();
  NetnsPair(const NetnsPair&) = delete;
  NetnsPair& operator=(const NetnsPair&) = delete;

  static Side Other(Side s) { return s == kA ? kB : kA; }

  const std::string& ns(Side s) const { return ns_[s]; }
  const std::string& ifname(Side s) const { return if_[s]; }  // the veth end
  int ifindex(Side s) const { return ifindex_[s]; }
  std::string ip4(Side s) const { return s == kA ? "10.251.0.1" : "10.251.0.2"; }
  std::string ip6(Side s) const { return s == kA ? "fd00:bfc::1" : "fd00:bfc::2"; }
  Mac mac(Side s) const;

  // Runs fn on a new thread inside namespace s, and waits for it.
  bool RunIn(Side s, const std::function<void()>& fn) const;
  // A socket created inside namespace s; -1 on failure.
  int Socket(Side s, int domain, int type, int protocol) const;
  // `ip netns exec NS argv...`; returns the exit status.
  int Exec(Side s, const std::vector<std::string>& argv, std::string* output = nullptr) const;

  // --- Traffic from `from` to the other side. Each returns success. -------
  bool SendUdp4(Side from, uint16_t src_port, uint16_t dst_port, std::string_view payload) const;
  bool SendUdp6(Side from, uint16_t src_port, uint16_t dst_port, std::string_view payload) const;
  // ICMP echo request; the other side's kernel answers it.
  bool Ping4(Side from, uint16_t id, uint16_t seq) const;
  bool Ping6(Side from, uint16_t id, uint16_t seq) const;
  // Listen on the other side, connect from `from`, accept, close both.
  bool TcpHandshake(Side from, uint16_t port) const;
  // Sends a hand-built Ethernet frame out of `from`'s veth (AF_PACKET).
  bool SendFrame(Side from, const std::vector<uint8_t>& frame) const;

  // --- Frames for SendFrame ------------------------------------------------
  // Broadcast ARP request from `from` for the other side's IPv4 address.
  std::vector<uint8_t> ArpRequest(Side from) const;
  // 802.1Q-tagged (TPID 0x8100) IPv4/UDP frame to the other side.
  std::vector<uint8_t> VlanUdp4(Side from, uint16_t vid, uint16_t dst_port,
                                std::string_view payload) const;

 private:
  NetnsPair() = default;
  bool Setup(std::string* error);

  std::string ns_[2];
  std::string if_[2];
  int ifindex_[2] = {0, 0};
  bool created_[2] = {false, false};
  int queues_ = 1;
};

}  // namespace bpfcap::test
