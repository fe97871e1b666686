#include "joinery/kube/rate_limiter.h"

#include <algorithm>
#include <thread>

namespace joinery::kube {

RateLimiter::RateLimiter(double qps, int burst)
    : qps_(qps), burst_(std::max(1, burst)), tokens_(std::max(1, burst)) {}

void RateLimiter::RefillLocked(TimePoint now) {
  if (!started_) {
    started_ = true;
    last_ = now;
    return;
  }
  if (now <= last_) return;  // time never runs backwards for the bucket
  const double elapsed = std::chrono::duration<double>(now - last_).count();
  tokens_ = std::min(burst_, tokens_ + elapsed * qps_);
  last_ = now;
}

bool RateLimiter::TryAcquire(TimePoint now) {
  if (qps_ <= 0) return true;
  std::lock_guard lock(mu_);
  RefillLocked(now);
  if (tokens_ < 1) return false;
  tokens_ -= 1;
  return true;
}

std::chrono::nanoseconds RateLimiter::Reserve(TimePoint now) {
  if (qps_ <= 0) return std::chrono::nanoseconds(0);
  std::lock_guard lock(mu_);
  RefillLocked(now);
  tokens_ -= 1;
  if (tokens_ >= 0) return std::chrono::nanoseconds(0);
  // The debt (-tokens_) is repaid at qps_ tokens per second; earlier reservations come first, so
  // waiters are served in arrival order.
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
      std::chrono::duration<double>(-tokens_ / qps_));
}

void RateLimiter::Wait() {
  const auto delay = Reserve(std::chrono::steady_clock::now());
  if (delay > std::chrono::nanoseconds(0)) std::this_thread::sleep_for(delay);
}

}  // namespace joinery::kube
