// Opening savefiles by path: the entry points the CLI calls for -r and -w.
//
// OpenSavefile takes a path ("-" for standard input), looks at the first
// four bytes and returns a PcapReader or PcapngReader positioned at the
// first packet. CreateSavefile takes a path ("-" for standard output), a
// format and a SinkInfo and returns a writer whose file header is already
// written. Both return nullptr and set *error to one line
// ("PATH: reason") on failure; they print nothing. Format detection is by
// magic only, never by file name.
#pragma once

#include <memory>
#include <string>

#include "capture/packet_source.h"
#include "capture/savefile_io.h"

namespace bpfcap::capture {

enum class SavefileFormat {
  kPcap,    // classic pcap (-w default, like tcpdump)
  kPcapng,  // pcapng (--pcapng)
};

std::unique_ptr<PacketSource> OpenSavefile(const std::string& path, std::string* error);
// The same on an already opened input (a pipe in tests); its name prefixes errors.
std::unique_ptr<PacketSource> OpenSavefile(std::unique_ptr<InputFile> in, std::string* error);

std::unique_ptr<PacketSink> CreateSavefile(const std::string& path, SavefileFormat format,
                                           const SinkInfo& info, std::string* error);
std::unique_ptr<PacketSink> CreateSavefile(std::unique_ptr<OutputFile> out, SavefileFormat format,
                                           const SinkInfo& info, std::string* error);

}  // namespace bpfcap::capture
