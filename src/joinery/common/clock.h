// The clock, injected wherever time matters so that tests can control it.
//
// Production code takes a `Clock&` and never calls absl::Now() directly. RealClock() is the process
// clock; FakeClock (below) only moves when a test advances it. Thread-safe: both may be used from
// any thread.
#pragma once

#include <mutex>
#include <string>
#include <string_view>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace joinery {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
};

// The wall clock. Never destroyed.
Clock& RealClock();

class FakeClock final : public Clock {
 public:
  explicit FakeClock(absl::Time start = absl::FromUnixSeconds(1'767'225'600))  // 2026-01-01Z
      : now_(start) {}
  absl::Time Now() const override {
    std::lock_guard lock(mu_);
    return now_;
  }
  void Advance(absl::Duration d) {
    std::lock_guard lock(mu_);
    now_ += d;
  }
  void Set(absl::Time t) {
    std::lock_guard lock(mu_);
    now_ = t;
  }

 private:
  mutable std::mutex mu_;
  absl::Time now_;
};

// RFC 3339 with second precision in UTC ("2026-11-29T09:00:00Z"), as Kubernetes writes times.
std::string FormatRfc3339(absl::Time t);
// Parses Kubernetes timestamps (RFC 3339, optional fractional seconds). InfinitePast on failure.
absl::Time ParseRfc3339(std::string_view s);

}  // namespace joinery
