#include "capture/interfaces.h"

#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <tuple>

namespace bpfcap::capture {
namespace {

constexpr char kAnyDescription[] = "Pseudo-device that captures on all interfaces";

// Interface flags from SIOCGIFFLAGS; false when the device vanished.
bool ReadFlags(int fd, const std::string& name, short* flags) {
  ifreq ifr{};
  std::memcpy(ifr.ifr_name, name.data(), std::min(name.size(), sizeof(ifr.ifr_name) - 1));
  if (ioctl(fd, SIOCGIFFLAGS, &ifr) != 0) return false;
  *flags = ifr.ifr_flags;
  return true;
}

bool HasWirelessDir(const std::string& name) {
  struct stat st;
  return stat(("/sys/class/net/" + name + "/wireless").c_str(), &st) == 0;
}

// tcpdump's order: usable devices first. A smaller key sorts earlier.
auto SortKey(const InterfaceInfo& i) {
  return std::make_tuple(!i.up, !i.running, i.loopback,
                         i.state != LinkState::kConnected, i.index == 0 ? 0 : 1,
                         i.index);
}

}  // namespace

bool ListInterfaces(std::vector<InterfaceInfo>* out, std::string* error) {
  out->clear();
  struct if_nameindex* names = if_nameindex();
  if (names == nullptr) {
    *error = std::string("can't list interfaces: ") + std::strerror(errno);
    return false;
  }
  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  for (struct if_nameindex* n = names; fd >= 0 && n->if_index != 0; ++n) {
    InterfaceInfo info;
    info.index = static_cast<int>(n->if_index);
    info.name = n->if_name;
    short flags = 0;
    if (!ReadFlags(fd, info.name, &flags)) continue;
    info.up = flags & IFF_UP;
    info.running = flags & IFF_RUNNING;
    info.loopback = flags & IFF_LOOPBACK;
    info.wireless = HasWirelessDir(info.name);
    // IFF_RUNNING is the RFC 2863 operational state (carrier, for Ethernet).
    if (info.up && !info.loopback) {
      info.state = info.running ? LinkState::kConnected : LinkState::kDisconnected;
    }
    out->push_back(std::move(info));
  }
  const int saved_errno = errno;
  if_freenameindex(names);
  if (fd < 0) {
    *error = std::string("can't list interfaces: socket: ") + std::strerror(saved_errno);
    return false;
  }
  close(fd);
  InterfaceInfo any;
  any.name = "any";
  any.description = kAnyDescription;
  any.up = any.running = true;
  out->push_back(std::move(any));
  std::stable_sort(out->begin(), out->end(),
                   [](const InterfaceInfo& a, const InterfaceInfo& b) {
                     return SortKey(a) < SortKey(b);
                   });
  return true;
}

std::string FormatInterfaceList(const std::vector<InterfaceInfo>& list) {
  std::string text;
  int number = 0;
  for (const InterfaceInfo& i : list) {
    text += std::to_string(++number) + "." + i.name;
    if (!i.description.empty()) text += " (" + i.description + ")";
    std::string flags;
    auto add = [&flags](const char* word) {
      if (!flags.empty()) flags += ", ";
      flags += word;
    };
    if (i.up) add("Up");
    if (i.running) add("Running");
    if (i.wireless) add("Wireless");
    if (i.loopback) add("Loopback");
    switch (i.state) {
      case LinkState::kNotApplicable: break;
      case LinkState::kUnknown: add("Unknown"); break;
      case LinkState::kConnected: add("Connected"); break;
      case LinkState::kDisconnected: add("Disconnected"); break;
    }
    text += " [" + (flags.empty() ? std::string("none") : flags) + "]\n";
  }
  return text;
}

bool ResolveInterface(std::string_view name, int* ifindex, std::string* error) {
  if (name == "any") {
    *ifindex = 0;
    return true;
  }
  unsigned index = 0;
  if (!name.empty() && name.size() < IFNAMSIZ) {
    index = if_nametoindex(std::string(name).c_str());
  }
  if (index == 0) {
    *error = std::string(name) + ": No such device exists";
    return false;
  }
  *ifindex = static_cast<int>(index);
  return true;
}

}  // namespace bpfcap::capture
