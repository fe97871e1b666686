// SplitMix64 (Steele, Lea, Flood 2014): a tiny PRNG whose output is fixed by its definition, unlike
// the distributions of <random>, so generated workloads are the same on every platform and library
// version. For benchmarks and property tests; not for anything secret. Thread-compatible.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace joinery {

class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n) (n > 0); the modulo bias is below 2^-50 for the small n used here.
  uint64_t Below(uint64_t n) { return Next() % n; }
  // Uniform in [lo, hi].
  int Int(int lo, int hi) { return lo + static_cast<int>(Below(static_cast<uint64_t>(hi - lo + 1))); }
  // True with probability `percent` / 100.
  bool Chance(int percent) { return Int(0, 99) < percent; }
  // Uniform in [0, 1), 53 bits.
  double Unit() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  template <typename T>
  const T& Pick(const std::vector<T>& v) {
    return v[static_cast<size_t>(Int(0, static_cast<int>(v.size()) - 1))];
  }

 private:
  uint64_t state_;
};

}  // namespace joinery
