// The provisioner: turns pods that kube-scheduler could not place into NodeClaims.
//
// Pod events call Trigger(); a batcher waits until no trigger has come for `batch_idle` (1 s) or
// `batch_max` (10 s) has passed since the first, then Schedule() runs one scheduling pass:
// provisionable pods (PodScheduled=False/Unschedulable, unbound) + usable NodePools (valid, node
// class Ready) + the cloud provider's instance types + existing nodes and in-flight NodeClaims from
// the cluster view go into the same solver `joinery simulate` uses; each planned NodeClaim is
// created as `<nodepool>-<suffix>` with an owner reference to its NodePool, its requirements,
// resource requests and the NodePool hash annotation; pods get `Nominated` events, and pods that
// cannot be placed get `FailedScheduling` events with the solver's (Karpenter's) reason and a
// warning log line ("could not schedule pod", once per pod and reason). A pod kube-scheduler
// marked Unschedulable that does not decode (e.g. a request beyond the quantity range) is not
// dropped silently either: it gets a FailedScheduling event ("ignoring pod, <decode error>") and
// an "ignoring pod" warning, once per pod and reason. While
// provisionable pods remain, a pass also runs every 10 s without a trigger (as Karpenter re-queues
// them), so that capacity errors and limit changes are retried.
//
// Thread-safety: Trigger() from any thread; Start/Stop from the owner; Schedule() runs on the
// batcher thread (tests may call it directly when the batcher is not started).
#pragma once

#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "joinery/cloudprovider/cloud_provider.h"
#include "joinery/common/clock.h"
#include "joinery/kube/client.h"
#include "joinery/kube/events.h"
#include "joinery/solver/solver.h"
#include "joinery/state/cluster.h"

namespace joinery::op {
class Metrics;
}

namespace joinery::controllers {

struct ProvisionerOptions {
  absl::Duration batch_idle = absl::Seconds(1);
  absl::Duration batch_max = absl::Seconds(10);
  // A pass runs this often while provisionable pods remain, even without pod events.
  absl::Duration requeue = absl::Seconds(10);
  solver::Options solver;
};

struct ProvisionResult {
  int pending_pods = 0;
  std::vector<std::string> created;  // NodeClaim names
  solver::Plan plan;
};

class Provisioner {
 public:
  Provisioner(state::Cluster& cluster, kube::Client& client, cloudprovider::CloudProvider& cloud,
              kube::EventSink& events, op::Metrics* metrics, ProvisionerOptions options);
  ~Provisioner();
  Provisioner(const Provisioner&) = delete;
  Provisioner& operator=(const Provisioner&) = delete;

  // Opens a batch, or extends the open one. `id` (a pod's key) extends it only the first time it
  // triggers within the batch; "" always extends.
  void Trigger(std::string_view id = "");
  void Start();
  void Stop();

  // One scheduling pass. kUnavailable while the cluster view is not synced.
  absl::StatusOr<ProvisionResult> Schedule();

  // How many times a pass had to prepare its instance-type list for the solver: once per distinct
  // list the provider returned (a provider that caches its list makes this stay at 1).
  int catalog_preparations() const { return catalog_preparations_; }

 private:
  void Loop();
  absl::StatusOr<std::string> CreateNodeClaim(const solver::PlannedNodeClaim& planned,
                                              const api::NodePool& pool);
  // A FailedScheduling event on `pod` saying `why`, and a warning log line (`message`, with the
  // pod and `why` as its error) the first time a pod is reported with that reason.
  void ReportUnschedulable(const kube::ObjectRef& pod, std::string_view message,
                           const std::string& why);

  state::Cluster& cluster_;
  kube::Client& client_;
  cloudprovider::CloudProvider& cloud_;
  kube::EventSink& events_;
  op::Metrics* metrics_;
  ProvisionerOptions options_;

  // The solver's view of the last instance-type list the provider returned, kept while the
  // provider keeps returning that same list; only Schedule() touches these, one pass at a time.
  std::shared_ptr<const cloudprovider::InstanceTypes> prepared_for_;
  std::shared_ptr<const solver::PreparedInstanceTypes> prepared_;
  int catalog_preparations_ = 0;
  // The reason each pod was last logged with, by uid, so that a pod kept from capacity is logged
  // once per reason rather than on every pass. Pruned each pass of pods that are bound or gone, so
  // it never holds more than the cluster's unbound pods. Only Schedule() touches it.
  struct Reported {
    std::string key;  // "namespace/name", to find the pod in the cluster view
    std::string reason;
  };
  std::map<std::string, Reported, std::less<>> reported_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool triggered_ = false;
  std::set<std::string, std::less<>> batch_triggers_;  // ids that triggered the open batch
  bool stopping_ = false;
  std::chrono::steady_clock::time_point last_trigger_;
  std::thread thread_;
};

// Karpenter's karpenter.sh/nodepool-hash: a stable hash of the NodePool's template (labels,
// annotations, taints, startup taints, node class reference, expireAfter, terminationGracePeriod;
// requirements excluded, as Karpenter excludes them), as a decimal string. Not bit-identical to
// Karpenter's hashstructure value; it only has to change when the template changes.
std::string NodePoolHash(const api::NodePool& pool);
inline constexpr char kNodePoolHashVersion[] = "v3";

// Pools the provisioner may launch from: not being deleted, not static, valid, and whose node
// class exists and is Ready. `why` (optional) receives a line per skipped pool.
std::vector<api::NodePool> UsableNodePools(const state::Cluster& cluster,
                                           std::vector<std::string>* why = nullptr);

}  // namespace joinery::controllers
