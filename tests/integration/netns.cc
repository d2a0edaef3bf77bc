#include "tests/integration/netns.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <netinet/icmp6.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <thread>

namespace bpfcap::test {
namespace {

constexpr char kPrefix[] = "bpfcT";
std::atomic<int> g_counter{0};

bool SetNetns(const std::string& ns) {
  const int fd = open(("/run/netns/" + ns).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool ok = setns(fd, CLONE_NEWNET) == 0;
  close(fd);
  return ok;
}

bool Ip(const std::vector<std::string>& args, std::string* error) {
  std::vector<std::string> argv = {"ip"};
  argv.insert(argv.end(), args.begin(), args.end());
  std::string out;
  if (RunCommand(argv, &out) == 0) return true;
  std::string cmd;
  for (const std::string& a : argv) cmd += (cmd.empty() ? "" : " ") + a;
  *error = cmd + ": " + out;
  while (!error->empty() && error->back() == '\n') error->pop_back();
  return false;
}

// Removes namespaces "bpfcT<tag>-<pid>-..." whose process is gone.
void RemoveStale(std::string_view tag) {
  const std::string mine = std::string(kPrefix) + std::string(tag) + "-";
  DIR* dir = opendir("/run/netns");
  if (dir == nullptr) return;
  std::vector<std::string> stale;
  while (dirent* e = readdir(dir)) {
    std::string name = e->d_name;
    if (name.compare(0, mine.size(), mine) != 0) continue;
    const long pid = std::strtol(name.c_str() + mine.size(), nullptr, 10);
    if (pid > 0 && kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) {
      stale.push_back(name);
    }
  }
  closedir(dir);
  for (const std::string& name : stale) RunCommand({"ip", "netns", "del", name});
}

bool WriteFile(const std::string& path, const std::string& value) {
  std::ofstream f(path);
  f << value;
  f.flush();
  return static_cast<bool>(f);
}

uint16_t Checksum(const uint8_t* p, size_t n, uint32_t sum = 0) {
  for (size_t i = 0; i + 1 < n; i += 2) sum += (p[i] << 8) | p[i + 1];
  if (n & 1) sum += p[n - 1] << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

void Put16(std::vector<uint8_t>* v, uint16_t x) {
  v->push_back(static_cast<uint8_t>(x >> 8));
  v->push_back(static_cast<uint8_t>(x));
}

void PutBytes(std::vector<uint8_t>* v, const void* p, size_t n) {
  const auto* b = static_cast<const uint8_t*>(p);
  v->insert(v->end(), b, b + n);
}

}  // namespace

int RunCommand(const std::vector<std::string>& argv, std::string* output) {
  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) != 0) return -1;
  const pid_t pid = fork();
  if (pid < 0) {
    close(pipefd[0]);
    close(pipefd[1]);
    return -1;
  }
  if (pid == 0) {
    dup2(pipefd[1], 1);
    dup2(pipefd[1], 2);
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  close(pipefd[1]);
  char buf[4096];
  ssize_t n;
  while ((n = read(pipefd[0], buf, sizeof(buf))) > 0) {
    if (output != nullptr) output->append(buf, static_cast<size_t>(n));
  }
  close(pipefd[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::unique_ptr<NetnsPair> NetnsPair::Create(std::string_view tag, std::string* error,
                                             int queues) {
  if (tag.empty() || tag.size() > 4) {
    *error = "netns tag must have 1 to 4 characters";
    return nullptr;
  }
  RemoveStale(tag);
  std::unique_ptr<NetnsPair> pair(new NetnsPair());
  pair->queues_ = queues;
  const std::string id = std::to_string(getpid()) + "-" + std::to_string(g_counter++);
  const std::string short_id = std::to_string(getpid() % 100000) + std::to_string(g_counter % 10);
  for (int s = 0; s < 2; ++s) {
    const char side = s == kA ? 'a' : 'b';
    pair->ns_[s] = std::string(kPrefix) + std::string(tag) + "-" + id + side;
    pair->if_[s] = "bT" + std::string(tag) + short_id + side;  // <= 14 chars
  }
  if (!pair->Setup(error)) return nullptr;  // the destructor cleans up
  return pair;
}

bool NetnsPair::Setup(std::string* error) {
  for (int s = 0; s < 2; ++s) {
    if (!Ip({"netns", "add", ns_[s]}, error)) return false;
    created_[s] = true;
    // Quiet IPv6 before any interface exists, so "default" applies to it.
    bool ok = true;
    RunIn(static_cast<Side>(s), [&ok] {
      for (const char* conf : {"all", "default"}) {
        const std::string dir = std::string("/proc/sys/net/ipv6/conf/") + conf + "/";
        for (const char* knob : {"accept_dad", "dad_transmits", "accept_ra", "autoconf",
                                 "router_solicitations"}) {
          ok = WriteFile(dir + knob, "0") && ok;
        }
      }
    });
    if (!ok) {
      *error = "can't set IPv6 sysctls in " + ns_[s];
      return false;
    }
  }
  const auto mac_text = [this](Side s) {
    const Mac m = mac(s);
    char text[18];
    std::snprintf(text, sizeof(text), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1],
                  m[2], m[3], m[4], m[5]);
    return std::string(text);
  };
  std::vector<std::string> queue_args;
  if (queues_ > 1) {
    const std::string n = std::to_string(queues_);
    queue_args = {"numtxqueues", n, "numrxqueues", n};
  }
  std::vector<std::string> add = {"link", "add", if_[kA], "netns", ns_[kA], "address",
                                  mac_text(kA)};
  add.insert(add.end(), queue_args.begin(), queue_args.end());
  for (const char* w : {"type", "veth", "peer", "name"}) add.push_back(w);
  for (const std::string& w : {if_[kB], std::string("netns"), ns_[kB], std::string("address"),
                               mac_text(kB)}) {
    add.push_back(w);
  }
  add.insert(add.end(), queue_args.begin(), queue_args.end());
  if (!Ip(add, error)) return false;
  for (int i = 0; i < 2; ++i) {
    const Side s = static_cast<Side>(i);
    const Side o = Other(s);
    const std::string& n = ns_[s];
    if (!Ip({"-n", n, "link", "set", "lo", "up"}, error) ||
        !Ip({"-n", n, "addr", "add", ip4(s) + "/24", "dev", if_[s]}, error) ||
        !Ip({"-n", n, "addr", "add", ip6(s) + "/64", "dev", if_[s], "nodad"}, error) ||
        !Ip({"-n", n, "link", "set", if_[s], "up"}, error) ||
        !Ip({"-n", n, "neigh", "replace", ip4(o), "lladdr", mac_text(o), "dev", if_[s],
             "nud", "permanent"}, error) ||
        !Ip({"-n", n, "neigh", "replace", ip6(o), "lladdr", mac_text(o), "dev", if_[s],
             "nud", "permanent"}, error)) {
      return false;
    }
    int index = 0;
    RunIn(s, [&] { index = static_cast<int>(if_nametoindex(if_[s].c_str())); });
    if (index == 0) {
      *error = "no " + if_[s] + " in " + n;
      return false;
    }
    ifindex_[s] = index;
  }
  return true;
}

NetnsPair::~NetnsPair() {
  for (int s = 0; s < 2; ++s) {
    if (created_[s]) RunCommand({"ip", "netns", "del", ns_[s]});
  }
}

Mac NetnsPair::mac(Side s) const {
  return {0x02, 0xbf, 0xc0, 0x00, 0x00, static_cast<uint8_t>(s == kA ? 0x0a : 0x0b)};
}

bool NetnsPair::RunIn(Side s, const std::function<void()>& fn) const {
  bool entered = false;
  std::thread t([&] {
    entered = SetNetns(ns_[s]);
    if (entered) fn();
  });
  t.join();
  return entered;
}

int NetnsPair::Socket(Side s, int domain, int type, int protocol) const {
  int fd = -1;
  RunIn(s, [&] { fd = socket(domain, type | SOCK_CLOEXEC, protocol); });
  return fd;
}

int NetnsPair::Exec(Side s, const std::vector<std::string>& argv, std::string* output) const {
  std::vector<std::string> full = {"ip", "netns", "exec", ns_[s]};
  full.insert(full.end(), argv.begin(), argv.end());
  return RunCommand(full, output);
}

namespace {

// sendto() on a fresh socket of namespace-bound `fd`, then close.
bool SendAndClose(int fd, const void* data, size_t len, const sockaddr* to, socklen_t to_len) {
  if (fd < 0) return false;
  const bool ok = sendto(fd, data, len, 0, to, to_len) == static_cast<ssize_t>(len);
  close(fd);
  return ok;
}

}  // namespace

bool NetnsPair::SendUdp4(Side from, uint16_t src_port, uint16_t dst_port,
                         std::string_view payload) const {
  const int fd = Socket(from, AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) return false;
  sockaddr_in src{};
  src.sin_family = AF_INET;
  src.sin_port = htons(src_port);
  inet_pton(AF_INET, ip4(from).c_str(), &src.sin_addr);
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (bind(fd, reinterpret_cast<sockaddr*>(&src), sizeof(src)) != 0) {
    close(fd);
    return false;
  }
  sockaddr_in dst{};
  dst.sin_family = AF_INET;
  dst.sin_port = htons(dst_port);
  inet_pton(AF_INET, ip4(Other(from)).c_str(), &dst.sin_addr);
  return SendAndClose(fd, payload.data(), payload.size(), reinterpret_cast<sockaddr*>(&dst),
                      sizeof(dst));
}

bool NetnsPair::SendUdp6(Side from, uint16_t src_port, uint16_t dst_port,
                         std::string_view payload) const {
  const int fd = Socket(from, AF_INET6, SOCK_DGRAM, 0);
  if (fd < 0) return false;
  sockaddr_in6 src{};
  src.sin6_family = AF_INET6;
  src.sin6_port = htons(src_port);
  inet_pton(AF_INET6, ip6(from).c_str(), &src.sin6_addr);
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (bind(fd, reinterpret_cast<sockaddr*>(&src), sizeof(src)) != 0) {
    close(fd);
    return false;
  }
  sockaddr_in6 dst{};
  dst.sin6_family = AF_INET6;
  dst.sin6_port = htons(dst_port);
  inet_pton(AF_INET6, ip6(Other(from)).c_str(), &dst.sin6_addr);
  return SendAndClose(fd, payload.data(), payload.size(), reinterpret_cast<sockaddr*>(&dst),
                      sizeof(dst));
}

bool NetnsPair::Ping4(Side from, uint16_t id, uint16_t seq) const {
  uint8_t msg[16] = {ICMP_ECHO, 0, 0, 0};
  msg[4] = static_cast<uint8_t>(id >> 8);
  msg[5] = static_cast<uint8_t>(id);
  msg[6] = static_cast<uint8_t>(seq >> 8);
  msg[7] = static_cast<uint8_t>(seq);
  std::memcpy(msg + 8, "bpfcap!!", 8);
  const uint16_t sum = Checksum(msg, sizeof(msg));
  msg[2] = static_cast<uint8_t>(sum >> 8);
  msg[3] = static_cast<uint8_t>(sum);
  sockaddr_in dst{};
  dst.sin_family = AF_INET;
  inet_pton(AF_INET, ip4(Other(from)).c_str(), &dst.sin_addr);
  return SendAndClose(Socket(from, AF_INET, SOCK_RAW, IPPROTO_ICMP), msg, sizeof(msg),
                      reinterpret_cast<sockaddr*>(&dst), sizeof(dst));
}

bool NetnsPair::Ping6(Side from, uint16_t id, uint16_t seq) const {
  // The kernel fills in the ICMPv6 checksum on raw ICMPv6 sockets.
  uint8_t msg[16] = {ICMP6_ECHO_REQUEST, 0, 0, 0};
  msg[4] = static_cast<uint8_t>(id >> 8);
  msg[5] = static_cast<uint8_t>(id);
  msg[6] = static_cast<uint8_t>(seq >> 8);
  msg[7] = static_cast<uint8_t>(seq);
  std::memcpy(msg + 8, "bpfcap!!", 8);
  sockaddr_in6 dst{};
  dst.sin6_family = AF_INET6;
  inet_pton(AF_INET6, ip6(Other(from)).c_str(), &dst.sin6_addr);
  return SendAndClose(Socket(from, AF_INET6, SOCK_RAW, IPPROTO_ICMPV6), msg, sizeof(msg),
                      reinterpret_cast<sockaddr*>(&dst), sizeof(dst));
}

bool NetnsPair::TcpHandshake(Side from, uint16_t port) const {
  const Side to = Other(from);
  const int listener = Socket(to, AF_INET, SOCK_STREAM, 0);
  const int client = Socket(from, AF_INET, SOCK_STREAM, 0);
  bool ok = listener >= 0 && client >= 0;
  const int one = 1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  inet_pton(AF_INET, ip4(to).c_str(), &addr.sin_addr);
  if (ok) {
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    ok = bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
         listen(listener, 4) == 0 &&
         connect(client, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  if (ok) {
    const int conn = accept(listener, nullptr, nullptr);
    ok = conn >= 0;
    if (conn >= 0) close(conn);
  }
  if (client >= 0) close(client);
  if (listener >= 0) close(listener);
  return ok;
}

bool NetnsPair::SendFrame(Side from, const std::vector<uint8_t>& frame) const {
  sockaddr_ll to{};
  to.sll_family = AF_PACKET;
  to.sll_ifindex = ifindex_[from];
  to.sll_halen = 6;
  std::memcpy(to.sll_addr, frame.data(), 6);
  return SendAndClose(Socket(from, AF_PACKET, SOCK_RAW, 0), frame.data(), frame.size(),
                      reinterpret_cast<sockaddr*>(&to), sizeof(to));
}

std::vector<uint8_t> NetnsPair::ArpRequest(Side from) const {
  const Mac src = mac(from);
  in_addr spa, tpa;
  inet_pton(AF_INET, ip4(from).c_str(), &spa);
  inet_pton(AF_INET, ip4(Other(from)).c_str(), &tpa);
  std::vector<uint8_t> f(6, 0xff);
  PutBytes(&f, src.data(), 6);
  Put16(&f, ETHERTYPE_ARP);
  Put16(&f, 1);              // hardware: Ethernet
  Put16(&f, ETHERTYPE_IP);   // protocol: IPv4
  f.push_back(6);
  f.push_back(4);
  Put16(&f, 1);              // request
  PutBytes(&f, src.data(), 6);
  PutBytes(&f, &spa, 4);
  f.insert(f.end(), 6, 0);
  PutBytes(&f, &tpa, 4);
  f.resize(60, 0);           // minimum Ethernet payload
  return f;
}

std::vector<uint8_t> NetnsPair::VlanUdp4(Side from, uint16_t vid, uint16_t dst_port,
                                         std::string_view payload) const {
  const Mac src = mac(from), dst = mac(Other(from));
  std::vector<uint8_t> f;
  PutBytes(&f, dst.data(), 6);
  PutBytes(&f, src.data(), 6);
  Put16(&f, ETHERTYPE_VLAN);
  Put16(&f, vid & 0x0fff);
  Put16(&f, ETHERTYPE_IP);
  const size_t ip_at = f.size();
  const uint16_t total = static_cast<uint16_t>(20 + 8 + payload.size());
  const uint8_t ip_header[12] = {0x45, 0, static_cast<uint8_t>(total >> 8),
                                 static_cast<uint8_t>(total), 0, 1, 0x40, 0, 64,
                                 IPPROTO_UDP, 0, 0};
  PutBytes(&f, ip_header, sizeof(ip_header));
  in_addr s, d;
  inet_pton(AF_INET, ip4(from).c_str(), &s);
  inet_pton(AF_INET, ip4(Other(from)).c_str(), &d);
  PutBytes(&f, &s, 4);
  PutBytes(&f, &d, 4);
  const uint16_t sum = Checksum(f.data() + ip_at, 20);
  f[ip_at + 10] = static_cast<uint8_t>(sum >> 8);
  f[ip_at + 11] = static_cast<uint8_t>(sum);
  Put16(&f, 40000);
  Put16(&f, dst_port);
  Put16(&f, static_cast<uint16_t>(8 + payload.size()));
  Put16(&f, 0);  // no UDP checksum
  PutBytes(&f, payload.data(), payload.size());
  return f;
}

}  // namespace bpfcap::test
