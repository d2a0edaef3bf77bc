// Name lookup for the filter language: host names, service (port) names,
// protocol names and Ethernet host names. Behind an interface so that tests
// substitute a fixed table and never depend on the machine's /etc files.
//
// SystemNames reads what libpcap reads: the resolver (getaddrinfo, so
// /etc/hosts first) for hosts, /etc/services for ports, /etc/protocols for IP
// protocol names, /etc/ethers for Ethernet names. It deliberately does no
// caching across calls and holds no global state.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace bpfcap {

enum class PortProto { kTcp, kUdp, kSctp };

class NameResolver {
 public:
  virtual ~NameResolver() = default;
  // IPv4 addresses (host byte order) of `name`; empty if none.
  virtual std::vector<uint32_t> HostV4(std::string_view name) const = 0;
  // IPv6 addresses of `name` (network byte order bytes); empty if none.
  virtual std::vector<std::array<uint8_t, 16>> HostV6(std::string_view name) const = 0;
  // Port number for a service name under one transport protocol, or -1.
  virtual int Port(std::string_view name, PortProto proto) const = 0;
  // IP protocol number for a name in /etc/protocols, or -1.
  virtual int Protocol(std::string_view name) const = 0;
  // Ethernet address for a name in /etc/ethers; false if unknown.
  virtual bool Ether(std::string_view name, std::array<uint8_t, 6>* mac) const = 0;
};

// The machine's resolver and files.
const NameResolver& SystemNames();

// A fixed table for tests.
class TableNames : public NameResolver {
 public:
  struct Host { std::string name; std::vector<uint32_t> v4; std::vector<std::array<uint8_t, 16>> v6; };
  struct Service { std::string name; PortProto proto; int port; };
  struct Proto { std::string name; int number; };
  struct EtherName { std::string name; std::array<uint8_t, 6> mac; };

  std::vector<Host> hosts;
  std::vector<Service> services;
  std::vector<Proto> protocols;
  std::vector<EtherName> ethers;

  std::vector<uint32_t> HostV4(std::string_view name) const override;
  std::vector<std::array<uint8_t, 16>> HostV6(std::string_view name) const override;
  int Port(std::string_view name, PortProto proto) const override;
  int Protocol(std::string_view name) const override;
  bool Ether(std::string_view name, std::array<uint8_t, 6>* mac) const override;
};

}  // namespace bpfcap
