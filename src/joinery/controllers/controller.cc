#include "joinery/controllers/controller.h"

#include "joinery/common/log.h"

namespace joinery::controllers {

Controller::Controller(std::unique_ptr<Reconciler> reconciler, int workers,
                       std::function<void(std::string_view, const absl::Status&)> on_error)
    : reconciler_(std::move(reconciler)), workers_(workers), on_error_(std::move(on_error)) {}

Controller::~Controller() { Stop(); }

void Controller::EnqueueAfter(const std::string& key, absl::Duration d) {
  queue_.AddAfter(key, std::chrono::milliseconds(absl::ToInt64Milliseconds(d)));
}

void Controller::Start() {
  for (int i = 0; i < workers_; ++i) threads_.emplace_back([this] { Work(); });
}

void Controller::Stop() {
  queue_.ShutDown();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

void Controller::Work() {
  while (auto key = queue_.Get()) {
    absl::StatusOr<Result> result = reconciler_->Reconcile(*key);
    if (!result.ok()) {
      log::Error("controller", "reconciler error",
                 {{"controller", std::string(Name())}, {"key", *key},
                  {"error", std::string(result.status().message())}});
      if (on_error_) on_error_(Name(), result.status());
      queue_.Done(*key);
      queue_.AddRateLimited(*key);
      continue;
    }
    queue_.Forget(*key);
    queue_.Done(*key);
    if (result->requeue_after.has_value()) EnqueueAfter(*key, *result->requeue_after);
  }
}

}  // namespace joinery::controllers
