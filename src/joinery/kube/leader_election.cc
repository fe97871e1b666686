#include "joinery/kube/leader_election.h"

#include <unistd.h>

#include <chrono>
#include <random>

#include "joinery/common/log.h"
#include "joinery/common/strings.h"

namespace joinery::kube {
namespace {

constexpr char kLogger[] = "leader-election";

std::string DefaultIdentity() {
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) != 0) host[0] = '\0';
  std::random_device rd;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string suffix;
  for (int i = 0; i < 16; ++i) suffix.push_back(kHex[rd() % 16]);
  return StrCat(host[0] ? host : "joinery", "_", suffix);
}

std::chrono::nanoseconds ToChrono(absl::Duration d) {
  return std::chrono::nanoseconds(absl::ToInt64Nanoseconds(d));
}

}  // namespace

std::string LeaderElector::FormatMicroTime(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", t, absl::UTCTimeZone());
}

LeaderElector::LeaderElector(Client& client, LeaderElectionConfig config, Clock& clock)
    : client_(client), config_(std::move(config)), clock_(clock) {
  if (config_.identity.empty()) config_.identity = DefaultIdentity();
}

LeaderElector::~LeaderElector() { Stop(); }

LeaderElector::Record LeaderElector::RecordFromLease(const Json& lease) {
  Record r;
  if (!lease.contains("spec") || !lease["spec"].is_object()) return r;
  const Json& s = lease["spec"];
  auto str = [&](const char* k) {
    return s.contains(k) && s[k].is_string() ? s[k].get<std::string>() : std::string();
  };
  auto num = [&](const char* k) {
    return s.contains(k) && s[k].is_number_integer() ? s[k].get<int64_t>() : int64_t{0};
  };
  r.holder = str("holderIdentity");
  r.lease_duration_seconds = num("leaseDurationSeconds");
  r.acquire_time = str("acquireTime");
  r.renew_time = str("renewTime");
  r.transitions = num("leaseTransitions");
  return r;
}

void LeaderElector::RecordToLease(const Record& r, Json& lease) {
  Json& s = lease["spec"];
  s["holderIdentity"] = r.holder;
  s["leaseDurationSeconds"] = r.lease_duration_seconds;
  s["acquireTime"] = r.acquire_time;
  s["renewTime"] = r.renew_time;
  s["leaseTransitions"] = r.transitions;
}

bool LeaderElector::TryAcquireOrRenew() {
  const absl::Time now = clock_.Now();
  const std::string now_s = FormatMicroTime(now);
  Record desired;
  desired.holder = config_.identity;
  desired.lease_duration_seconds = absl::ToInt64Seconds(config_.lease_duration);
  desired.acquire_time = now_s;
  desired.renew_time = now_s;

  absl::StatusOr<Json> lease =
      client_.Get(resources::Leases(), config_.lease_namespace, config_.lease_name);
  if (!lease.ok()) {
    if (!IsNotFound(lease.status())) {
      log::Warn(kLogger, "getting the lease failed",
                {{"identity", config_.identity}, {"error", std::string(lease.status().message())}});
      return false;
    }
    Json obj = {{"apiVersion", "coordination.k8s.io/v1"},
                {"kind", "Lease"},
                {"metadata", {{"name", config_.lease_name}, {"namespace", config_.lease_namespace}}}};
    RecordToLease(desired, obj);
    absl::StatusOr<Json> created = client_.Create(resources::Leases(), config_.lease_namespace, obj);
    if (!created.ok()) return false;  // AlreadyExists: somebody else was faster
    std::lock_guard lock(mu_);
    observed_ = desired;
    observed_time_ = now;
    return true;
  }

  Record old = RecordFromLease(*lease);
  {
    std::lock_guard lock(mu_);
    if (!(old == observed_)) {
      observed_ = old;
      observed_time_ = now;
    }
    if (!old.holder.empty() && old.holder != config_.identity &&
        observed_time_ + absl::Seconds(old.lease_duration_seconds) > now) {
      return false;  // held by another and not expired
    }
  }
  if (old.holder == config_.identity) {
    desired.acquire_time = old.acquire_time;
    desired.transitions = old.transitions;
  } else {
    desired.transitions = old.transitions + 1;
  }
  Json updated = *lease;
  RecordToLease(desired, updated);  // keeps metadata.resourceVersion: a compare-and-swap
  absl::StatusOr<Json> stored =
      client_.Update(resources::Leases(), config_.lease_namespace, updated);
  if (!stored.ok()) {
    if (!IsConflict(stored.status())) {
      log::Warn(kLogger, "updating the lease failed",
                {{"identity", config_.identity}, {"error", std::string(stored.status().message())}});
    }
    return false;
  }
  std::lock_guard lock(mu_);
  observed_ = desired;
  observed_time_ = now;
  return true;
}

