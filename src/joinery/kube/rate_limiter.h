// A token-bucket rate limiter: `qps` tokens per second refill a bucket of `burst` tokens; each
// request takes one. RestClient applies it to every request, like client-go's default limiter.
//
// Thread-safe: Wait() and TryAcquire() may be called from any thread. Wait() blocks the caller on
// std::chrono::steady_clock (not the injected joinery::Clock: this is transport pacing, not
// business time); TryAcquire(now) and Reserve(now) make the arithmetic testable without sleeping.
#pragma once

#include <chrono>
#include <mutex>

namespace joinery::kube {

class RateLimiter {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  // qps <= 0 disables limiting. burst < 1 is treated as 1. The bucket starts full.
  RateLimiter(double qps, int burst);
  RateLimiter(const RateLimiter&) = delete;
  RateLimiter& operator=(const RateLimiter&) = delete;

  // Blocks until a token is available and takes it. Waiters are served in arrival order.
  void Wait();

  // Takes a token if one is available at `now`; never blocks, never goes into debt.
  bool TryAcquire(TimePoint now);

  // Takes a token at `now`, going into debt if needed, and returns how long the caller must wait
  // before using it (zero when one was available).
  std::chrono::nanoseconds Reserve(TimePoint now);

 private:
  void RefillLocked(TimePoint now);

  const double qps_;
  const double burst_;
  std::mutex mu_;
  double tokens_;         // guarded by mu_; may be negative (reserved by waiters)
  TimePoint last_;        // guarded by mu_; when tokens_ was last brought up to date
  bool started_ = false;  // guarded by mu_
};

}  // namespace joinery::kube
