// A deduplicating work queue with delayed and rate-limited adds, as client-go's workqueue.
//
// A key is in the queue at most once; a key added while a worker processes it is queued again
// after Done(), so the same key is never processed by two workers at once. AddAfter() delays an
// add; AddRateLimited() delays by the key's exponential backoff (base .. cap, doubling per failure
// since the last Forget()). Thread-safe: every method may be called from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <deque>

namespace joinery::controllers {

class WorkQueue {
 public:
  using Clock = std::chrono::steady_clock;

  explicit WorkQueue(std::chrono::milliseconds backoff_base = std::chrono::milliseconds(5),
                     std::chrono::milliseconds backoff_cap = std::chrono::seconds(1000));
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  void Add(const std::string& key);
  void AddAfter(const std::string& key, std::chrono::milliseconds delay);
  void AddRateLimited(const std::string& key);
  // Resets the key's failure count (after a successful reconcile).
  void Forget(const std::string& key);
  // Blocks until a key is ready; nullopt after ShutDown(). The caller must call Done(key).
  std::optional<std::string> Get();
  void Done(const std::string& key);
  void ShutDown();
  size_t Len() const;
  int Failures(const std::string& key) const;

 private:
  void AddLocked(const std::string& key);
  void PromoteDueLocked(Clock::time_point now);

  const std::chrono::milliseconds base_, cap_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> queue_;
  std::set<std::string> dirty_;       // queued (or to be re-queued after Done)
  std::set<std::string> processing_;  // handed to a worker
  std::multimap<Clock::time_point, std::string> delayed_;
  std::map<std::string, int> failures_;
  bool shutting_down_ = false;
};

}  // namespace joinery::controllers
