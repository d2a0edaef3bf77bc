// splitmix64 for the generators of the differential tests: small, seedable,
// the same everywhere.
#pragma once

#include <cstddef>
#include <cstdint>

namespace bpfcap::difftest {

class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed) {}
  uint64_t Next() {
    uint64_t z = (s_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  size_t Below(size_t n) { return size_t(Next() % n); }
  bool OneIn(size_t n) { return Below(n) == 0; }
  template <typename T, size_t N>
  const T& Pick(const T (&a)[N]) { return a[Below(N)]; }

 private:
  uint64_t s_;
};

}  // namespace bpfcap::difftest
