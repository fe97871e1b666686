// SimulatedKubelet: the machines of the simulated cloud. For every simulated instance (an instance
// object of SimulatedCloudProvider, see simulated_cloud_provider.h) it does what the instance's
// kubelet would do, so that the rest of the cluster (the node lifecycle controller, kube-scheduler,
// Joinery's controllers) sees live nodes:
//  - registers the Node once the instance has booted (the launch record's registerAfter): the
//    Node from the record, with the karpenter.sh/unregistered taint, capacity, allocatable,
//    nodeInfo, addresses and a Ready condition (as a kubelet configured by Karpenter does), and
//    registers it again if it is deleted while the instance runs, as a kubelet would;
//  - renews the Node's Lease (coordination.k8s.io/v1, namespace kube-node-lease, named after the
//    node; holderIdentity = node name, leaseDurationSeconds 40, ownerReference to the Node) every
//    Options::lease_renew_interval (10 s, the kubelet's default);
//  - refreshes lastHeartbeatTime of the Node's conditions (Ready, MemoryPressure, DiskPressure,
//    PIDPressure) every Options::status_update_interval (40 s ~ nodeStatusReportFrequency) via the
//    nodes/status subresource, adding any of the four that is missing;
//  - marks pods bound to a simulated node Running (pods/status: phase Running, conditions
//    Initialized / Ready / ContainersReady / PodScheduled True, hostIP, podIP, startTime, a running
//    and ready containerStatus per container);
//  - finishes terminating pods on them: a pod with a deletionTimestamp is deleted with
//    gracePeriodSeconds 0, as the kubelet does once the containers have stopped.
// Nodes whose instance is gone (terminated) are left alone: their kubelet died with the machine.
//
// It runs apart from the controller (`joinery kubelet-simulator`), like the machines it stands
// for: a controller replica that dies, or loses its lease, takes no instance down with it. Each
// pass looks at the instances, the simulated nodes and the bound pods and does what is due by the
// injected clock; failed writes (an API server outage) are retried on the next pass, and no state
// needs to survive a restart.
//
// Threads: Start() starts three informers (instance objects; nodes labelled
// joinery.dev/simulated=true; pods with spec.nodeName set) and one worker thread that makes a pass
// over the informer caches every Options::sync_interval of real time, or at once when an instance
// or a pod is added or changes. Stop() (and the destructor) stops the informers and joins the
// worker. Sync() makes one pass from fresh List calls instead of the caches (tests, or a one-shot);
// it must not run concurrently with the worker (call it before Start() or after Stop()).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "joinery/common/clock.h"
#include "joinery/kube/client.h"
#include "joinery/kube/informer.h"

namespace joinery::cloudprovider::simulated {

class SimulatedKubelet {
 public:
  struct Options {
    absl::Duration lease_renew_interval = absl::Seconds(10);
    int64_t lease_duration_seconds = 40;
    absl::Duration status_update_interval = absl::Seconds(40);
    // How often the thread looks (real time): the delay before a newly bound pod turns Running.
    absl::Duration sync_interval = absl::Seconds(1);
    // Where the simulated cloud keeps its instance objects.
    std::string instance_namespace = "kube-system";
  };

  // `client` and `clock` must outlive the kubelet.
  SimulatedKubelet(kube::Client& client, Clock& clock, Options options);
  SimulatedKubelet(kube::Client& client, Clock& clock) : SimulatedKubelet(client, clock, Options{}) {}
  ~SimulatedKubelet();
  SimulatedKubelet(const SimulatedKubelet&) = delete;
  SimulatedKubelet& operator=(const SimulatedKubelet&) = delete;

  void Start();  // idempotent
  void Stop();   // idempotent; joins the thread

  // One pass over all simulated nodes and their pods, listed from the API server. Per-object
  // failures do not stop the pass; the first error is returned (with context) after everything
  // else was tried.
  absl::Status Sync();

 private:
  absl::Status SyncObjects(const std::vector<kube::ObjectPtr>& instances,
                           const std::vector<kube::ObjectPtr>& nodes,
                           const std::vector<kube::ObjectPtr>& pods);
  // Creates the Node of a booted instance; OK when it exists already.
  absl::Status RegisterNode(const kube::Json& instance);
  absl::Status SyncNode(const kube::Json& node);
  absl::Status RenewLease(const kube::Json& node);
  absl::Status UpdateNodeStatus(const kube::Json& node);
  absl::Status SyncPod(const kube::Json& pod, const kube::Json& node);
  void Loop();

  kube::Client& client_;
  Clock& clock_;
  Options options_;

  // Sync()'s bookkeeping (only the Sync caller touches these): when each node's lease / status
  // was last written by this process; the instances whose Node this process registered.
  std::map<std::string, absl::Time> lease_renewed_;
  std::map<std::string, absl::Time> status_updated_;
  std::map<std::string, absl::Time> registered_;  // by node name: when created

  std::unique_ptr<kube::Informer> instances_;  // set by Start()
  std::unique_ptr<kube::Informer> nodes_;
  std::unique_ptr<kube::Informer> pods_;

  std::mutex mu_;
  bool stopping_ = false;  // guarded by mu_
  bool dirty_ = false;     // guarded by mu_: a pod changed since the last pass
  std::condition_variable cv_;
  std::thread thread_;
};

}  // namespace joinery::cloudprovider::simulated
