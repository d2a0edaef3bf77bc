// ARP and RARP (RFC 826, RFC 903) for Ethernet/IPv4.
//
//   ARP, Request who-has 10.0.0.2 tell 10.0.0.1, length 28
//   ARP, Reply 10.0.0.2 is-at 66:77:88:99:aa:bb, length 28
//   ARP, Ethernet (len 6), IPv4 (len 4), Request who-has ...          (-v)
//
// Other hardware or protocol types print their numbers only.
#include "capture/print/layers.h"
#include "capture/print/text.h"

namespace bpfcap::capture::print {
namespace {

constexpr size_t kArpFixed = 8;
constexpr uint16_t kHwEthernet = 1;
constexpr uint16_t kProtoIpv4 = 0x0800;

}  // namespace

void PrintArp(Ctx& c, Bytes b, uint32_t length, bool reverse) {
  std::string* out = c.out;
  if (!c.opt.link_header) out->append(reverse ? "RARP, " : "ARP, ");
  if (!b.Has(0, kArpFixed)) {
    out->resize(out->size() - (c.opt.link_header ? 0 : (reverse ? 6 : 5)));
    MarkTruncated(c, "arp");
    return;
  }
  uint16_t hw = b.U16(0), proto = b.U16(2), op = b.U16(6);
  uint8_t hlen = b.U8(4), plen = b.U8(5);
  size_t sha = kArpFixed, spa = sha + hlen, tha = spa + plen, tpa = tha + hlen;
  if (!b.Has(0, tpa + plen)) {
    out->resize(out->size() - (c.opt.link_header ? 0 : (reverse ? 6 : 5)));
    MarkTruncated(c, "arp");
    return;
  }
  bool ether_ip = hw == kHwEthernet && proto == kProtoIpv4 && hlen == 6 && plen == 4;
  if (c.opt.verbose > 0 || !ether_ip) {
    out->append(hw == kHwEthernet ? "Ethernet" : "Unknown Hardware");
    out->append(" (len ");
    AppendDec(out, hlen);
    out->append("), ");
    out->append(proto == kProtoIpv4 ? "IPv4" : "Unknown Protocol");
    out->append(" (len ");
    AppendDec(out, plen);
    out->append("), ");
  }
  if (!ether_ip) {
    out->append("length ");
    AppendDec(out, length);
    return;
  }
  switch (op) {
    case 1:
      out->append("Request who-has ");
      AppendIp4(out, b.At(tpa));
      if (b.U32(tha) != 0 || b.U16(tha + 4) != 0) {
        out->append(" (");
        AppendMac(out, b.At(tha));
        out->push_back(')');
      }
      out->append(" tell ");
      AppendIp4(out, b.At(spa));
      break;
    case 2:
      out->append("Reply ");
      AppendIp4(out, b.At(spa));
      out->append(" is-at ");
      AppendMac(out, b.At(sha));
      break;
    case 3:
      out->append("Reverse Request who-is ");
      AppendMac(out, b.At(tha));
      out->append(" tell ");
      AppendMac(out, b.At(sha));
      break;
    case 4:
      out->append("Reverse Reply ");
      AppendMac(out, b.At(tha));
      out->append(" at ");
      AppendIp4(out, b.At(tpa));
      break;
    default:
      out->append("Unknown (");
      AppendDec(out, op);
      out->append(")");
      return;
  }
  out->append(", length ");
  AppendDec(out, length);
}

}  // namespace bpfcap::capture::print
