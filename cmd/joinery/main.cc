// joinery: a Karpenter-compatible node provisioner. This file only parses flags and hands over.
//
//   joinery simulate [flags] PATH...   what would be launched for these manifests, and its cost
//   joinery controller [flags]          run the provisioning controllers against a cluster
//   joinery kubelet-simulator [flags]   run the simulated cloud's machines (Node registration,
//                                       heartbeats, pods) for `controller --cloud-provider simulated`
//
// Exit status: 0 when the command did its job (a plan was computed, even with unschedulable pods),
// 2 on bad input (flags, manifests, catalog), 1 on an internal error.
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "joinery/common/strings.h"
#include "joinery/common/log.h"
#include "joinery/operator/operator.h"
#include "joinery/simulate/simulate.h"

namespace {

constexpr int kExitBadInput = 2;

int RunSimulate(const joinery::simulate::SimulateOptions& opts, const std::string& output) {
  auto sim = joinery::simulate::Run(opts);
  if (!sim.ok()) {
    std::cerr << "error: " << sim.status().message() << "\n";
    auto code = sim.status().code();
    return code == absl::StatusCode::kInvalidArgument || code == absl::StatusCode::kNotFound ||
                   code == absl::StatusCode::kFailedPrecondition
               ? kExitBadInput
               : 1;
  }
  // Render fully before writing, so that nothing half-printed reaches stdout.
  std::string text = output == "json" ? joinery::simulate::RenderJson(*sim)
                                      : joinery::simulate::RenderTable(*sim);
  std::fwrite(text.data(), 1, text.size(), stdout);
  return std::fflush(stdout) == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Joinery: a Karpenter-compatible Kubernetes node provisioner", "joinery"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "joinery 0.1.0");

  joinery::simulate::SimulateOptions opts;
  std::string output = "table";
  std::vector<std::string> env;
  std::string zones;
  std::string preference_policy = "Respect";
  std::string min_values_policy = "Strict";

  CLI::App* sim = app.add_subcommand(
      "simulate",
      "Preview the NodeClaims Joinery would create for the pending pods in these manifests "
      "(files or directories of YAML/JSON), with their instance types and cost.");
  sim->add_option("PATH", opts.paths, "Manifest files or directories")->required();
  sim->add_option("-o,--output", output, "Output format")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
  sim->add_option("--env", env, "KEY=VALUE for ${KEY} substitution in manifests (repeatable)");
  sim->add_option("--region", opts.catalog.region, "AWS region of the offerings")->capture_default_str();
  sim->add_option("--zones", zones, "Comma-separated zones (default: the region's a, b and c)");
  sim->add_option("--instance-types", opts.instance_types_file,
                  "Instance types replacing the embedded catalog: a CSV (columns of "
                  "data/instance-types.csv) or a .yaml InstanceTypeList (explicit labels, "
                  "requirements, capacity, overhead and offerings)");
  sim->add_option("--spot-discount", opts.catalog.spot_discount,
                  "Simulated spot price = on-demand price x (1 - discount)")
      ->check(CLI::Range(0.0, 0.99))
      ->capture_default_str();
  sim->add_option("--preference-policy", preference_policy, "Respect or Ignore preferred (anti-)affinity terms and ScheduleAnyway spreads")
      ->check(CLI::IsMember({"Respect", "Ignore"}))
      ->capture_default_str();
  sim->add_option("--min-values-policy", min_values_policy, "Strict or BestEffort minValues")
      ->check(CLI::IsMember({"Strict", "BestEffort"}))
      ->capture_default_str();

  // ---- controller ----
  joinery::op::OperatorOptions ctl;
  std::string batch_idle = "1s", batch_max = "10s", gc_interval = "2m", registration_delay = "2s";
  std::string launch_timeout = "5m", registration_timeout = "15m";
  std::string ctl_preference_policy = "Respect", ctl_min_values_policy = "Strict";
  std::string log_level = "info";
  bool disable_leader_election = false;
  CLI::App* run = app.add_subcommand(
      "controller",
      "Run the provisioning controllers against a cluster (as a Deployment in kube-system, or "
      "locally with --kubeconfig). Flags also read Karpenter's environment variables.");
  run->add_option("--kubeconfig", ctl.kubeconfig,
                  "Kubeconfig file (default: $KUBECONFIG, then in-cluster config, then ~/.kube/config)");
  run->add_option("--cloud-provider", ctl.cloud_provider, "simulated or aws")
      ->envname("CLOUD_PROVIDER")
      ->check(CLI::IsMember({"simulated", "aws"}))
      ->capture_default_str();
  run->add_option("--cluster-name", ctl.cluster_name, "Cluster name (subnet and security group discovery tags)")
      ->envname("CLUSTER_NAME")
      ->capture_default_str();
  run->add_option("--region", ctl.region, "AWS region")->envname("AWS_REGION")->capture_default_str();
  run->add_option("--batch-idle-duration", batch_idle, "Close a batch after this long without new pending pods")
      ->envname("BATCH_IDLE_DURATION")
      ->capture_default_str();
  run->add_option("--batch-max-duration", batch_max, "Longest a batch stays open")
      ->envname("BATCH_MAX_DURATION")
      ->capture_default_str();
  run->add_option("--preference-policy", ctl_preference_policy, "Respect or Ignore")
      ->envname("PREFERENCE_POLICY")
      ->check(CLI::IsMember({"Respect", "Ignore"}))
      ->capture_default_str();
  run->add_option("--min-values-policy", ctl_min_values_policy, "Strict or BestEffort")
      ->envname("MIN_VALUES_POLICY")
      ->check(CLI::IsMember({"Strict", "BestEffort"}))
      ->capture_default_str();
  run->add_option("--kube-client-qps", ctl.kube_qps, "Client-side request rate limit")
      ->envname("KUBE_CLIENT_QPS")
      ->capture_default_str();
  run->add_option("--kube-client-burst", ctl.kube_burst, "Client-side burst")
      ->envname("KUBE_CLIENT_BURST")
      ->capture_default_str();
  run->add_flag("--disable-leader-election", disable_leader_election,
                "Act without holding the leader lease (one replica only)")
      ->envname("DISABLE_LEADER_ELECTION");
  run->add_option("--leader-election-namespace", ctl.leader_election_namespace, "Namespace of the leader Lease")
      ->envname("LEADER_ELECTION_NAMESPACE")
      ->capture_default_str();
  run->add_option("--leader-election-name", ctl.leader_election_name, "Name of the leader Lease")
      ->capture_default_str();
  run->add_option("--identity", ctl.identity, "Leader election identity (default: hostname_random)")
      ->envname("POD_NAME");
  run->add_option("--metrics-port", ctl.metrics_port, "Prometheus /metrics port (0: any free port)")
      ->envname("METRICS_PORT")
      ->capture_default_str();
  run->add_option("--health-probe-port", ctl.health_port, "/healthz and /readyz port (0: any free port)")
      ->envname("HEALTH_PROBE_PORT")
      ->capture_default_str();
  run->add_option("--bind-address", ctl.metrics_address, "Address the HTTP servers listen on")
      ->capture_default_str();
  run->add_option("--log-level", log_level, "debug, info, warn or error")
      ->envname("LOG_LEVEL")
      ->check(CLI::IsMember({"debug", "info", "warn", "error"}))
      ->capture_default_str();
  run->add_option("--launch-timeout", launch_timeout, "Delete a NodeClaim not launched within this")
      ->capture_default_str();
  run->add_option("--registration-timeout", registration_timeout,
                  "Delete a NodeClaim whose Node has not registered within this")
      ->capture_default_str();
  run->add_option("--gc-interval", gc_interval, "How often instances and NodeClaims are reconciled")
      ->capture_default_str();
  run->add_option("--simulated-vpc", ctl.simulated_vpc_file,
                  "Simulated VPC inventory (subnets, security groups, AMIs); default: built in");
  run->add_option("--simulated-registration-delay", registration_delay,
                  "Simulated boot time: Create to Node registration")
      ->capture_default_str();
  run->add_option("--simulated-insufficient-capacity", ctl.simulated_insufficient_capacity,
                  "Offerings that fail for capacity, TYPE:ZONE:CAPACITY-TYPE with * wildcards (repeatable)");

  run->add_option("--simulated-instance-namespace", ctl.simulated_instance_namespace,
                  "Namespace where the simulated cloud keeps its instances")
      ->capture_default_str();

  // ---- kubelet-simulator ----
  joinery::op::KubeletSimulatorOptions ks;
  std::string ks_log_level = "info";
  CLI::App* kubelet = app.add_subcommand(
      "kubelet-simulator",
      "Run the machines of the simulated cloud: register the Node of every booted instance, renew "
      "its Lease and status, run its pods. Runs apart from the controller, so instances outlive it.");
  kubelet->add_option("--kubeconfig", ks.kubeconfig,
                      "Kubeconfig file (default: $KUBECONFIG, then in-cluster config, then ~/.kube/config)");
  kubelet->add_option("--cloud-provider", ks.cloud_provider, "simulated")
      ->envname("CLOUD_PROVIDER")
      ->check(CLI::IsMember({"simulated", "aws"}))
      ->capture_default_str();
  kubelet->add_option("--instance-namespace", ks.instance_namespace,
                      "Namespace where the simulated cloud keeps its instances")
      ->capture_default_str();
  kubelet->add_option("--kube-client-qps", ks.kube_qps, "Client-side request rate limit")
      ->capture_default_str();
  kubelet->add_option("--kube-client-burst", ks.kube_burst, "Client-side burst")->capture_default_str();
  kubelet->add_option("--log-level", ks_log_level, "debug, info, warn or error")
      ->envname("LOG_LEVEL")
      ->check(CLI::IsMember({"debug", "info", "warn", "error"}))
      ->capture_default_str();

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "error: " << e.what() << "\nRun 'joinery --help' for usage.\n";
    return kExitBadInput;
  }

