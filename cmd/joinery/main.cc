// joinery: a Karpenter-compatible node provisioner. This file only parses flags and hands over.
//
//   joinery simulate [flags] PATH...   what would be launched for these manifests, and its cost
//
// Exit status: 0 when the command did its job (a plan was computed, even with unschedulable pods),
// 2 on bad input (flags, manifests, catalog), 1 on an internal error.
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "joinery/common/strings.h"
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
                  "CSV file that replaces the embedded instance-type catalog");
  sim->add_option("--spot-discount", opts.catalog.spot_discount,
                  "Simulated spot price = on-demand price x (1 - discount)")
      ->check(CLI::Range(0.0, 0.99))
      ->capture_default_str();
  sim->add_option("--preference-policy", preference_policy, "Respect or Ignore preferred scheduling terms")
      ->check(CLI::IsMember({"Respect", "Ignore"}))
      ->capture_default_str();
  sim->add_option("--min-values-policy", min_values_policy, "Strict or BestEffort minValues")
      ->check(CLI::IsMember({"Strict", "BestEffort"}))
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
  return kExitBadInput;
}
