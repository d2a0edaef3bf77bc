// Buffered byte input and output for the savefile readers and writers.
//
// InputFile takes a file descriptor (a file, a pipe, stdin) and produces
// contiguous byte ranges on demand: Fill(n) makes the next n bytes readable
// at Peek() without copying them out, Consume(n) moves past them. The byte
// offset from the start of the stream is tracked for error messages. The
// buffer grows only as data actually arrives (doubling), so a corrupt length
// field on a short file never causes a large allocation; callers bound n.
//
// OutputFile takes a descriptor and buffers writes; Flush() pushes every
// buffered byte to the descriptor (retrying short writes and EINTR). The
// first write error sticks: later calls fail at once with the same message.
//
// Neither knows anything about pcap or pcapng, and neither seeks: both work
// on pipes. Not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace bpfcap::capture {

class InputFile {
 public:
  // Opens `path` for reading; "-" is standard input (not closed at the end).
  // nullptr and *error = "PATH: reason" on failure.
  static std::unique_ptr<InputFile> Open(const std::string& path, std::string* error);
  // Reads from `fd`; closes it at destruction when `owns_fd`.
  InputFile(int fd, bool owns_fd, std::string name);
  ~InputFile();
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;

  // Makes up to n bytes available at Peek(); returns how many are (n unless
  // the stream ended or a read failed; see read_error()).
  size_t Fill(size_t n);
  // The bytes made available by the last Fill(); valid until the next Fill().
  const uint8_t* Peek() const { return buf_.data() + pos_; }
  // Moves past n bytes (n <= what the last Fill() returned).
  void Consume(size_t n) {
    pos_ += n;
    offset_ += n;
  }
  // Offset of Peek()[0] from the start of the stream.
  uint64_t offset() const { return offset_; }
  // Non-empty after a read() failed: "read error: strerror".
  const std::string& read_error() const { return read_error_; }
  const std::string& name() const { return name_; }

 private:
  int fd_;
  bool owns_fd_;
  std::string name_;
  std::vector<uint8_t> buf_;
  size_t pos_ = 0;  // first unconsumed byte in buf_
  size_t end_ = 0;  // one past the last valid byte in buf_
  bool eof_ = false;
  uint64_t offset_ = 0;
  std::string read_error_;
};

class OutputFile {
 public:
  // Opens (creates, truncates) `path` for writing; "-" is standard output
  // (flushed but never closed). nullptr and *error = "PATH: reason" on failure.
  static std::unique_ptr<OutputFile> Open(const std::string& path, std::string* error);
  // Writes to `fd`; closes it in Close() when `owns_fd`.
  OutputFile(int fd, bool owns_fd, std::string name);
  ~OutputFile();
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  // Appends to the buffer, writing it out when full. False after an error.
  bool Write(const void* data, size_t n);
  // Writes every buffered byte to the descriptor.
  bool Flush();
  // Flushes and closes the descriptor (when owned). Idempotent.
  bool Close();
  // Bytes accepted by Write() so far, buffered or not.
  uint64_t bytes_written() const { return bytes_written_; }
  // "write error on NAME: strerror" after a failure; empty otherwise.
  const std::string& error() const { return error_; }

 private:
  bool WriteOut(const uint8_t* data, size_t n);

  int fd_;
  bool owns_fd_;
  bool closed_ = false;
  std::string name_;
  std::vector<uint8_t> buf_;
  uint64_t bytes_written_ = 0;
  std::string error_;
};

// Byte-order helpers shared by the readers and writers: little- or big-endian
// loads as the file's byte order says (`swap` = differs from the host's).
inline uint16_t Load16(const uint8_t* p, bool swap) {
  uint16_t v;
  __builtin_memcpy(&v, p, 2);
  return swap ? __builtin_bswap16(v) : v;
}
inline uint32_t Load32(const uint8_t* p, bool swap) {
  uint32_t v;
  __builtin_memcpy(&v, p, 4);
  return swap ? __builtin_bswap32(v) : v;
}
inline uint64_t Load64(const uint8_t* p, bool swap) {
  uint64_t v;
  __builtin_memcpy(&v, p, 8);
  return swap ? __builtin_bswap64(v) : v;
}

// Appends host-order values to a byte vector (the writers' staging buffer).
inline void Append(std::vector<uint8_t>* out, const void* p, size_t n) {
  const uint8_t* b = static_cast<const uint8_t*>(p);
  out->insert(out->end(), b, b + n);
}
template <typename T>
inline void AppendValue(std::vector<uint8_t>* out, T v) {
  Append(out, &v, sizeof v);
}

}  // namespace bpfcap::capture