  if (sim->parsed()) {
    for (const auto& kv : env) {
      auto eq = kv.find('=');
      if (eq == std::string::npos || eq == 0) {
        std::cerr << "error: --env " << kv << ": expected KEY=VALUE\n";
        return kExitBadInput;
      }
      opts.env[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
    size_t start = 0;
    while (start < zones.size()) {
      size_t comma = zones.find(',', start);
      if (comma == std::string::npos) comma = zones.size();
      std::string z = zones.substr(start, comma - start);
      if (!z.empty()) opts.catalog.zones.push_back(z);
      start = comma + 1;
    }
    opts.solver.preference_policy = preference_policy == "Ignore"
                                        ? joinery::solver::PreferencePolicy::kIgnore
                                        : joinery::solver::PreferencePolicy::kRespect;
    opts.solver.min_values_policy = min_values_policy == "BestEffort"
                                        ? joinery::solver::MinValuesPolicy::kBestEffort
                                        : joinery::solver::MinValuesPolicy::kStrict;
    return RunSimulate(opts, output);
  }
  if (run->parsed()) {
    joinery::log::Level level;
    if (joinery::log::ParseLevel(log_level, &level)) joinery::log::SetLevel(level);
    struct {
      const char* flag;
      const std::string& text;
      absl::Duration* out;
    } durations[] = {
        {"--batch-idle-duration", batch_idle, &ctl.provisioner.batch_idle},
        {"--batch-max-duration", batch_max, &ctl.provisioner.batch_max},
        {"--gc-interval", gc_interval, &ctl.gc.interval},
        {"--launch-timeout", launch_timeout, &ctl.lifecycle.launch_timeout},
        {"--registration-timeout", registration_timeout, &ctl.lifecycle.registration_timeout},
        {"--simulated-registration-delay", registration_delay, &ctl.simulated_registration_delay},
    };
    for (const auto& d : durations) {
      if (!absl::ParseDuration(d.text, d.out) || *d.out < absl::ZeroDuration()) {
        std::cerr << "error: " << d.flag << " " << d.text << ": expected a duration such as 10s or 2m\n";
        return kExitBadInput;
      }
    }
    ctl.leader_elect = !disable_leader_election;
    ctl.provisioner.solver.preference_policy = ctl_preference_policy == "Ignore"
                                                   ? joinery::solver::PreferencePolicy::kIgnore
                                                   : joinery::solver::PreferencePolicy::kRespect;
    ctl.provisioner.solver.min_values_policy = ctl_min_values_policy == "BestEffort"
                                                   ? joinery::solver::MinValuesPolicy::kBestEffort
                                                   : joinery::solver::MinValuesPolicy::kStrict;
    auto code = joinery::op::Run(ctl);
    if (!code.ok()) {
      joinery::log::Error("controller", "failed to start",
                          {{"error", std::string(code.status().message())}});
      return 1;
    }
    return *code;
  }
  if (kubelet->parsed()) {
    joinery::log::Level level;
    if (joinery::log::ParseLevel(ks_log_level, &level)) joinery::log::SetLevel(level);
    auto code = joinery::op::RunKubeletSimulator(ks);
    if (!code.ok()) {
      joinery::log::Error("kubelet-simulator", "failed to start",
                          {{"error", std::string(code.status().message())}});
      return code.status().code() == absl::StatusCode::kUnimplemented ? kExitBadInput : 1;
    }
    return *code;
  }
  return kExitBadInput;
}
