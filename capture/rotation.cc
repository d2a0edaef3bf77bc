// Savefile names for -C / -G / -W; see rotation.h.
#include "capture/rotation.h"

#include <utility>

namespace bpfcap::capture {
namespace {

// Digits needed to print n - 1 (tcpdump pads -C numbers to the width of
// the largest index -W allows).
int Width(uint32_t limit) {
  if (limit == 0) return 0;
  int w = 1;
  for (uint32_t x = limit - 1; x >= 10; x /= 10) ++w;
  return w;
}

}  // namespace

Rotation::Rotation(std::string pattern, uint64_t max_bytes, uint32_t seconds,
                   uint32_t file_limit)
    : pattern_(std::move(pattern)), max_bytes_(max_bytes), seconds_(seconds),
      file_limit_(file_limit) {}

std::string Rotation::Name(std::time_t now) const {
  std::string base = pattern_;
  if (seconds_ > 0) {
    std::tm tm{};
    localtime_r(&now, &tm);
    char buf[4096];
    size_t n = std::strftime(buf, sizeof buf, pattern_.c_str(), &tm);
    if (n > 0) base.assign(buf, n);
  }
  if (max_bytes_ == 0) return base;
  // -C numbering: the first file keeps the plain name unless -W pads numbers.
  const int width = seconds_ > 0 ? 0 : Width(file_limit_);
  if (size_index_ == 0 && width == 0) return base;
  std::string num = std::to_string(size_index_);
  if (int(num.size()) < width) num.insert(0, size_t(width) - num.size(), '0');
  return base + num;
}

std::string Rotation::First(std::time_t now) {
  opened_ = now;
  size_index_ = 0;
  files_ = 1;
  return Name(now);
}

bool Rotation::Due(uint64_t bytes_written, std::time_t now) const {
  if (max_bytes_ > 0 && bytes_written > max_bytes_) return true;
  return seconds_ > 0 && now - opened_ >= std::time_t(seconds_);
}

bool Rotation::Next(std::time_t now, std::string* name) {
  const bool by_time = seconds_ > 0 && now - opened_ >= std::time_t(seconds_);
  if (by_time) {
    if (file_limit_ > 0 && files_ >= file_limit_) return false;
    opened_ = now;
    size_index_ = 0;
  } else {
    ++size_index_;
    if (seconds_ == 0 && file_limit_ > 0 && size_index_ >= file_limit_) size_index_ = 0;
  }
  ++files_;
  *name = Name(now);
  return true;
}

}  // namespace bpfcap::capture
