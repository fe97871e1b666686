// Leader election on a coordination.k8s.io/v1 Lease, with client-go's semantics, so that Joinery
// replicas and client-go based tools agree on who leads:
//   - a candidate takes the lease when it is absent, released (holderIdentity ""), held by itself,
//     or expired: the holder has not changed the lease record for leaseDurationSeconds as measured
//     by the candidate's own clock since it last saw the record change (not the renewTime written
//     in it: clocks of different machines are not compared);
//   - writes are compare-and-swap on resourceVersion, so two candidates racing for the lease cannot
//     both win (the loser gets a Conflict and stays a follower);
//   - the leader renews every retry_period; when it has not renewed successfully for
//     renew_deadline it stops leading (on_stopped_leading) and becomes a candidate again;
//   - HoldsLease() is the fence for every action a leader takes: true only while leading AND less
//     than renew_deadline has passed since the start of the last successful renewal. A candidate
//     can take the lease only lease_duration after it saw that renewal, so with
//     renew_deadline < lease_duration the old leader stops acting (its writes are refused) before
//     anyone else could start, whether or not its renew requests ever return. Renew requests must
//     therefore be bounded: give the elector a client whose request timeout is well below
//     renew_deadline (the operator uses 4 s);
//   - leaseTransitions is incremented on every change of holder; acquireTime/renewTime are MicroTime
//     ("2006-01-02T15:04:05.000000Z");
//   - Stop() releases the lease (holderIdentity "", leaseDurationSeconds 1) when leading and
//     release_on_cancel is set, so that another replica takes over at once.
//
// Thread-safety: Run()/Stop() from one owning thread; IsLeader()/Identity()/ObservedHolder() from
// any thread. The callbacks run on the elector's thread and must not block (start the controllers
// on other threads) and must not call Stop(). TryAcquireOrRenew()/Release() are the single steps the
// loop takes, public for deterministic unit tests; do not mix them with Run().
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "joinery/common/clock.h"
#include "joinery/kube/client.h"

namespace joinery::kube {

struct LeaderElectionConfig {
  std::string lease_namespace = "kube-system";
  std::string lease_name = "joinery-leader-election";
  std::string identity;  // "" = hostname + "_" + random hex
  absl::Duration lease_duration = absl::Seconds(15);
  absl::Duration renew_deadline = absl::Seconds(10);
  absl::Duration retry_period = absl::Seconds(2);
  bool release_on_cancel = true;
};

class LeaderElector {
 public:
  // `client` and `clock` must outlive the elector. The clock measures lease expiry and the renew
  // deadline and stamps acquire/renewTime; the loop's waits (retry_period) are real time.
  LeaderElector(Client& client, LeaderElectionConfig config, Clock& clock = RealClock());
  ~LeaderElector();  // Stop()
  LeaderElector(const LeaderElector&) = delete;
  LeaderElector& operator=(const LeaderElector&) = delete;

  // Starts the election loop on its own thread and returns at once. on_started_leading is called
  // when this replica becomes leader, on_stopped_leading when it stops (renew deadline passed,
  // lease taken by another, or Stop()). Either may be empty. Call once.
  void Run(std::function<void()> on_started_leading, std::function<void()> on_stopped_leading);
  // Stops the loop and joins it; if leading, releases the lease (release_on_cancel) and calls
  // on_stopped_leading (StoppedByRequest() is then true). Idempotent.
  void Stop();

  bool IsLeader() const;
  // The fence (see above): leading, and the last successful renewal began less than
  // renew_deadline ago by the clock. Any thread.
  bool HoldsLease() const;
  const std::string& Identity() const { return config_.identity; }
  // True once Stop() was called: on_stopped_leading then reports a requested stop, not a loss.
  bool StoppedByRequest() const;
  // The holderIdentity last read or written ("" if none).
  std::string ObservedHolder() const;

  // One attempt to acquire or renew (client-go's tryAcquireOrRenew): true when this elector holds
  // the lease afterwards. Updates IsLeader() only through the loop; tests read the result.
  bool TryAcquireOrRenew();
  // Gives the lease up if this elector holds it (holderIdentity "", leaseDurationSeconds 1).
  absl::Status Release();

  // "2006-01-02T15:04:05.000000Z".
  static std::string FormatMicroTime(absl::Time t);

 private:
  struct Record {
    std::string holder;
    int64_t lease_duration_seconds = 0;
    std::string acquire_time;
    std::string renew_time;
    int64_t transitions = 0;
    bool operator==(const Record&) const = default;
  };
  static Record RecordFromLease(const Json& lease);
  static void RecordToLease(const Record& r, Json& lease);
  void Loop();
  void SetLeader(bool leader);  // calls the callbacks on transitions
  bool Wait(absl::Duration d);  // false when stopping

  Client& client_;
  LeaderElectionConfig config_;
  Clock& clock_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;         // guarded by mu_
  bool leader_ = false;           // guarded by mu_
  Record observed_;               // guarded by mu_
  absl::Time observed_time_;      // guarded by mu_
  absl::Time renewed_at_ = absl::InfinitePast();  // guarded by mu_: start of the last success
  std::function<void()> on_started_;
  std::function<void()> on_stopped_;
  std::thread thread_;
};

}  // namespace joinery::kube
