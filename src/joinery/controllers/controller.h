// Drives a Reconciler from a WorkQueue with worker threads (controller-runtime's shape).
//
// Events (from informers, wired by the operator) call Enqueue(key). A worker takes the key, calls
// Reconcile(key), and then: on error, logs it, counts it and re-queues the key with exponential
// backoff; on success, forgets the backoff and re-queues after Result::requeue_after if set.
// Thread-safety: Enqueue* may be called from any thread; Start/Stop from the owner's thread.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/time.h"
#include "joinery/controllers/reconciler.h"
#include "joinery/controllers/workqueue.h"

namespace joinery::controllers {

class Controller {
 public:
  // `on_error` (optional) is told about every failed reconcile, e.g. to count it in metrics.
  Controller(std::unique_ptr<Reconciler> reconciler, int workers,
             std::function<void(std::string_view controller, const absl::Status&)> on_error = {});
  ~Controller();
  Controller(const Controller&) = delete;
  Controller& operator=(const Controller&) = delete;

  std::string_view Name() const { return reconciler_->Name(); }
  Reconciler& reconciler() { return *reconciler_; }
  void Enqueue(const std::string& key) { queue_.Add(key); }
  void EnqueueAfter(const std::string& key, absl::Duration d);
  void Start();
  // Stops taking keys and joins the workers (a reconcile in progress finishes first).
  void Stop();

 private:
  void Work();

  std::unique_ptr<Reconciler> reconciler_;
  int workers_;
  std::function<void(std::string_view, const absl::Status&)> on_error_;
  WorkQueue queue_;
  std::vector<std::thread> threads_;
};

}  // namespace joinery::controllers
