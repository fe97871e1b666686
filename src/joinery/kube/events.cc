#include "joinery/kube/events.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "joinery/common/log.h"
#include "joinery/common/strings.h"
#include "joinery/kube/fenced_client.h"

namespace joinery::kube {
namespace {

std::string Hostname() {
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) != 0) return "";
  return host;
}

std::string ObjectKey(const ObjectRef& o) {
  return StrCat(o.api_version, "|", o.kind, "|", o.ns, "|", o.name, "|", o.uid);
}

std::string Hex(int64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%llx", static_cast<unsigned long long>(v));
  return buf;
}

}  // namespace

ObjectRef ObjectRef::FromJson(const Json& obj) {
  ObjectRef r;
  if (!obj.is_object()) return r;
  r.kind = obj.value("kind", "");
  r.api_version = obj.value("apiVersion", "");
  if (obj.contains("metadata") && obj["metadata"].is_object()) {
    const Json& m = obj["metadata"];
    r.ns = m.value("namespace", "");
    r.name = m.value("name", "");
    r.uid = m.value("uid", "");
    r.resource_version = m.value("resourceVersion", "");
  }
  return r;
}

std::string_view EventTypeName(EventType type) {
  return type == EventType::kWarning ? "Warning" : "Normal";
}

ApiEventRecorder::ApiEventRecorder(Client& client, EventRecorderOptions options, Clock& clock)
    : client_(client), options_(std::move(options)), clock_(clock) {
  host_ = options_.reporting_instance.empty() ? Hostname() : options_.reporting_instance;
  thread_ = std::thread([this] { Run(); });
}

ApiEventRecorder::~ApiEventRecorder() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    cv_.notify_all();
  }
  thread_.join();
}

void ApiEventRecorder::Publish(const ObjectRef& obj, EventType type, std::string_view reason,
                               std::string_view message) {
  absl::Time now = clock_.Now();
  std::lock_guard lock(mu_);
  if (options_.suppress_window > absl::ZeroDuration()) {
    std::string key = StrCat(ObjectKey(obj), "\x1f", EventTypeName(type), "\x1f", reason, "\x1f",
                             message);
    auto [last, fresh] = last_published_.try_emplace(key, now);
    if (!fresh) {
      if (now - last->second < options_.suppress_window) {
        ++suppressed_;
        return;
      }
      last->second = now;
    }
    if (last_published_.size() > 50'000) {  // forget what can no longer suppress anything
      std::erase_if(last_published_, [&](const auto& e) {
        return now - e.second >= options_.suppress_window;
      });
    }
  }
  // Token bucket per involved object (client-go's EventSourceObjectSpamFilter).
  auto [it, inserted] =
      buckets_.try_emplace(ObjectKey(obj), Bucket{static_cast<double>(options_.burst), now});
  Bucket& b = it->second;
  if (options_.refill_interval > absl::ZeroDuration() && now > b.last) {
    b.tokens = std::min<double>(options_.burst,
                                b.tokens + absl::FDivDuration(now - b.last, options_.refill_interval));
  }
  b.last = std::max(b.last, now);
  if (b.tokens < 1.0) {
    ++rate_limited_;
    return;
  }
  if (queue_.size() >= options_.queue_capacity) {
    ++dropped_;
    return;
  }
  b.tokens -= 1.0;
  queue_.push_back(Pending{obj, type, std::string(reason), std::string(message), now});
  cv_.notify_all();
}

void ApiEventRecorder::Flush() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [this] { return queue_.empty() && in_flight_ == 0; });
}

int64_t ApiEventRecorder::Dropped() const {
  std::lock_guard lock(mu_);
  return dropped_;
}
int64_t ApiEventRecorder::Suppressed() const {
  std::lock_guard lock(mu_);
  return suppressed_;
}
int64_t ApiEventRecorder::RateLimited() const {
  std::lock_guard lock(mu_);
  return rate_limited_;
}
int64_t ApiEventRecorder::Failed() const {
  std::lock_guard lock(mu_);
  return failed_;
}
int64_t ApiEventRecorder::Written() const {
  std::lock_guard lock(mu_);
  return written_;
}

void ApiEventRecorder::Run() {
  std::unique_lock lock(mu_);
  while (true) {
    cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) {
      if (stopping_) return;
      continue;
    }
    Pending p = std::move(queue_.front());
    queue_.pop_front();
    ++in_flight_;
    lock.unlock();
    Write(p);
    lock.lock();
    --in_flight_;
    cv_.notify_all();
  }
}

