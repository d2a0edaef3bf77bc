// Interface checks and bpf_link attachment for the XDP engines; see
// xdp_attach.h.
#include "capture/xdp_attach.h"
#include "capture/errno_text.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <linux/if_link.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "capture/interfaces.h"

namespace bpfcap::capture {
namespace {

}  // namespace

const char* XdpModeName(XdpMode m) {
  switch (m) {
    case XdpMode::kNative: return "native";
    case XdpMode::kGeneric: return "generic";
    case XdpMode::kAuto: break;
  }
  return "auto";
}

bool CheckXdpInterface(const std::string& name, const char* engine, int* ifindex,
                       std::string* error) {
  if (name == "any") {
    *error = "any: " + std::string(engine) + " captures on one interface, not on 'any'";
    return false;
  }
  if (!ResolveInterface(name, ifindex, error)) return false;
  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *error = Errno("socket", errno);
    return false;
  }
  ifreq ifr{};
  std::memcpy(ifr.ifr_name, name.data(), std::min(name.size(), sizeof(ifr.ifr_name) - 1));
  const bool hw_ok = ioctl(fd, SIOCGIFHWADDR, &ifr) == 0;
  const int hatype = ifr.ifr_hwaddr.sa_family;
  const bool flags_ok = ioctl(fd, SIOCGIFFLAGS, &ifr) == 0;
  const int err = errno;
  close(fd);
  if (!hw_ok || !flags_ok) {
    *error = name + ": " + Errno(hw_ok ? "SIOCGIFFLAGS" : "SIOCGIFHWADDR", err);
    return false;
  }
  if (hatype != ARPHRD_ETHER) {
    *error = name + ": " + engine + " needs an Ethernet device (hardware type " +
             std::to_string(hatype) + "); use --engine=packet";
    return false;
  }
  if (!(ifr.ifr_flags & IFF_UP)) {
    *error = name + ": That device is not up";
    return false;
  }
  LIBBPF_OPTS(bpf_xdp_query_opts, q);
  if (int e = bpf_xdp_query(*ifindex, 0, &q); e != 0) {
    *error = name + ": XDP is not available (" + Errno("bpf_xdp_query", -e) + ")";
    return false;
  }
  const uint32_t other = q.prog_id ? q.prog_id
                         : q.drv_prog_id ? q.drv_prog_id
                         : q.skb_prog_id ? q.skb_prog_id
                                         : q.hw_prog_id;
  if (other != 0 || q.attach_mode != XDP_ATTACHED_NONE) {
    *error = name + ": an XDP program (id " + std::to_string(other) +
             ") is already attached; bpfcap does not replace it";
    return false;
  }
  return true;
}

int HoldPromiscuous(int ifindex, const std::string& name, std::string* error) {
  const int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *error = Errno("socket", errno);
    return -1;
  }
  packet_mreq mreq{};
  mreq.mr_ifindex = ifindex;
  mreq.mr_type = PACKET_MR_PROMISC;
  if (setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mreq, sizeof(mreq)) != 0) {
    *error = name + ": " + Errno("PACKET_ADD_MEMBERSHIP promiscuous", errno);
    close(fd);
    return -1;
  }
  return fd;
}

bool AttachXdp(int prog_fd, int ifindex, const std::string& name, XdpMode mode, XdpLink* out,
               std::string* error) {
  auto try_mode = [&](XdpMode m) {
    LIBBPF_OPTS(bpf_link_create_opts, lo);
    lo.flags = m == XdpMode::kGeneric ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE;
    const int fd = bpf_link_create(prog_fd, ifindex, BPF_XDP, &lo);
    if (fd >= 0) {
      out->fd = fd;
      out->mode = m;
      return 0;
    }
    return -fd;
  };
  const XdpMode first = mode == XdpMode::kGeneric ? XdpMode::kGeneric : XdpMode::kNative;
  int err = try_mode(first);
  if (err != 0 && mode == XdpMode::kAuto && err != EBUSY && err != EEXIST && err != EPERM) {
    out->native_error = "native XDP is not available on " + name + " (" +
                        Errno("bpf_link_create", err) + ")";
    err = try_mode(XdpMode::kGeneric);
  }
  if (err == 0) return true;
  if (err == EBUSY || err == EEXIST) {
    *error = name + ": another XDP program is already attached; bpfcap does not replace it";
  } else if (err == EPERM) {
    *error = "you don't have permission to attach XDP programs (" +
             Errno("bpf_link_create", err) + ")";
  } else if (mode == XdpMode::kNative) {
    *error = name + ": native XDP is not available on this device (" +
             Errno("bpf_link_create", err) + "); try --xdp-mode=generic";
  } else {
    *error = name + ": can't attach the XDP program in generic mode (" +
             Errno("bpf_link_create", err) + ")";
  }
  return false;
}

}  // namespace bpfcap::capture
