// Name lookup: the system's resolver and files (SystemNames) and a fixed
// table for tests (TableNames).
//
// SystemNames uses only the reentrant C library calls (getaddrinfo,
// getservbyname_r, getprotobyname_r, ether_hostton), so it is safe to call
// from several threads and keeps nothing between calls. It does not cache,
// does not retry and does not interpret numbers: callers hand it names only.
#include "compiler/names.h"

#include <netdb.h>
#include <netinet/ether.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace bpfcap {
namespace {

// Buffer size for the *_r database calls; /etc/services and /etc/protocols
// entries are short, and ERANGE makes us grow it.
constexpr size_t kInitialBuffer = 1024;
constexpr size_t kMaxBuffer = 1 << 20;

const char* TransportName(PortProto proto) {
  switch (proto) {
    case PortProto::kTcp: return "tcp";
    case PortProto::kUdp: return "udp";
    case PortProto::kSctp: return "sctp";
  }
  return "tcp";
}

// Runs getaddrinfo for one family and hands each address to `add`, in the
// resolver's order. SOCK_STREAM keeps one entry per address.
template <typename Add>
void ForEachAddress(std::string_view name, int family, Add add) {
  addrinfo hints{};
  hints.ai_family = family;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* list = nullptr;
  if (getaddrinfo(std::string(name).c_str(), nullptr, &hints, &list) != 0) return;
  for (const addrinfo* ai = list; ai != nullptr; ai = ai->ai_next) {
    if (ai->ai_family == family && ai->ai_addr != nullptr) add(*ai->ai_addr);
  }
  freeaddrinfo(list);
}

template <typename T>
void AppendUnique(std::vector<T>* out, const T& value) {
  if (std::find(out->begin(), out->end(), value) == out->end()) out->push_back(value);
}

class SystemResolver final : public NameResolver {
 public:
  std::vector<uint32_t> HostV4(std::string_view name) const override {
    std::vector<uint32_t> out;
    ForEachAddress(name, AF_INET, [&](const sockaddr& sa) {
      const auto& sin = reinterpret_cast<const sockaddr_in&>(sa);
      AppendUnique(&out, static_cast<uint32_t>(ntohl(sin.sin_addr.s_addr)));
    });
    return out;
  }

  std::vector<std::array<uint8_t, 16>> HostV6(std::string_view name) const override {
    std::vector<std::array<uint8_t, 16>> out;
    ForEachAddress(name, AF_INET6, [&](const sockaddr& sa) {
      const auto& sin6 = reinterpret_cast<const sockaddr_in6&>(sa);
      std::array<uint8_t, 16> bytes;
      std::memcpy(bytes.data(), sin6.sin6_addr.s6_addr, bytes.size());
      AppendUnique(&out, bytes);
    });
    return out;
  }

  int Port(std::string_view name, PortProto proto) const override {
    const std::string n(name);
    std::vector<char> buf(kInitialBuffer);
    while (true) {
      servent entry{};
      servent* found = nullptr;
      int rc = getservbyname_r(n.c_str(), TransportName(proto), &entry, buf.data(),
                               buf.size(), &found);
      if (rc == ERANGE && buf.size() < kMaxBuffer) {
        buf.resize(buf.size() * 2);
        continue;
      }
      if (rc != 0 || found == nullptr) return -1;
      return ntohs(static_cast<uint16_t>(found->s_port));
    }
  }

  int Protocol(std::string_view name) const override {
    const std::string n(name);
    std::vector<char> buf(kInitialBuffer);
    while (true) {
      protoent entry{};
      protoent* found = nullptr;
      int rc = getprotobyname_r(n.c_str(), &entry, buf.data(), buf.size(), &found);
      if (rc == ERANGE && buf.size() < kMaxBuffer) {
        buf.resize(buf.size() * 2);
        continue;
      }
      if (rc != 0 || found == nullptr) return -1;
      return found->p_proto;
    }
  }

  bool Ether(std::string_view name, std::array<uint8_t, 6>* mac) const override {
    ether_addr addr{};
    if (ether_hostton(std::string(name).c_str(), &addr) != 0) return false;
    std::memcpy(mac->data(), addr.ether_addr_octet, mac->size());
    return true;
  }
};

}  // namespace

const NameResolver& SystemNames() {
  static const SystemResolver resolver;  // stateless
  return resolver;
}

// TableNames: exact, case-sensitive matches; the first matching row wins.

std::vector<uint32_t> TableNames::HostV4(std::string_view name) const {
  for (const Host& h : hosts) {
    if (h.name == name) return h.v4;
  }
  return {};
}

std::vector<std::array<uint8_t, 16>> TableNames::HostV6(std::string_view name) const {
  for (const Host& h : hosts) {
    if (h.name == name) return h.v6;
  }
  return {};
}

int TableNames::Port(std::string_view name, PortProto proto) const {
  for (const Service& s : services) {
    if (s.name == name && s.proto == proto) return s.port;
  }
  return -1;
}

int TableNames::Protocol(std::string_view name) const {
  for (const Proto& p : protocols) {
    if (p.name == name) return p.number;
  }
  return -1;
}

bool TableNames::Ether(std::string_view name, std::array<uint8_t, 6>* mac) const {
  for (const EtherName& e : ethers) {
    if (e.name == name) {
      *mac = e.mac;
      return true;
    }
  }
  return false;
}

}  // namespace bpfcap
