#include "capture/savefile_io.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace bpfcap::capture {
namespace {

constexpr size_t kInitialInputBuffer = 64 * 1024;
constexpr size_t kOutputBuffer = 64 * 1024;

}  // namespace

std::unique_ptr<InputFile> InputFile::Open(const std::string& path, std::string* error) {
  if (path == "-") return std::make_unique<InputFile>(STDIN_FILENO, false, "standard input");
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *error = path + ": " + std::strerror(errno);
    return nullptr;
  }
  return std::make_unique<InputFile>(fd, true, path);
}

InputFile::InputFile(int fd, bool owns_fd, std::string name)
    : fd_(fd), owns_fd_(owns_fd), name_(std::move(name)) {}

InputFile::~InputFile() {
  if (owns_fd_) ::close(fd_);
}

size_t InputFile::Fill(size_t n) {
  while (end_ - pos_ < n && !eof_) {
    if (pos_ > 0 && buf_.size() - pos_ < n) {  // make room at the front
      std::memmove(buf_.data(), buf_.data() + pos_, end_ - pos_);
      end_ -= pos_;
      pos_ = 0;
    }
    if (end_ == buf_.size()) {  // full: grow by doubling, never past need
      size_t grown = std::max(kInitialInputBuffer, buf_.size() * 2);
      buf_.resize(std::min(grown, std::max(pos_ + n, kInitialInputBuffer)));
    }
    ssize_t r = ::read(fd_, buf_.data() + end_, buf_.size() - end_);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      read_error_ = std::string("read error: ") + std::strerror(errno);
      eof_ = true;
    } else if (r == 0) {
      eof_ = true;
    } else {
      end_ += static_cast<size_t>(r);
    }
  }
  return std::min(n, end_ - pos_);
}

std::unique_ptr<OutputFile> OutputFile::Open(const std::string& path, std::string* error) {
  if (path == "-") return std::make_unique<OutputFile>(STDOUT_FILENO, false, "standard output");
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    *error = path + ": " + std::strerror(errno);
    return nullptr;
  }
  return std::make_unique<OutputFile>(fd, true, path);
}

OutputFile::OutputFile(int fd, bool owns_fd, std::string name)
    : fd_(fd), owns_fd_(owns_fd), name_(std::move(name)) {
  buf_.reserve(kOutputBuffer);
}

OutputFile::~OutputFile() { Close(); }

bool OutputFile::Write(const void* data, size_t n) {
  if (!error_.empty() || closed_) return false;
  bytes_written_ += n;
  const uint8_t* p = static_cast<const uint8_t*>(data);
  if (buf_.size() + n <= kOutputBuffer) {
    buf_.insert(buf_.end(), p, p + n);
    return true;
  }
  if (!Flush()) return false;
  if (n >= kOutputBuffer) return WriteOut(p, n);
  buf_.insert(buf_.end(), p, p + n);
  return true;
}

bool OutputFile::Flush() {
  if (!error_.empty()) return false;
  if (buf_.empty()) return true;
  bool ok = WriteOut(buf_.data(), buf_.size());
  buf_.clear();
  return ok;
}

bool OutputFile::WriteOut(const uint8_t* data, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd_, data, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) {
      error_ = "write error on " + name_ + ": " + std::strerror(errno);
      return false;
    }
    data += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

bool OutputFile::Close() {
  if (closed_) return error_.empty();
  bool ok = Flush();
  closed_ = true;
  if (owns_fd_ && ::close(fd_) != 0 && ok) {
    error_ = "write error on " + name_ + ": " + std::strerror(errno);
    ok = false;
  }
  return ok;
}

}  // namespace bpfcap::capture