absl::Status LeaderElector::Release() {
  absl::StatusOr<Json> lease =
      client_.Get(resources::Leases(), config_.lease_namespace, config_.lease_name);
  if (!lease.ok()) return IsNotFound(lease.status()) ? absl::OkStatus() : lease.status();
  Record old = RecordFromLease(*lease);
  if (old.holder != config_.identity) return absl::OkStatus();
  const std::string now_s = FormatMicroTime(clock_.Now());
  Record released;
  released.holder = "";
  released.lease_duration_seconds = 1;
  released.acquire_time = now_s;
  released.renew_time = now_s;
  released.transitions = old.transitions;
  Json updated = *lease;
  RecordToLease(released, updated);
  absl::StatusOr<Json> stored =
      client_.Update(resources::Leases(), config_.lease_namespace, updated);
  if (!stored.ok()) return stored.status();
  std::lock_guard lock(mu_);
  observed_ = released;
  observed_time_ = clock_.Now();
  return absl::OkStatus();
}

bool LeaderElector::IsLeader() const {
  std::lock_guard lock(mu_);
  return leader_;
}

bool LeaderElector::HoldsLease() const {
  std::lock_guard lock(mu_);
  return leader_ && !stopping_ && clock_.Now() - renewed_at_ < config_.renew_deadline;
}

bool LeaderElector::StoppedByRequest() const {
  std::lock_guard lock(mu_);
  return stopping_;
}

std::string LeaderElector::ObservedHolder() const {
  std::lock_guard lock(mu_);
  return observed_.holder;
}

void LeaderElector::Run(std::function<void()> on_started_leading,
                        std::function<void()> on_stopped_leading) {
  if (thread_.joinable()) return;
  on_started_ = std::move(on_started_leading);
  on_stopped_ = std::move(on_stopped_leading);
  thread_ = std::thread([this] { Loop(); });
}

void LeaderElector::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
    cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

void LeaderElector::SetLeader(bool leader) {
  {
    std::lock_guard lock(mu_);
    if (leader_ == leader) return;
    leader_ = leader;
  }
  if (leader && on_started_) on_started_();
  if (!leader && on_stopped_) on_stopped_();
}

bool LeaderElector::Wait(absl::Duration d) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, ToChrono(d), [this] { return stopping_; });
  return !stopping_;
}

void LeaderElector::Loop() {
  std::mt19937_64 rng(std::random_device{}());
  std::uniform_real_distribution<double> jitter(1.0, 1.2);  // client-go's JitterUntil(…, 1.2)
  while (true) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) break;
    }
    bool leading = IsLeader();
    const absl::Time attempt = clock_.Now();
    if (TryAcquireOrRenew()) {
      {
        std::lock_guard lock(mu_);
        renewed_at_ = attempt;
      }
      SetLeader(true);
    } else if (leading) {
      // Lost the lease to another holder, or failed to renew for too long.
      bool taken = !ObservedHolder().empty() && ObservedHolder() != config_.identity;
      absl::Time renewed;
      {
        std::lock_guard lock(mu_);
        renewed = renewed_at_;
      }
      if (taken || clock_.Now() - renewed >= config_.renew_deadline) {
        log::Error(kLogger, "lost the lease",
                   {{"identity", config_.identity},
                    {"reason", taken ? StrCat("taken by ", ObservedHolder())
                                     : StrCat("not renewed for ",
                                              absl::FormatDuration(config_.renew_deadline))}});
        SetLeader(false);
      }
    }
    absl::Duration period = IsLeader() ? config_.retry_period : config_.retry_period * jitter(rng);
    if (IsLeader()) {
      // Wake up in time to notice the renew deadline even if the next attempt is slow to start.
      std::lock_guard lock(mu_);
      period = std::min(period, std::max(absl::ZeroDuration(),
                                         renewed_at_ + config_.renew_deadline - clock_.Now()));
    }
    if (!Wait(period)) break;
  }
  if (IsLeader()) {
    if (config_.release_on_cancel) {
      absl::Status s = Release();
      if (!s.ok()) {
        log::Warn(kLogger, "releasing the lease failed",
                  {{"identity", config_.identity}, {"error", std::string(s.message())}});
      }
    }
    SetLeader(false);
  }
}

}  // namespace joinery::kube
