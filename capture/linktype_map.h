// LINKTYPE_ values (what pcap and pcapng files record) to and from libpcap's
// DLT_ values (what the compiler and the capture engines speak), on Linux.
//
// Most numbers are the same on both sides; the few that differ sit in one
// table in linktype_map.cc (e.g. DLT_RAW 12 is LINKTYPE_RAW 101). Any number
// not in the table maps to itself, as libpcap does. Pure functions, no state.
#pragma once

#include <cstdint>

namespace bpfcap::capture {

// The DLT_ value for a LINKTYPE_ value read from a file.
int LinkTypeToDlt(uint32_t linktype);
// The LINKTYPE_ value to write to a file for a DLT_ value.
uint32_t DltToLinkType(int dlt);

}  // namespace bpfcap::capture
