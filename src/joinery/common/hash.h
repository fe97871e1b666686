// FNV-1a, 64 bit: a small, stable, non-cryptographic hash for names and fingerprints that must be
// the same in every process and release (instance IDs, node-pool hashes, IP addresses of simulated
// instances). Not for anything an adversary controls. Thread-safe: a pure function.
#pragma once

#include <cstdint>
#include <string_view>

namespace joinery {

inline uint64_t Fnv1a64(std::string_view s) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

}  // namespace joinery
