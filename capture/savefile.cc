#include "capture/savefile.h"

#include <cstdio>
#include <cstring>

#include "capture/pcap_file.h"
#include "capture/pcapng_file.h"

namespace bpfcap::capture {
namespace {

bool IsPcapMagic(uint32_t m) {
  for (uint32_t magic : {kPcapMagicMicro, kPcapMagicNano})
    if (m == magic || m == __builtin_bswap32(magic)) return true;
  return false;
}

}  // namespace

std::unique_ptr<PacketSource> OpenSavefile(const std::string& path, std::string* error) {
  std::unique_ptr<InputFile> in = InputFile::Open(path, error);
  if (in == nullptr) return nullptr;
  return OpenSavefile(std::move(in), error);
}

std::unique_ptr<PacketSource> OpenSavefile(std::unique_ptr<InputFile> in, std::string* error) {
  std::string name = in->name();
  size_t got = in->Fill(4);
  if (!in->read_error().empty()) {
    *error = name + ": " + in->read_error();
    return nullptr;
  }
  if (got < 4) {
    *error = name + (got == 0 ? ": empty file" : ": truncated file: " + std::to_string(got) + " bytes");
    return nullptr;
  }
  uint32_t magic;
  std::memcpy(&magic, in->Peek(), 4);
  std::unique_ptr<PacketSource> source;
  if (IsPcapMagic(magic)) {
    source = PcapReader::Open(std::move(in), error);
  } else if (magic == kPcapngSectionHeader) {
    source = PcapngReader::Open(std::move(in), error);
  } else {
    char hex[16];
    std::snprintf(hex, sizeof hex, "0x%08x", magic);
    *error = "unknown file format (magic " + std::string(hex) + ")";
  }
  if (source == nullptr) *error = name + ": " + *error;
  return source;
}

std::unique_ptr<PacketSink> CreateSavefile(const std::string& path, SavefileFormat format,
                                           const SinkInfo& info, std::string* error) {
  std::unique_ptr<OutputFile> out = OutputFile::Open(path, error);
  if (out == nullptr) return nullptr;
  return CreateSavefile(std::move(out), format, info, error);
}

std::unique_ptr<PacketSink> CreateSavefile(std::unique_ptr<OutputFile> out, SavefileFormat format,
                                           const SinkInfo& info, std::string* error) {
  if (format == SavefileFormat::kPcapng) return PcapngWriter::Open(std::move(out), info, error);
  return PcapWriter::Open(std::move(out), info, error);
}

}  // namespace bpfcap::capture
