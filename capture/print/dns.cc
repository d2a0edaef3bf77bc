// DNS messages (RFC 1035; mDNS RFC 6762 on 5353) in tcpdump's one-line form.
//
//   query:     12345+ [1au] A? example.com. (40)
//   response:  12345* NXDomain 1/0/0 A 93.184.216.34 (45)
//
// Query marks: '+' recursion desired, '%' checking disabled, then the
// header bits a query should not have as "[b2&3=0x...]", then counts other
// than the usual (qd 1, an/ns/ar 0) as "[2q] [1a] [1n] [1au]". Response
// marks: '*' authoritative, '-' recursion not available, '|' truncated, '$'
// authenticated data; then the rcode name unless NoError; then an/ns/ar and
// the answer records (with their owner names under -v). Names with
// compression pointers are followed backwards only, so a loop cannot hang.
#include <string_view>

#include "capture/print/layers.h"
#include "capture/print/text.h"

namespace bpfcap::capture::print {
namespace {

constexpr size_t kDnsHeader = 12;
constexpr uint16_t kFlagQr = 0x8000;
constexpr uint16_t kFlagAa = 0x0400;
constexpr uint16_t kFlagTc = 0x0200;
constexpr uint16_t kFlagRd = 0x0100;
constexpr uint16_t kFlagRa = 0x0080;
constexpr uint16_t kFlagAd = 0x0020;
constexpr uint16_t kFlagCd = 0x0010;
// Bits that only responses carry: AA, TC, RA, Z, RCODE.
constexpr uint16_t kUnexpectedInQuery = 0x06cf;

struct Named {
  uint16_t number;
  std::string_view name;
};

constexpr Named kTypes[] = {
    {1, "A"},        {2, "NS"},        {3, "MD"},       {4, "MF"},       {5, "CNAME"},
    {6, "SOA"},      {7, "MB"},        {8, "MG"},       {9, "MR"},       {10, "NULL"},
    {11, "WKS"},     {12, "PTR"},      {13, "HINFO"},   {14, "MINFO"},   {15, "MX"},
    {16, "TXT"},     {17, "RP"},       {18, "AFSDB"},   {19, "X25"},     {20, "ISDN"},
    {21, "RT"},      {22, "NSAP"},     {23, "NSAP_PTR"}, {24, "SIG"},    {25, "KEY"},
    {26, "PX"},      {27, "GPOS"},     {28, "AAAA"},    {29, "LOC"},     {30, "NXT"},
    {31, "EID"},     {32, "NIMLOC"},   {33, "SRV"},     {34, "ATMA"},    {35, "NAPTR"},
    {36, "KX"},      {37, "CERT"},     {38, "A6"},      {39, "DNAME"},   {40, "SINK"},
    {41, "OPT"},     {42, "APL"},      {43, "DS"},      {44, "SSHFP"},   {45, "IPSECKEY"},
    {46, "RRSIG"},   {47, "NSEC"},     {48, "DNSKEY"},  {49, "DHCID"},   {50, "NSEC3"},
    {51, "NSEC3PARAM"}, {52, "TLSA"},  {53, "SMIMEA"},  {55, "HIP"},     {99, "SPF"},
    {100, "UINFO"},  {101, "UID"},     {102, "GID"},    {103, "UNSPEC"}, {249, "TKEY"},
    {250, "TSIG"},   {251, "IXFR"},    {252, "AXFR"},   {253, "MAILB"},  {254, "MAILA"},
    {255, "ANY"},
};

constexpr Named kClasses[] = {{1, "IN"}, {3, "CHAOS"}, {4, "HS"}, {255, "ANY"}};

constexpr std::string_view kRcodes[] = {
    "",       "FormErr", "ServFail", "NXDomain", "NotImp",  "Refused", "YXDomain", "YXRRSet",
    "NXRRSet", "NotAuth", "NotZone", "Resp11",   "Resp12",  "Resp13",  "Resp14",   "NoChange",
};

constexpr std::string_view kOpcodes[] = {
    "",     " inv_q", " stat", " op3", " notify", " update", " op6",  " op7",
    " op8", " op9",   " op10", " op11", " op12",  " op13",   " op14", " op15",
};

template <size_t N>
std::string_view Find(const Named (&t)[N], uint16_t v) {
  for (const Named& n : t)
    if (n.number == v) return n.name;
  return {};
}

void AppendType(std::string* out, uint16_t type) {
  std::string_view name = Find(kTypes, type);
  if (name.empty()) {
    out->append("Type");
    AppendDec(out, type);
  } else {
    out->append(name);
  }
}

class DnsReader {
 public:
  DnsReader(Ctx& c, Bytes msg, bool mdns) : c_(c), out_(c.out), msg_(msg), mdns_(mdns) {}

