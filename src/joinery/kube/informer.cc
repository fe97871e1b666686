#include "joinery/kube/informer.h"

#include <algorithm>
#include <chrono>
#include <random>
#include <utility>

#include "joinery/common/log.h"
#include "joinery/common/strings.h"

namespace joinery::kube {
namespace {

std::string RvOf(const Json& obj) {
  if (!obj.is_object() || !obj.contains("metadata") || !obj["metadata"].is_object()) return "";
  return obj["metadata"].value("resourceVersion", "");
}

std::chrono::nanoseconds ToChrono(absl::Duration d) {
  return std::chrono::nanoseconds(absl::ToInt64Nanoseconds(d));
}

}  // namespace

Informer::Informer(Client& client, Resource resource, InformerOptions options)
    : client_(client), resource_(std::move(resource)), options_(std::move(options)) {
  seed_ = options_.seed != 0 ? options_.seed : std::random_device()();
}

Informer::~Informer() { Stop(); }

void Informer::AddEventHandler(EventHandlers handlers) { handlers_.push_back(std::move(handlers)); }

void Informer::Start() {
  if (started_) return;
  started_ = true;
  dispatcher_ = std::thread([this] { RunDispatcher(); });
  reflector_ = std::thread([this] { RunReflector(); });
}

void Informer::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
    if (current_stream_ != nullptr) current_stream_->Cancel();
    cv_.notify_all();
  }
  if (reflector_.joinable()) reflector_.join();
  if (dispatcher_.joinable()) dispatcher_.join();
}

bool Informer::HasSynced() const {
  std::lock_guard lock(mu_);
  return synced_;
}

bool Informer::WaitForSync(absl::Duration timeout) const {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, ToChrono(timeout), [this] { return synced_ || stopping_; });
  return synced_;
}

std::string Informer::KeyOf(const Json& obj) {
  if (!obj.is_object() || !obj.contains("metadata")) return "";
  const Json& m = obj["metadata"];
  std::string ns = m.value("namespace", "");
  std::string name = m.value("name", "");
  return ns.empty() ? name : StrCat(ns, "/", name);
}

ObjectPtr Informer::Get(std::string_view key) const {
  std::lock_guard lock(mu_);
  auto it = cache_.find(std::string(key));
  return it == cache_.end() ? nullptr : it->second;
}

std::vector<ObjectPtr> Informer::List() const {
  std::lock_guard lock(mu_);
  std::vector<ObjectPtr> out;
  out.reserve(cache_.size());
  for (const auto& [key, obj] : cache_) out.push_back(obj);
  return out;
}

std::string Informer::LastSyncResourceVersion() const {
  std::lock_guard lock(mu_);
  return last_rv_;
}

int Informer::ListCount() const {
  std::lock_guard lock(mu_);
  return list_count_;
}

Json Informer::Normalize(Json obj) const {
  if (obj.is_object()) {
    if (!obj.contains("apiVersion")) obj["apiVersion"] = resource_.ApiVersion();
    if (!obj.contains("kind")) obj["kind"] = resource_.kind;
    // managedFields is often the largest part of an object and nothing here reads it
    // (client-go's TransformStripManagedFields).
    if (options_.strip_managed_fields && obj.contains("metadata") && obj["metadata"].is_object()) {
      obj["metadata"].erase("managedFields");
    }
  }
  return obj;
}

bool Informer::SleepFor(absl::Duration d) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, ToChrono(d), [this] { return stopping_; });
  return !stopping_;
}

void Informer::Enqueue(std::vector<Notification> n) {
  // Requires mu_ held by the caller.
  for (Notification& x : n) queue_.push_back(std::move(x));
  cv_.notify_all();
}

bool Informer::ListAndReplace() {
  absl::Duration backoff = options_.initial_backoff;
  while (true) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return false;
    }
    ListOptions lo;
    lo.label_selector = options_.label_selector;
    lo.field_selector = options_.field_selector;
    lo.limit = options_.page_size;
    absl::StatusOr<Json> list = client_.List(resource_, options_.ns, lo);
    if (!list.ok()) {
      log::Warn("informer", "list failed; retrying",
                {{"resource", resource_.resource},
                 {"error", std::string(list.status().message())},
                 {"retry-in", absl::FormatDuration(backoff)}});
      if (!SleepFor(backoff)) return false;
      backoff = std::min(backoff * 2, options_.max_backoff);
      continue;
    }
    std::map<std::string, ObjectPtr> fresh;
    if (list->contains("items") && (*list)["items"].is_array()) {
      for (Json& item : (*list)["items"]) {
        std::string key = KeyOf(item);
        fresh[key] = std::make_shared<const Json>(Normalize(std::move(item)));
      }
    }
    std::string rv = list->contains("metadata") ? (*list)["metadata"].value("resourceVersion", "")
                                                : "";
    std::lock_guard lock(mu_);
    std::vector<Notification> notes;
    for (const auto& [key, obj] : fresh) {
      auto it = cache_.find(key);
      if (it == cache_.end()) {
        notes.push_back({Notification::kAdd, nullptr, obj});
      } else if (RvOf(*it->second) != RvOf(*obj)) {
        notes.push_back({Notification::kUpdate, it->second, obj});
      }
    }
    for (const auto& [key, obj] : cache_) {
      if (!fresh.contains(key)) notes.push_back({Notification::kDelete, nullptr, obj});
    }
    cache_ = std::move(fresh);
    last_rv_ = rv;
    ++list_count_;
    synced_ = true;
    Enqueue(std::move(notes));
    return true;
  }
}

