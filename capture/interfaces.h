// Network interfaces as the CLI names them: -D's list and -i's lookup.
//
// Takes nothing but the calling thread's network namespace; produces the
// interfaces of that namespace with the flags tcpdump -D shows, plus the
// "any" pseudo-device, in tcpdump's order (up and running first, loopback
// after real devices, "any" right after the connected devices). Resolves a
// name to an ifindex with tcpdump's wording when it does not exist.
//
// Doesn't: list non-network capture sources (bluetooth, nflog, dbus), or
// open anything for capture (capture/ring.h does).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace bpfcap::capture {

enum class LinkState : uint8_t {
  kNotApplicable,  // loopback, "any", or a device that is down: not shown
  kUnknown,        // "Unknown": operstate unknown (tun, some virtual devices)
  kConnected,      // "Connected": carrier up
  kDisconnected,   // "Disconnected": up but no carrier
};

struct InterfaceInfo {
  int index = 0;               // ifindex; 0 for "any"
  std::string name;            // "eth0", "any"
  std::string description;     // "Pseudo-device that captures on all interfaces"
  bool up = false;             // IFF_UP
  bool running = false;        // IFF_RUNNING
  bool loopback = false;       // IFF_LOOPBACK
  bool wireless = false;       // has /sys/class/net/NAME/wireless
  LinkState state = LinkState::kNotApplicable;
};

// Every interface of the current network namespace plus "any", sorted as
// tcpdump -D sorts them. False with *error set when the list is unavailable.
bool ListInterfaces(std::vector<InterfaceInfo>* out, std::string* error);

// tcpdump -D's lines: "1.eth0 [Up, Running, Connected]\n", numbered from 1
// in list order (the numbers -i accepts).
std::string FormatInterfaceList(const std::vector<InterfaceInfo>& list);

// The ifindex of `name` ("any" is 0). False with *error =
// "eth9: No such device exists" when there is none.
bool ResolveInterface(std::string_view name, int* ifindex, std::string* error);

}  // namespace bpfcap::capture
