// Savefile rotation for -C / -G / -W, with tcpdump's file names.
//
//   -C MB alone      FILE, FILE1, FILE2, ...           (new file once the current
//                                                      one has grown past MB)
//   -C MB -W N       FILE0 ... FILE{N-1}, then FILE0 again (zero-padded to the
//                                                      width of N-1)
//   -G SECS          strftime(FILE) at each rotation time (local time)
//   -G SECS -W N     stops the capture after N files
//   -G with -C       strftime(FILE) followed by the -C number
//
// Pure logic: it names files and decides when to rotate; opening and closing
// them is the caller's. No I/O, no clock: the caller passes the time.
#pragma once

#include <cstdint>
#include <ctime>
#include <string>

namespace bpfcap::capture {

class Rotation {
 public:
  Rotation(std::string pattern, uint64_t max_bytes, uint32_t seconds, uint32_t file_limit);

  // The name of the first file, for a capture starting at `now`.
  std::string First(std::time_t now);
  // True when the current file must be closed before more is written to it.
  bool Due(uint64_t bytes_written, std::time_t now) const;
  // The next file's name; false when -G -W's file limit is reached and the
  // capture must stop instead.
  bool Next(std::time_t now, std::string* name);

 private:
  std::string Name(std::time_t now) const;

  std::string pattern_;
  uint64_t max_bytes_;
  uint32_t seconds_;
  uint32_t file_limit_;
  uint32_t size_index_ = 0;   // -C counter
  uint32_t files_ = 0;        // files opened so far
  std::time_t opened_ = 0;    // when the current -G interval started
};

}  // namespace bpfcap::capture
