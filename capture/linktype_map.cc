// The numbers where Linux's DLT_ value and the file format's LINKTYPE_ value
// differ. Learnt from the pcap link-type registry.
#include "capture/linktype_map.h"

namespace bpfcap::capture {
namespace {

struct LinkTypeRow {
  uint32_t linktype;  // LINKTYPE_ value in files
  int dlt;            // DLT_ value on Linux
  bool read_only;     // accepted when reading; never written
};

constexpr LinkTypeRow kLinkTypeRows[] = {
    // linktype dlt   read_only
    {100, 11, false},   // ATM_RFC1483
    {101, 12, false},   // RAW: raw IPv4 or IPv6
    {102, 15, false},   // SLIP_BSDOS
    {103, 16, false},   // PPP_BSDOS
    {106, 19, false},   // ATM_CLIP
    {12, 12, true},     // RAW as some old writers recorded it (DLT_RAW's own number)
    {14, 12, true},     // RAW as OpenBSD's DLT_RAW number
};

}  // namespace

int LinkTypeToDlt(uint32_t linktype) {
  for (const LinkTypeRow& row : kLinkTypeRows)
    if (row.linktype == linktype) return row.dlt;
  return static_cast<int>(linktype);
}

uint32_t DltToLinkType(int dlt) {
  for (const LinkTypeRow& row : kLinkTypeRows)
    if (row.dlt == dlt && !row.read_only) return row.linktype;
  return static_cast<uint32_t>(dlt);
}

}  // namespace bpfcap::capture
