// Kubernetes Events: how controllers tell users what they did ("Launched NodeClaim", "Disrupting
// Node: Underutilized"). Controllers depend on the EventSink interface only:
//   - ApiEventRecorder writes core/v1 Events through a Client, asynchronously, with client-go's
//     behaviour: events go to the object's namespace ("default" for cluster-scoped objects, where
//     `kubectl describe` looks for them); the same (object, type, reason, message) again within
//     10 minutes PATCHes count+1 and lastTimestamp onto the existing Event instead of creating
//     another; a per-object token bucket (burst 25, one token per 5 minutes, as client-go's spam
//     filter) drops floods; a bounded queue drops (and counts) events when the API server is slow,
//     so Publish() never blocks a controller.
//   - RecordingEventSink keeps events in memory for unit tests.
//
// Thread-safety: Publish() may be called from any thread on both implementations; so may the
// accessors. ApiEventRecorder's writes happen on its own thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/time/time.h"
#include "joinery/common/clock.h"
#include "joinery/kube/client.h"

namespace joinery::kube {

// The involved object of an Event.
struct ObjectRef {
  std::string kind;         // "NodeClaim"
  std::string api_version;  // "karpenter.sh/v1"
  std::string ns;           // "" for cluster-scoped objects
  std::string name;
  std::string uid;
  std::string resource_version;

  // From an object as served by the API server (apiVersion, kind, metadata.{namespace, name, uid,
  // resourceVersion}). Missing fields are left empty.
  static ObjectRef FromJson(const Json& obj);
  bool operator==(const ObjectRef&) const = default;
};

enum class EventType { kNormal, kWarning };
std::string_view EventTypeName(EventType type);  // "Normal", "Warning"

class EventSink {
 public:
  virtual ~EventSink() = default;
  // Records an event about `obj`. Never blocks on the network; never fails (events are best
  // effort). `reason` is UpperCamelCase ("Launched"); `message` is for humans.
  virtual void Publish(const ObjectRef& obj, EventType type, std::string_view reason,
                       std::string_view message) = 0;
};

struct EventRecorderOptions {
  std::string component = "joinery";  // source.component and reportingComponent ("karpenter" to
                                      // look exactly like Karpenter)
  std::string reporting_instance;     // source.host and reportingInstance; "" = hostname
  size_t queue_capacity = 1000;       // Publish() drops (counted) beyond this many pending events
  int burst = 25;                                    // per-object token bucket
  absl::Duration refill_interval = absl::Minutes(5);  // one token per interval
  absl::Duration dedup_window = absl::Minutes(10);    // repeat within this: count+1 on the same Event
  // An identical event (object, type, reason, message) published again within this window is not
  // written at all (Karpenter de-duplicates its pod events the same way, so that a pod re-planned
  // every batch does not cost an API write per batch). Zero: every repeat is written (count+1).
  absl::Duration suppress_window = absl::ZeroDuration();
};

class ApiEventRecorder final : public EventSink {
 public:
  // `client` and `clock` must outlive the recorder. Starts the writer thread.
  explicit ApiEventRecorder(Client& client, EventRecorderOptions options = {},
                            Clock& clock = RealClock());
  // Writes what is still queued (one attempt each), then joins the writer thread.
  ~ApiEventRecorder() override;
  ApiEventRecorder(const ApiEventRecorder&) = delete;
  ApiEventRecorder& operator=(const ApiEventRecorder&) = delete;

  void Publish(const ObjectRef& obj, EventType type, std::string_view reason,
               std::string_view message) override;

  // Blocks until every event published before the call has been written (or has failed).
  void Flush();

  int64_t Dropped() const;      // queue full
  int64_t RateLimited() const;  // per-object token bucket empty
  int64_t Suppressed() const;   // repeats within suppress_window
  int64_t Failed() const;       // the API server refused the write
  int64_t Written() const;      // creates + patches that succeeded

 private:
  struct Pending {
    ObjectRef obj;
    EventType type;
    std::string reason;
    std::string message;
    absl::Time time;
  };
  struct Series {  // an Event already written, for de-duplication
    std::string ns;
    std::string name;
    int64_t count = 0;
    std::string first_timestamp;
    absl::Time last;
  };
  struct Bucket {
    double tokens;
    absl::Time last;
  };
  void Run();
  void Write(const Pending& p);

  Client& client_;
  const EventRecorderOptions options_;
  Clock& clock_;
  std::string host_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Pending> queue_;               // guarded by mu_
  std::map<std::string, Bucket> buckets_;   // guarded by mu_
  std::map<std::string, absl::Time> last_published_;  // guarded by mu_ (suppress_window)
  bool stopping_ = false;                   // guarded by mu_
  int64_t in_flight_ = 0;                   // guarded by mu_
  int64_t dropped_ = 0, rate_limited_ = 0, failed_ = 0, written_ = 0;  // guarded by mu_
  int64_t suppressed_ = 0;                                           // guarded by mu_
  absl::Time last_failure_log_ = absl::InfinitePast();  // guarded by mu_: failure lines throttled
  int64_t failed_reported_ = 0;                         // guarded by mu_
  std::map<std::string, Series> series_;    // writer thread only
  int64_t last_name_nanos_ = 0;             // writer thread only
  std::thread thread_;
};

// Keeps every published event, for unit tests. No rate limiting and no de-duplication.
class RecordingEventSink final : public EventSink {
 public:
  struct Event {
    ObjectRef obj;
    EventType type;
    std::string reason;
    std::string message;
  };
  void Publish(const ObjectRef& obj, EventType type, std::string_view reason,
               std::string_view message) override;
  std::vector<Event> Events() const;
  // The events with this reason (all of them if `reason` is empty).
  std::vector<Event> EventsWithReason(std::string_view reason) const;
  void Clear();

 private:
  mutable std::mutex mu_;
  std::vector<Event> events_;  // guarded by mu_
};

}  // namespace joinery::kube
