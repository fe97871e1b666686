// The composition root of `joinery controller`: builds the Kubernetes client, the cluster view,
// the cloud provider and every controller, wires informer events to controller queues, and runs
// them under leader election until SIGTERM/SIGINT.
//
// Process model (Karpenter's): every replica starts its informers at once (so a new leader has a
// warm cache), serves /healthz and /readyz (ready once the caches synced) and /metrics; only the
// replica holding the `joinery-leader-election` Lease in kube-system runs controllers. Every write
// to the API server and every launch or termination is fenced by the lease: it is refused unless
// the lease was renewed within the renew deadline (10 s, shorter than the 15 s a standby waits
// before taking it), so a deposed leader stops acting before another can start, even while its
// connection is stalled. Losing the lease ends the process (exit 1); SIGTERM stops the
// controllers, releases the lease (the other replica takes over at once) and exits 0.
//
// With the simulated cloud, instances run in `joinery kubelet-simulator` (RunKubeletSimulator), a
// separate process that keeps working whichever replica leads, or none.
// Threading: see docs/threading.md.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "joinery/controllers/gc/garbage_collection.h"
#include "joinery/controllers/nodeclaim/lifecycle.h"
#include "joinery/controllers/provisioning/provisioner.h"

namespace joinery::op {

struct OperatorOptions {
  std::string kubeconfig;  // "" = $KUBECONFIG, in-cluster, ~/.kube/config
  std::string cloud_provider = "simulated";
  std::string cluster_name = "joinery-local";
  std::string region = "us-east-1";
  double kube_qps = 200;
  int kube_burst = 300;

  bool leader_elect = true;
  std::string leader_election_namespace = "kube-system";
  std::string leader_election_name = "joinery-leader-election";
  std::string identity;  // "" = hostname_random

  std::string metrics_address = "0.0.0.0";
  int metrics_port = 8080;
  int health_port = 8081;

  controllers::ProvisionerOptions provisioner;
  controllers::LifecycleOptions lifecycle;
  controllers::GarbageCollectionOptions gc;

  // Simulated cloud provider.
  std::string simulated_vpc_file;  // "" = the built-in inventory
  absl::Duration simulated_registration_delay = absl::Seconds(2);
  std::string simulated_instance_namespace = "kube-system";
  std::vector<std::string> simulated_insufficient_capacity;  // type:zone:capacity-type
};

// Runs until a termination signal; returns the process exit code. Errors that stop the start-up
// (bad kubeconfig, unknown cloud provider, ports in use) are returned as a Status instead.
absl::StatusOr<int> Run(const OperatorOptions& options);

struct KubeletSimulatorOptions {
  std::string kubeconfig;  // "" = $KUBECONFIG, in-cluster, ~/.kube/config
  std::string cloud_provider = "simulated";
  std::string instance_namespace = "kube-system";
  double kube_qps = 200;
  int kube_burst = 300;
};

// `joinery kubelet-simulator`: the machines of the simulated cloud (SimulatedKubelet) until
// SIGTERM/SIGINT; returns the exit code (0). Start-up errors are returned as a Status.
absl::StatusOr<int> RunKubeletSimulator(const KubeletSimulatorOptions& options);

}  // namespace joinery::op
