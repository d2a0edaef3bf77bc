#include "tests/integration/traffic.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

namespace bpfcap::test {
namespace {

// Waits until fd is readable or timeout_ms passed.
bool Readable(int fd, int timeout_ms) {
  pollfd p{fd, POLLIN, 0};
  return poll(&p, 1, timeout_ms) == 1;
}

}  // namespace

UdpReceiver::UdpReceiver(const NetnsPair& net, NetnsPair::Side s, uint16_t port) {
  fd_ = net.Socket(s, AF_INET, SOCK_DGRAM, 0);
  if (fd_ < 0) return;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  inet_pton(AF_INET, net.ip4(s).c_str(), &a.sin_addr);
  if (bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(fd_);
    fd_ = -1;
  }
}

UdpReceiver::~UdpReceiver() {
  if (fd_ >= 0) close(fd_);
}

bool UdpReceiver::Receive(int timeout_ms, std::string* payload) {
  if (fd_ < 0 || !Readable(fd_, timeout_ms)) return false;
  char buf[2048];
  const ssize_t n = recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
  if (n < 0) return false;
  if (payload) payload->assign(buf, static_cast<size_t>(n));
  return true;
}

void UdpReceiver::Flush() {
  char buf[2048];
  while (fd_ >= 0 && recv(fd_, buf, sizeof buf, MSG_DONTWAIT) >= 0) {
  }
}

bool PingReplies(const NetnsPair& net, NetnsPair::Side from, uint16_t id, uint16_t seq,
                 int timeout_ms) {
  // Opened before the request goes out, so the reply cannot be missed.
  const int fd = net.Socket(from, AF_INET, SOCK_RAW, IPPROTO_ICMP);
  if (fd < 0) return false;
  bool replied = false;
  if (net.Ping4(from, id, seq)) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (!replied) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0 || !Readable(fd, static_cast<int>(left.count()))) break;
      uint8_t buf[2048];
      const ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
      if (n < 20) continue;
      const size_t ihl = (buf[0] & 0x0f) * 4u;  // raw IPv4 sockets deliver the IP header
      if (static_cast<size_t>(n) < ihl + 8) continue;
      const uint8_t* icmp = buf + ihl;
      replied = icmp[0] == ICMP_ECHOREPLY && ((icmp[4] << 8) | icmp[5]) == id &&
                ((icmp[6] << 8) | icmp[7]) == seq;
    }
  }
  close(fd);
  return replied;
}

}  // namespace bpfcap::test