void ApiEventRecorder::Write(const Pending& p) {
  const std::string ns = p.obj.ns.empty() ? "default" : p.obj.ns;
  const std::string ts = FormatRfc3339(p.time);
  const std::string key = StrCat(ObjectKey(p.obj), "|", EventTypeName(p.type), "|", p.reason, "|",
                                 p.message);
  // Forget series whose window has passed (bounded memory).
  for (auto it = series_.begin(); it != series_.end();) {
    it = p.time - it->second.last > options_.dedup_window ? series_.erase(it) : std::next(it);
  }
  absl::Status result;
  if (auto it = series_.find(key); it != series_.end()) {
    Series& s = it->second;
    Json patch = {{"count", s.count + 1}, {"lastTimestamp", ts}};
    absl::StatusOr<Json> patched =
        client_.Patch(resources::Events(), s.ns, s.name, PatchType::kMerge, patch);
    if (patched.ok()) {
      ++s.count;
      s.last = p.time;
      std::lock_guard lock(mu_);
      ++written_;
      return;
    }
    const std::string name = s.name;
    series_.erase(it);
    if (!IsNotFound(patched.status())) {
      std::lock_guard lock(mu_);
      ++failed_;
      // Refused because this replica no longer leads: expected while it shuts down, not news.
      if (IsNotLeader(patched.status())) return;
      log::Warn("events", "updating an event failed",
                {{"namespace", ns}, {"name", name},
                 {"error", std::string(patched.status().message())}});
      return;
    }
    // The Event expired (the API server keeps them for an hour): create a new one.
  }
  // client-go names events "<object>.<unix nanos in hex>"; keep the names unique even when the
  // clock stands still (a fake clock, or two events in the same nanosecond).
  int64_t nanos = std::max(absl::ToUnixNanos(p.time), last_name_nanos_ + 1);
  last_name_nanos_ = nanos;
  Json involved = {{"kind", p.obj.kind},
                   {"apiVersion", p.obj.api_version},
                   {"name", p.obj.name},
                   {"uid", p.obj.uid},
                   {"resourceVersion", p.obj.resource_version}};
  if (!p.obj.ns.empty()) involved["namespace"] = p.obj.ns;
  Json source = {{"component", options_.component}};
  if (!host_.empty()) source["host"] = host_;
  Json event = {{"apiVersion", "v1"},
                {"kind", "Event"},
                {"metadata", {{"name", StrCat(p.obj.name, ".", Hex(nanos))}, {"namespace", ns}}},
                {"involvedObject", involved},
                {"reason", p.reason},
                {"message", p.message},
                {"type", EventTypeName(p.type)},
                {"source", source},
                {"firstTimestamp", ts},
                {"lastTimestamp", ts},
                {"count", 1},
                {"reportingComponent", options_.component},
                {"reportingInstance", host_}};
  absl::StatusOr<Json> created = client_.Create(resources::Events(), ns, event);
  std::lock_guard lock(mu_);
  if (!created.ok() && IsNotLeader(created.status())) {
    ++failed_;  // refused because this replica no longer leads: expected while it shuts down
    return;
  }
  if (!created.ok()) {
    ++failed_;
    // During an API server outage every event fails the same way: one line per 10 s, with a count.
    const absl::Time now = absl::Now();
    if (now - last_failure_log_ >= absl::Seconds(10)) {
      log::Warn("events", "creating an event failed",
                {{"namespace", ns},
                 {"error", std::string(created.status().message())},
                 {"failures-since-last-report", failed_ - failed_reported_}});
      last_failure_log_ = now;
      failed_reported_ = failed_;
    }
    return;
  }
  ++written_;
  series_[key] = Series{ns, (*created)["metadata"].value("name", ""), 1, ts, p.time};
}

void RecordingEventSink::Publish(const ObjectRef& obj, EventType type, std::string_view reason,
                                 std::string_view message) {
  std::lock_guard lock(mu_);
  events_.push_back(Event{obj, type, std::string(reason), std::string(message)});
}

std::vector<RecordingEventSink::Event> RecordingEventSink::Events() const {
  std::lock_guard lock(mu_);
  return events_;
}

std::vector<RecordingEventSink::Event> RecordingEventSink::EventsWithReason(
    std::string_view reason) const {
  std::lock_guard lock(mu_);
  std::vector<Event> out;
  for (const Event& e : events_) {
    if (reason.empty() || e.reason == reason) out.push_back(e);
  }
  return out;
}

void RecordingEventSink::Clear() {
  std::lock_guard lock(mu_);
  events_.clear();
}

}  // namespace joinery::kube