  // Prints the name at *off and moves *off past it. False when cut short
  // (marker printed) or malformed.
  bool Name(size_t* off) {
    size_t pos = *off;
    bool jumped = false;
    size_t limit = pos;  // pointers must go strictly backwards from here
    bool any = false;
    for (int steps = 0; steps < 256; ++steps) {
      if (!msg_.Has(pos, 1)) return Truncated();
      uint8_t len = msg_.U8(pos);
      if (len == 0) {
        if (!jumped) *off = pos + 1;
        if (!any) out_->push_back('.');
        return true;
      }
      if ((len & 0xc0) == 0xc0) {
        if (!msg_.Has(pos, 2)) return Truncated();
        size_t target = static_cast<size_t>(len & 0x3f) << 8 | msg_.U8(pos + 1);
        if (!jumped) *off = pos + 2;
        if (target >= limit) {
          out_->append("<BAD PTR>");
          return Truncated();
        }
        jumped = true;
        limit = target;
        pos = target;
        continue;
      }
      if ((len & 0xc0) != 0) {
        out_->append("<ELT ");
        AppendHex0x(out_, len & 0x3f, 2);
        out_->push_back('>');
        return false;
      }
      if (!msg_.Has(pos + 1, len)) return Truncated();
      for (size_t i = 0; i < len; ++i) AppendNameChar(msg_.U8(pos + 1 + i));
      out_->push_back('.');
      any = true;
      pos += 1 + len;
    }
    out_->append("<LOOP>");
    return false;
  }

  // " A? example.com." for one question.
  bool Question(size_t* off) {
    size_t name_at = *off;
    size_t probe = name_at;
    if (!SkipName(&probe)) return Truncated();
    if (!msg_.Has(probe, 4)) return Truncated();
    uint16_t type = msg_.U16(probe), klass = msg_.U16(probe + 2);
    out_->push_back(' ');
    AppendType(out_, type);
    AppendClass(klass, true);
    out_->append("? ");
    if (!Name(&name_at)) return false;
    *off = probe + 4;
    return true;
  }

  // " A 93.184.216.34" (-v: " example.com. A 93.184.216.34").
  bool Record(size_t* off) {
    out_->push_back(' ');
    size_t name_at = *off;
    size_t probe = name_at;
    if (c_.opt.verbose > 0) {
      if (!Name(&probe)) return false;
      out_->push_back(' ');
    } else if (!SkipName(&probe)) {
      return Truncated();
    }
    if (!msg_.Has(probe, 10)) return Truncated();
    uint16_t type = msg_.U16(probe), klass = msg_.U16(probe + 2);
    uint16_t rdlen = msg_.U16(probe + 8);
    size_t rd = probe + 10;
    AppendType(out_, type);
    AppendClass(klass, false);
    if (!msg_.Has(rd, rdlen)) return Truncated();
    *off = rd + rdlen;
    return RecordData(type, rd, rdlen);
  }

  // Not MarkTruncated: tcpdump's DNS printer stops without losing track of
  // the link header, so -x still starts after it.
  bool Truncated() {
    out_->append(" [|domain]");
    return false;
  }

 private:
  void AppendNameChar(uint8_t ch) {
    if (ch == '.' || ch == '\\') {
      out_->push_back('\\');
      out_->push_back(static_cast<char>(ch));
    } else if (ch > 0x20 && ch < 0x7f) {
      out_->push_back(static_cast<char>(ch));
    } else {
      out_->push_back('\\');
      AppendDecPad(out_, ch, 3);
    }
  }

  void AppendClass(uint16_t klass, bool question) {
    uint16_t base = mdns_ ? klass & 0x7fff : klass;
    if (base != 1) {
      out_->push_back(' ');
      std::string_view name = Find(kClasses, base);
      if (name.empty()) {
        out_->append("Class");
        AppendDec(out_, base);
      } else {
        out_->append(name);
      }
    }
    if (mdns_ && question) out_->append(klass & 0x8000 ? " (QU)" : " (QM)");
    if (mdns_ && !question && (klass & 0x8000)) out_->append(" (Cache flush)");
  }

  // Moves *off past a name without printing it.
  bool SkipName(size_t* off) {
    size_t pos = *off;
    for (int steps = 0; steps < 256; ++steps) {
      if (!msg_.Has(pos, 1)) return false;
      uint8_t len = msg_.U8(pos);
      if (len == 0) {
        *off = pos + 1;
        return true;
      }
      if ((len & 0xc0) == 0xc0) {
        if (!msg_.Has(pos, 2)) return false;
        *off = pos + 2;
        return true;
      }
      pos += 1 + (len & 0x3f);
    }
    return false;
  }

