// RFC 1071 Internet checksums for -v: IPv4 header, ICMP, and with the
// RFC 793 / RFC 8200 pseudo-headers TCP, UDP and ICMPv6.
#include "capture/print/layers.h"

namespace bpfcap::capture::print {
namespace {

uint32_t Sum(const uint8_t* data, size_t n, size_t zero_at, uint32_t sum) {
  for (size_t i = 0; i + 1 < n; i += 2) {
    if (i == zero_at) continue;
    sum += static_cast<uint32_t>(data[i] << 8 | data[i + 1]);
  }
  if (n % 2 == 1) sum += static_cast<uint32_t>(data[n - 1] << 8);
  return sum;
}

uint16_t Fold(uint64_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum & 0xffff);
}

}  // namespace

uint16_t InternetChecksum(const uint8_t* data, size_t n, size_t zero_at) {
  return Fold(Sum(data, n, zero_at, 0));
}

uint16_t TransportChecksum(const IpInfo& ip, const uint8_t* data, size_t n,
                           size_t zero_at) {
  uint64_t sum = Sum(ip.src, ip.addr_len, kNoField, 0);
  sum += Sum(ip.dst, ip.addr_len, kNoField, 0);
  sum += ip.proto;
  sum += static_cast<uint32_t>(n >> 16) + static_cast<uint32_t>(n & 0xffff);
  // Chunks so that a 32-bit accumulator never overflows.
  for (size_t off = 0; off < n; off += 1 << 16) {
    size_t chunk = n - off < (1 << 16) ? n - off : (1 << 16);
    size_t z = zero_at >= off && zero_at < off + chunk ? zero_at - off : kNoField;
    sum += Sum(data + off, chunk, z, 0);
  }
  return Fold(sum);
}

}  // namespace bpfcap::capture::print
