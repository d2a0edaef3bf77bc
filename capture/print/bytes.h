// Bytes: a bounds-checked, read-only view of captured packet bytes.
//
// Every protocol printer reads the packet through a Bytes. `size()` is what
// was captured (never more than the packet's caplen); reads past it are not
// possible through the accessors: callers test Has(off, n) first, and the
// getters assert that in debug builds. Big-endian (network order) unless
// the name says Le.
#pragma once

#include <cassert>
#include <cstddef>
#include <cstdint>

namespace bpfcap::capture::print {

class Bytes {
 public:
  Bytes() = default;
  Bytes(const uint8_t* data, size_t size) : data_(data), size_(size) {}

  size_t size() const { return size_; }
  const uint8_t* data() const { return data_; }
  bool empty() const { return size_ == 0; }

  // True when bytes [off, off + n) were captured.
  bool Has(size_t off, size_t n) const { return off <= size_ && n <= size_ - off; }

  uint8_t U8(size_t off) const { assert(Has(off, 1)); return data_[off]; }
  uint16_t U16(size_t off) const {
    assert(Has(off, 2));
    return static_cast<uint16_t>(data_[off] << 8 | data_[off + 1]);
  }
  uint16_t U16Le(size_t off) const {
    assert(Has(off, 2));
    return static_cast<uint16_t>(data_[off + 1] << 8 | data_[off]);
  }
  uint32_t U32(size_t off) const {
    assert(Has(off, 4));
    return uint32_t{data_[off]} << 24 | uint32_t{data_[off + 1]} << 16 |
           uint32_t{data_[off + 2]} << 8 | data_[off + 3];
  }
  uint32_t U32Le(size_t off) const {
    assert(Has(off, 4));
    return uint32_t{data_[off + 3]} << 24 | uint32_t{data_[off + 2]} << 16 |
           uint32_t{data_[off + 1]} << 8 | data_[off];
  }
  const uint8_t* At(size_t off) const { assert(off <= size_); return data_ + off; }

  // The bytes from `off` on (empty when off is past the end).
  Bytes From(size_t off) const {
    return off >= size_ ? Bytes(data_ + size_, 0) : Bytes(data_ + off, size_ - off);
  }
  // At most the first n bytes.
  Bytes Prefix(size_t n) const { return Bytes(data_, n < size_ ? n : size_); }

 private:
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace bpfcap::capture::print