void Informer::ApplyEvent(const WatchEvent& event, bool* gone) {
  if (event.type == WatchEventType::kError) {
    int code = event.object.is_object() ? event.object.value("code", 0) : 0;
    if (code == 410) {
      *gone = true;
    } else {
      log::Warn("informer", "watch error event",
                {{"resource", resource_.resource}, {"event", event.object}});
    }
    return;
  }
  std::string rv = RvOf(event.object);
  std::lock_guard lock(mu_);
  if (!rv.empty()) last_rv_ = rv;
  if (event.type == WatchEventType::kBookmark) return;
  std::string key = KeyOf(event.object);
  auto obj = std::make_shared<const Json>(Normalize(event.object));
  auto it = cache_.find(key);
  std::vector<Notification> notes;
  switch (event.type) {
    case WatchEventType::kAdded:
    case WatchEventType::kModified:
      if (it == cache_.end()) {
        cache_[key] = obj;
        notes.push_back({Notification::kAdd, nullptr, obj});
      } else {
        notes.push_back({Notification::kUpdate, it->second, obj});
        it->second = obj;
      }
      break;
    case WatchEventType::kDeleted:
      if (it != cache_.end()) {
        cache_.erase(it);
        notes.push_back({Notification::kDelete, nullptr, obj});
      }
      break;
    default:
      break;
  }
  Enqueue(std::move(notes));
}

absl::Status Informer::WatchOnce(bool* gone, bool* progress) {
  std::mt19937_64 rng(seed_);
  seed_ = rng();
  int64_t min_s = absl::ToInt64Seconds(options_.min_watch_timeout);
  int64_t max_s = std::max(min_s, absl::ToInt64Seconds(options_.max_watch_timeout));
  ListOptions lo;
  lo.label_selector = options_.label_selector;
  lo.field_selector = options_.field_selector;
  lo.allow_watch_bookmarks = true;
  lo.timeout_seconds = std::uniform_int_distribution<int64_t>(min_s, max_s)(rng);
  {
    std::lock_guard lock(mu_);
    lo.resource_version = last_rv_;
  }
  absl::StatusOr<std::unique_ptr<WatchStream>> stream = client_.Watch(resource_, options_.ns, lo);
  if (!stream.ok()) {
    if (IsGone(stream.status())) *gone = true;
    return stream.status();
  }
  {
    std::lock_guard lock(mu_);
    if (stopping_) return absl::OkStatus();
    current_stream_ = stream->get();
  }
  absl::Status result;
  while (true) {
    absl::StatusOr<std::optional<WatchEvent>> event = (*stream)->Next();
    if (!event.ok()) {
      result = event.status();
      break;
    }
    if (!event->has_value()) break;
    ApplyEvent(**event, gone);
    if (*gone) break;
    if ((*event)->type != WatchEventType::kError) *progress = true;
  }
  std::lock_guard lock(mu_);
  current_stream_ = nullptr;
  return result;
}

void Informer::RunReflector() {
  if (!ListAndReplace()) return;
  absl::Duration backoff = options_.initial_backoff;
  while (true) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
    }
    bool gone = false;
    bool progress = false;
    absl::Status s = WatchOnce(&gone, &progress);
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
    }
    if (gone) {
      if (!ListAndReplace()) return;
      backoff = options_.initial_backoff;
      continue;
    }
    if (progress) backoff = options_.initial_backoff;
    if (s.ok() && progress) continue;  // a normal end of a useful stream: rewatch at once
    if (!s.ok()) {
      log::Warn("informer", "watch failed; retrying",
                {{"resource", resource_.resource},
                 {"error", std::string(s.message())},
                 {"retry-in", absl::FormatDuration(backoff)}});
    }
    if (!SleepFor(backoff)) return;
    backoff = std::min(backoff * 2, options_.max_backoff);
  }
}

void Informer::RunDispatcher() {
  absl::Duration resync = options_.resync_period;
  auto next_resync = std::chrono::steady_clock::now() + ToChrono(resync);
  std::unique_lock lock(mu_);
  while (true) {
    if (stopping_) return;
    if (queue_.empty()) {
      if (resync > absl::ZeroDuration()) {
        cv_.wait_until(lock, next_resync, [this] { return stopping_ || !queue_.empty(); });
        if (!stopping_ && queue_.empty() && std::chrono::steady_clock::now() >= next_resync) {
          next_resync = std::chrono::steady_clock::now() + ToChrono(resync);
          if (synced_) {
            for (const auto& [key, obj] : cache_) queue_.push_back({Notification::kUpdate, obj, obj});
          }
        }
      } else {
        cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      }
      continue;
    }
    Notification n = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    for (const EventHandlers& h : handlers_) {
      switch (n.kind) {
        case Notification::kAdd:
          if (h.on_add) h.on_add(n.obj);
          break;
        case Notification::kUpdate:
          if (h.on_update) h.on_update(n.old_obj, n.obj);
          break;
        case Notification::kDelete:
          if (h.on_delete) h.on_delete(n.obj);
          break;
      }
    }
    lock.lock();
  }
}

}  // namespace joinery::kube
