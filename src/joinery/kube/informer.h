// Informer: keeps a local, eventually consistent cache of one kind of object (optionally one
// namespace and label/field selectors) by list+watch, and tells registered handlers what changed.
// The same contract as client-go's SharedIndexInformer, minus indexers:
//   - initial List (paged) → cache replaced; on every relist the difference with the previous cache
//     is delivered as add/update/delete;
//   - Watch from the list's resourceVersion (bookmarks on, server timeout randomized in 5..10 min);
//   - stream closed or transport error → rewatch from the last seen resourceVersion, with backoff
//     200 ms doubling to 30 s (reset once a watch delivers an event);
//   - 410 Gone (Watch() returning IsGone(), or an ERROR event with code 410) → relist;
//   - optional resync: every resync_period, on_update(obj, obj) for every cached object.
// Cached objects are immutable snapshots (shared_ptr<const Json>); list items get apiVersion/kind
// filled in (the API server omits them for built-in types) so cached objects always carry them.
//
// Thread-safety: AddEventHandler() before Start() only. Start()/Stop() from one owning thread.
// HasSynced/WaitForSync/Get/List/LastSyncResourceVersion from any thread. Handlers run on the
// informer's dispatch thread, one at a time, in event order; the cache already reflects an event
// when its handler runs. A handler must not call Stop() (it would deadlock) and should be quick
// (enqueue a key); a slow handler delays later notifications but never the watch itself.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/time/time.h"
#include "joinery/kube/client.h"

namespace joinery::kube {

using ObjectPtr = std::shared_ptr<const Json>;

struct InformerOptions {
  std::string ns;              // "" = all namespaces (or a cluster-scoped resource)
  std::string label_selector;  // as in ListOptions
  std::string field_selector;
  absl::Duration resync_period = absl::ZeroDuration();  // zero = no resync
  int64_t page_size = 500;
  absl::Duration min_watch_timeout = absl::Minutes(5);  // the server-side timeout is random in
  absl::Duration max_watch_timeout = absl::Minutes(10);  // [min, max]
  absl::Duration initial_backoff = absl::Milliseconds(200);
  absl::Duration max_backoff = absl::Seconds(30);
  uint64_t seed = 0;  // for the watch-timeout jitter; 0 = random
  // Drop metadata.managedFields from cached objects (and from what handlers see): it is often most
  // of an object's size and only server-side apply reads it.
  bool strip_managed_fields = true;
};

struct EventHandlers {
  std::function<void(const ObjectPtr& obj)> on_add;
  std::function<void(const ObjectPtr& old_obj, const ObjectPtr& new_obj)> on_update;
  // For a deletion seen in a watch: the object as deleted. For a deletion found on relist: the
  // last cached state (client-go's DeletedFinalStateUnknown, unwrapped).
  std::function<void(const ObjectPtr& obj)> on_delete;
};

class Informer {
 public:
  // `client` must outlive the informer.
  Informer(Client& client, Resource resource, InformerOptions options = {});
  ~Informer();  // Stop()
  Informer(const Informer&) = delete;
  Informer& operator=(const Informer&) = delete;

  // Before Start(). Handlers are called in registration order for each notification. Missing
  // callbacks (empty std::function) are skipped.
  void AddEventHandler(EventHandlers handlers);

  // Starts the list/watch and dispatch threads. Call once.
  void Start();
  // Cancels the watch, joins both threads. Idempotent. After Stop() the cache keeps its last state.
  void Stop();

  // True once the first List has been stored in the cache (the adds for it may still be being
  // dispatched to handlers).
  bool HasSynced() const;
  // Waits until HasSynced() or `timeout` passes (or Stop()); returns HasSynced().
  bool WaitForSync(absl::Duration timeout) const;

  // "namespace/name" for namespaced objects, "name" for cluster-scoped ones.
  static std::string KeyOf(const Json& obj);
  // The cached object, or nullptr.
  ObjectPtr Get(std::string_view key) const;
  // A snapshot of every cached object, sorted by key.
  std::vector<ObjectPtr> List() const;
  // The resourceVersion of the last list or watch event applied ("" before the first list).
  std::string LastSyncResourceVersion() const;
  // How many times the informer has listed (1 after the first sync; more after 410s). For tests.
  int ListCount() const;

  const Resource& resource() const { return resource_; }

 private:
  struct Notification {
    enum Kind { kAdd, kUpdate, kDelete } kind;
    ObjectPtr old_obj;
    ObjectPtr obj;
  };

  void RunReflector();
  void RunDispatcher();
  // Lists and replaces the cache; returns false when stopping.
  bool ListAndReplace();
  // Watches until the stream ends; sets *gone when a relist is needed, *progress when it delivered
  // an event.
  absl::Status WatchOnce(bool* gone, bool* progress);
  void ApplyEvent(const WatchEvent& event, bool* gone);
  // Sleeps up to `d` unless stopping; returns false when stopping.
  bool SleepFor(absl::Duration d);
  void Enqueue(std::vector<Notification> n);
  Json Normalize(Json obj) const;

  Client& client_;
  const Resource resource_;
  const InformerOptions options_;
  std::vector<EventHandlers> handlers_;

  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::map<std::string, ObjectPtr> cache_;  // guarded by mu_
  std::string last_rv_;                     // guarded by mu_
  bool synced_ = false;                     // guarded by mu_
  bool stopping_ = false;                   // guarded by mu_
  int list_count_ = 0;                      // guarded by mu_
  WatchStream* current_stream_ = nullptr;   // guarded by mu_; cancelled by Stop()
  std::deque<Notification> queue_;          // guarded by mu_

  bool started_ = false;
  std::thread reflector_;
  std::thread dispatcher_;
  uint64_t seed_;
};

}  // namespace joinery::kube
