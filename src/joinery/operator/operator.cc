#include "joinery/operator/operator.h"

#include <csignal>
#include <malloc.h>
#include <pthread.h>
#include <unistd.h>

#include <algorithm>
#include <memory>

#include "joinery/api/labels.h"
#include "joinery/cloudprovider/catalog.h"
#include "joinery/cloudprovider/fenced_cloud_provider.h"
#include "joinery/cloudprovider/simulated/kubelet.h"
#include "joinery/cloudprovider/simulated/nodeclass_reconciler.h"
#include "joinery/cloudprovider/simulated/simulated_cloud_provider.h"
#include "joinery/cloudprovider/simulated/vpc_inventory.h"
#include "joinery/common/log.h"
#include "joinery/common/status.h"
#include "joinery/controllers/controller.h"
#include "joinery/controllers/nodepool/status.h"
#include "joinery/controllers/termination/termination.h"
#include "joinery/kube/config.h"
#include "joinery/kube/events.h"
#include "joinery/kube/fenced_client.h"
#include "joinery/kube/leader_election.h"
#include "joinery/kube/rest_client.h"
#include "joinery/operator/http_server.h"
#include "joinery/operator/metrics.h"
#include "joinery/state/cluster.h"
#include "joinery/state/snapshot.h"

namespace joinery::op {
namespace {

namespace sim = cloudprovider::simulated;
constexpr char kLogger[] = "controller";
// Per-request timeout of the lease client: two requests (get, update) fit in the 10 s renew
// deadline with room to spare.
constexpr absl::Duration kLeaseRequestTimeout = absl::Seconds(4);

// Everything the leader runs; built up front, started on election.
struct Controllers {
  std::unique_ptr<controllers::Provisioner> provisioner;
  std::vector<std::unique_ptr<controllers::Controller>> all;
  controllers::Controller* lifecycle = nullptr;
  controllers::Controller* termination = nullptr;
  controllers::Controller* nodepool = nullptr;
  controllers::Controller* nodeclass = nullptr;
  controllers::Controller* gc = nullptr;
};

// Blocks SIGTERM and SIGINT (and SIGUSR1, the internal "leadership lost", when asked) so that the
// calling thread takes them with sigwait(); every thread created afterwards inherits the mask.
sigset_t BlockSignals(bool leadership_lost) {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  if (leadership_lost) sigaddset(&signals, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  return signals;
}

absl::StatusOr<kube::RestConfig> LoadRestConfig(const std::string& kubeconfig, double qps,
                                                int burst, std::string user_agent) {
  ASSIGN_OR_RETURN(kube::RestConfig config, kube::LoadConfig(kubeconfig));
  config.qps = qps;
  config.burst = burst;
  config.user_agent = std::move(user_agent);
  return config;
}

std::string Label(const kube::Json& obj, std::string_view key) {
  const auto& labels = obj.value("metadata", kube::Json::object()).value("labels", kube::Json::object());
  return labels.value(std::string(key), "");
}

}  // namespace

absl::StatusOr<int> Run(const OperatorOptions& options) {
  // glibc gives every thread that allocates its own arena (up to 8 per core), each keeping freed
  // memory; a few arenas keep the resident set close to what is live.
  mallopt(M_ARENA_MAX, 2);
  const sigset_t signals = BlockSignals(/*leadership_lost=*/true);
  ASSIGN_OR_RETURN(kube::RestConfig config,
                   LoadRestConfig(options.kubeconfig, options.kube_qps, options.kube_burst,
                                  "joinery/controller"));
  ASSIGN_OR_RETURN(std::unique_ptr<kube::RestClient> client, kube::RestClient::Create(config));
  // Events get their own client and rate budget, so that a burst of pod events never delays the
  // writes that launch nodes (client-go's recorders also write through their own broadcaster).
  kube::RestConfig events_config = config;
  events_config.qps = std::max(1.0, options.kube_qps / 4);
  events_config.burst = std::max(1, options.kube_burst / 3);
  ASSIGN_OR_RETURN(std::unique_ptr<kube::RestClient> events_client,
                   kube::RestClient::Create(events_config));
  // The lease gets its own client: its requests never queue behind the controllers' and time out
  // well within the renew deadline, so a stalled connection cannot keep a deposed leader unaware.
  kube::RestConfig lease_config = config;
  lease_config.timeout = kLeaseRequestTimeout;
  lease_config.qps = 5;
  lease_config.burst = 10;
  ASSIGN_OR_RETURN(std::unique_ptr<kube::RestClient> lease_client,
                   kube::RestClient::Create(lease_config));
  Clock& clock = RealClock();

  // Leadership fences every side effect: controllers write through `writer` and launch or terminate
  // through `fenced_cloud`, which refuse once the lease is not held (LeaderElector::HoldsLease).
  std::unique_ptr<kube::LeaderElector> elector;
  if (options.leader_elect) {
    kube::LeaderElectionConfig le;
    le.lease_namespace = options.leader_election_namespace;
    le.lease_name = options.leader_election_name;
    le.identity = options.identity;
    elector = std::make_unique<kube::LeaderElector>(*lease_client, le, clock);
  }
  kube::Fence fence;
  if (elector) fence = [e = elector.get()] { return e->HoldsLease(); };
  kube::FencedClient writer(*client, fence);
  kube::FencedClient events_writer(*events_client, fence);

  if (options.cloud_provider != "simulated") {
    if (options.cloud_provider == "aws") {
      return absl::UnimplementedError(
          "--cloud-provider aws: the AWS provider is not built yet; use --cloud-provider simulated");
    }
    return absl::InvalidArgumentError(
        StrCat("--cloud-provider: unknown provider \"", options.cloud_provider,
               "\" (want simulated or aws)"));
  }

  auto metrics = std::make_unique<Metrics>(options.cloud_provider);
  auto cluster = std::make_unique<state::Cluster>(*client);
  kube::EventRecorderOptions event_options;
  event_options.suppress_window = absl::Minutes(2);
  auto events = std::make_unique<kube::ApiEventRecorder>(events_writer, event_options);

  // The simulated cloud.
  cloudprovider::CatalogOptions catalog_options;
  catalog_options.region = options.region;
  ASSIGN_OR_RETURN(cloudprovider::InstanceTypes catalog,
                   cloudprovider::EmbeddedCatalog(catalog_options));
  auto shared_catalog = std::make_shared<const cloudprovider::InstanceTypes>(std::move(catalog));
  sim::VpcInventory vpc =
      sim::VpcInventory::Default(options.cluster_name, options.region);
  if (!options.simulated_vpc_file.empty()) {
    ASSIGN_OR_RETURN(vpc, sim::VpcInventory::Load(options.simulated_vpc_file,
                                                           options.cluster_name));
  }
  sim::SimulatedCloudProvider::Options sim_options;
  sim_options.cluster_name = options.cluster_name;
  sim_options.region = options.region;
  sim_options.registration_delay = options.simulated_registration_delay;
  sim_options.instance_namespace = options.simulated_instance_namespace;
  // EC2 never reuses an instance ID; neither may a restarted or newly elected replica, or its first
  // instance would reuse the name of a Node deleted moments ago (whose Lease and node-lifecycle state
  // kube-controller-manager may still hold, leaving the new Node unreachable).
  sim_options.seed = static_cast<uint64_t>(absl::ToUnixNanos(absl::Now())) ^
                     (static_cast<uint64_t>(getpid()) << 32);
  for (const auto& spec : options.simulated_insufficient_capacity) {
    ASSIGN_OR_RETURN(auto offerings, sim::ParseInsufficientCapacity(spec));
    sim_options.insufficient_capacity.insert(sim_options.insufficient_capacity.end(),
                                             offerings.begin(), offerings.end());
  }
  // Its instances boot and run in `joinery kubelet-simulator`, a process of their own.
  auto simulated_cloud = std::make_unique<sim::SimulatedCloudProvider>(
      writer, clock, shared_catalog, vpc, sim_options);
  auto cloud = std::make_unique<cloudprovider::FencedCloudProvider>(*simulated_cloud, fence);

  Controllers c;
  c.provisioner = std::make_unique<controllers::Provisioner>(*cluster, writer, *cloud, *events,
                                                             metrics.get(), options.provisioner);
  auto add = [&](std::unique_ptr<controllers::Reconciler> r, int workers) {
    c.all.push_back(std::make_unique<controllers::Controller>(std::move(r), workers));
    return c.all.back().get();
  };
  c.lifecycle = add(std::make_unique<controllers::NodeClaimLifecycle>(
                        *cluster, writer, *cloud, *events, metrics.get(), clock, options.lifecycle),
                    4);
  c.termination = add(std::make_unique<controllers::NodeTermination>(*cluster, writer, *cloud,
                                                                      *events, clock),
                      4);
  c.nodepool = add(std::make_unique<controllers::NodePoolStatus>(*cluster, writer, metrics.get(),
                                                                 clock),
                   1);
  sim::NodeClassReconciler::Options nc_options;
  nc_options.cluster_name = options.cluster_name;
  nc_options.region = options.region;
  c.nodeclass = add(std::make_unique<sim::NodeClassReconciler>(
                        writer, clock, std::make_shared<const sim::VpcInventory>(vpc),
                        nc_options),
                    1);
  c.gc = add(std::make_unique<controllers::GarbageCollection>(*cluster, writer, *cloud, clock,
                                                              options.gc),
             1);

  // Informer events → controller queues. Queues accept keys before their workers start, so a
  // replica that becomes leader later starts with every known object queued.
  cluster->AddListener([&c, &cluster](state::Kind kind, const std::string& key,
                                      const kube::Json& obj, bool deleted) {
    switch (kind) {
      case state::Kind::kPod: {
        if (!deleted) {
          if (auto p = cluster->Pod(key); p && p->typed && state::IsProvisionable(*p->typed)) {
            c.provisioner->Trigger(key);
          }
        }
        std::string node = obj.value("spec", kube::Json::object()).value("nodeName", "");
        if (!node.empty()) c.termination->Enqueue(node);
        break;
      }
      case state::Kind::kNode: {
        c.termination->Enqueue(key);
        std::string id = obj.value("spec", kube::Json::object()).value("providerID", "");
        if (auto claim = cluster->NodeClaimByProviderID(id)) {
          c.lifecycle->Enqueue(state::ObjectKey(*claim->raw));
        }
        if (std::string pool = Label(obj, api::kLabelNodePool); !pool.empty()) {
          c.nodepool->Enqueue(pool);
        }
        break;
      }
      case state::Kind::kNodeClaim: {
        c.lifecycle->Enqueue(key);
        if (std::string pool = Label(obj, api::kLabelNodePool); !pool.empty()) {
          c.nodepool->Enqueue(pool);
        }
        // Its pods need a new home once it is being deleted (the provisioner places them ahead).
        if (deleted || obj.value("metadata", kube::Json::object()).contains("deletionTimestamp")) {
          c.provisioner->Trigger();
        }
        break;
      }
      case state::Kind::kNodePool:
        if (!deleted) c.nodepool->Enqueue(key);
        c.provisioner->Trigger();
        break;
      case state::Kind::kNodeClass:
        if (!deleted) c.nodeclass->Enqueue(key);
        for (const auto& np : cluster->NodePools()) {
          c.nodepool->Enqueue(state::ObjectKey(*np.raw));
        }
        c.provisioner->Trigger();
        break;
      case state::Kind::kDaemonSet:
        break;
      // A claim that binds, or a class that appears, can make a waiting pod provisionable.
      case state::Kind::kPersistentVolumeClaim:
      case state::Kind::kStorageClass:
        c.provisioner->Trigger();
        break;
      case state::Kind::kPersistentVolume:
      case state::Kind::kCSINode:
      case state::Kind::kPodDisruptionBudget:
        break;
    }
  });
  c.gc->Enqueue("gc");

  // Health and metrics.
  HttpServer health(HttpServerOptions{options.metrics_address, options.health_port, 2});
  health.SetLivenessCheck([] { return absl::OkStatus(); });
  health.SetReadinessCheck([&cluster]() -> absl::Status {
    if (cluster->Synced()) return absl::OkStatus();
    return absl::UnavailableError("informer caches are not synced yet");
  });
  HttpServer metrics_server(HttpServerOptions{options.metrics_address, options.metrics_port, 2});
  metrics_server.SetMetrics([m = metrics.get()] { return m->Render(); });
  RETURN_IF_ERROR(Annotate(health.Start(), "starting the health server"));
  RETURN_IF_ERROR(Annotate(metrics_server.Start(), "starting the metrics server"));

  cluster->Start();
  log::Info(kLogger, "starting joinery",
            {{"cloud-provider", options.cloud_provider},
             {"cluster-name", options.cluster_name},
             {"metrics-port", metrics_server.port()},
             {"health-port", health.port()}});

  auto start_leading = [&] {
    if (!cluster->WaitForSync(absl::Minutes(5))) {
      log::Error(kLogger, "informer caches did not sync", {});
    }
    log::Info(kLogger, "became leader, starting controllers", {});
    for (auto& ctl : c.all) ctl->Start();
    c.provisioner->Start();
    c.provisioner->Trigger();
  };
  if (elector) {
    elector->Run(start_leading, [e = elector.get()] {
      if (e->StoppedByRequest()) {
        log::Info(kLogger, "stopped leading: shutting down", {});
        return;
      }
      log::Error(kLogger, "leader election lost", {});
      kill(getpid(), SIGUSR1);
    });
  } else {
    start_leading();
  }

  int sig = 0;
  sigwait(&signals, &sig);
  int code = sig == SIGUSR1 ? 1 : 0;
  log::Info(kLogger, "shutting down", {{"signal", sig == SIGUSR1 ? "leadership lost" : strsignal(sig)}});
  c.provisioner->Stop();
  for (auto& ctl : c.all) ctl->Stop();
  if (elector) elector->Stop();  // releases the lease: the other replica takes over at once
  cluster->Stop();
  events->Flush();
  metrics_server.Stop();
  health.Stop();
  log::Info(kLogger, "stopped", {{"exit-code", code}});
  return code;
}

}  // namespace joinery::op

namespace joinery::op {

absl::StatusOr<int> RunKubeletSimulator(const KubeletSimulatorOptions& options) {
  if (options.cloud_provider != "simulated") {
    return absl::UnimplementedError(StrCat("--cloud-provider ", options.cloud_provider,
                                           ": only the simulated cloud has a kubelet simulator yet"));
  }
  const sigset_t signals = BlockSignals(/*leadership_lost=*/false);
  ASSIGN_OR_RETURN(kube::RestConfig config,
                   LoadRestConfig(options.kubeconfig, options.kube_qps, options.kube_burst,
                                  "joinery/kubelet-simulator"));
  ASSIGN_OR_RETURN(std::unique_ptr<kube::RestClient> client, kube::RestClient::Create(config));
  sim::SimulatedKubelet::Options kopts;
  kopts.instance_namespace = options.instance_namespace;
  sim::SimulatedKubelet kubelet(*client, RealClock(), kopts);
  kubelet.Start();
  log::Info("kubelet-simulator", "starting",
            {{"cloud-provider", options.cloud_provider},
             {"instance-namespace", options.instance_namespace}});
  int sig = 0;
  sigwait(&signals, &sig);
  log::Info("kubelet-simulator", "shutting down", {{"signal", strsignal(sig)}});
  kubelet.Stop();
  return 0;
}

}  // namespace joinery::op