  bool RecordData(uint16_t type, size_t rd, uint16_t rdlen) {
    size_t end = rd + rdlen;
    switch (type) {
      case 1:  // A
        if (rdlen != 4) return true;
        out_->push_back(' ');
        AppendIp4(out_, msg_.At(rd));
        return true;
      case 28:  // AAAA
        if (rdlen != 16) return true;
        out_->push_back(' ');
        AppendIp6(out_, msg_.At(rd));
        return true;
      case 2: case 5: case 12: case 39: {  // NS, CNAME, PTR, DNAME
        out_->push_back(' ');
        size_t p = rd;
        return Name(&p);
      }
      case 15: {  // MX
        if (rdlen < 3) return true;
        out_->push_back(' ');
        size_t p = rd + 2;
        if (!Name(&p)) return false;
        out_->push_back(' ');
        AppendDec(out_, msg_.U16(rd));
        return true;
      }
      case 16: {  // TXT: each string quoted
        for (size_t p = rd; p < end;) {
          uint8_t n = msg_.U8(p);
          if (p + 1 + n > end) break;
          out_->append(" \"");
          for (size_t i = 0; i < n; ++i) {
            uint8_t ch = msg_.U8(p + 1 + i);
            out_->push_back(ch >= 0x20 && ch < 0x7f ? static_cast<char>(ch) : '.');
          }
          out_->push_back('"');
          p += 1 + n;
        }
        return true;
      }
      case 6: {  // SOA
        out_->push_back(' ');
        size_t p = rd;
        if (!Name(&p)) return false;
        out_->push_back(' ');
        if (!Name(&p)) return false;
        if (!msg_.Has(p, 20)) return Truncated();
        for (int i = 0; i < 5; ++i) {
          out_->push_back(' ');
          AppendDec(out_, msg_.U32(p + 4 * i));
        }
        return true;
      }
      case 33: {  // SRV: target:port priority weight
        if (rdlen < 7) return true;
        out_->push_back(' ');
        size_t p = rd + 6;
        if (!Name(&p)) return false;
        out_->push_back(':');
        AppendDec(out_, msg_.U16(rd + 4));
        out_->push_back(' ');
        AppendDec(out_, msg_.U16(rd));
        out_->push_back(' ');
        AppendDec(out_, msg_.U16(rd + 2));
        return true;
      }
      default:
        return true;
    }
  }

  Ctx& c_;
  std::string* out_;
  Bytes msg_;
  bool mdns_;
};

void AppendCount(std::string* out, uint16_t n, std::string_view suffix) {
  out->append(" [");
  AppendDec(out, n);
  out->append(suffix);
  out->push_back(']');
}

}  // namespace

void PrintDns(Ctx& c, Bytes b, uint32_t length, bool mdns) {
  std::string* out = c.out;
  Bytes msg = b.Prefix(length);
  DnsReader r(c, msg, mdns);
  if (length < kDnsHeader) {  // too short to be DNS at all, as tcpdump says it
    out->append("domain [length ");
    AppendDec(out, length);
    out->append(" < 12] (invalid)");
    return;
  }
  if (!msg.Has(0, kDnsHeader)) {
    r.Truncated();
    return;
  }
  uint16_t id = msg.U16(0), flags = msg.U16(2);
  uint16_t qd = msg.U16(4), an = msg.U16(6), ns = msg.U16(8), ar = msg.U16(10);
  AppendDec(out, id);
  size_t off = kDnsHeader;
  if (flags & kFlagQr) {
    if (flags & kFlagAa) out->push_back('*');
    if (!(flags & kFlagRa)) out->push_back('-');
    if (flags & kFlagTc) out->push_back('|');
    if (flags & kFlagAd) out->push_back('$');
    out->append(kOpcodes[(flags >> 11) & 0xf]);
    std::string_view rcode = kRcodes[flags & 0xf];
    if (!rcode.empty()) {
      out->push_back(' ');
      out->append(rcode);
    }
    out->push_back(' ');
    AppendDec(out, an);
    out->push_back('/');
    AppendDec(out, ns);
    out->push_back('/');
    AppendDec(out, ar);
    // Questions are skipped in responses (tcpdump shows them with -vv).
    for (uint16_t i = 0; i < qd; ++i) {
      size_t probe = off;
      for (int steps = 0;; ++steps) {
        if (!msg.Has(probe, 1) || steps > 255) {
          r.Truncated();
          return;
        }
        uint8_t len = msg.U8(probe);
        if (len == 0) { ++probe; break; }
        if ((len & 0xc0) == 0xc0) { probe += 2; break; }
        probe += 1 + (len & 0x3f);
      }
      off = probe + 4;
    }
    for (uint16_t i = 0; i < an; ++i) {
      if (i) out->push_back(',');
      if (!r.Record(&off)) return;
    }
  } else {
    out->append(kOpcodes[(flags >> 11) & 0xf]);
    if (flags & kFlagRd) out->push_back('+');
    if (flags & kFlagCd) out->push_back('%');
    if (flags & kUnexpectedInQuery) {
      out->append(" [b2&3=");
      AppendHex0x(out, flags);
      out->push_back(']');
    }
    if (qd != 1) AppendCount(out, qd, "q");
    if (an != 0) AppendCount(out, an, "a");
    if (ns != 0) AppendCount(out, ns, "n");
    if (ar != 0) AppendCount(out, ar, "au");
    for (uint16_t i = 0; i < qd; ++i) {
      if (i) out->push_back(',');
      if (!r.Question(&off)) return;
    }
  }
  out->append(" (");
  AppendDec(out, length);
  out->push_back(')');
}

}  // namespace bpfcap::capture::print
