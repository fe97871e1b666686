// Scenario files (test/scenarios/**): finding them, reading their ScenarioExpectation document and
// turning its options into simulate options. Shared by the scenario runner and the
// simulate-vs-controller comparison; see scenario_runner_test.cc for the expectation schema.
#pragma once

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "joinery/simulate/simulate.h"

namespace joinery::scenario_files {

namespace fs = std::filesystem;

inline fs::path SourceDir() {
  if (const char* dir = std::getenv("JOINERY_SOURCE_DIR"); dir != nullptr && *dir != '\0') {
    return fs::path(dir);
  }
  return fs::path(__FILE__).parent_path().parent_path();
}

inline fs::path ScenarioDir() { return SourceDir() / "test" / "scenarios"; }

inline std::vector<std::string> ScenarioFiles() {
  std::vector<std::string> files;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(ScenarioDir(), ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_directory() && it->path().filename() == "instance-types") {
      it.disable_recursion_pending();  // catalogs, not scenarios
      continue;
    }
    const fs::path& p = it->path();
    if (it->is_regular_file() && (p.extension() == ".yaml" || p.extension() == ".yml")) {
      files.push_back(p.string());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

// The scenario's path below test/scenarios, without the extension ("karpenter/topology/x").
inline std::string RelativeName(const std::string& file) {
  fs::path rel = fs::path(file).lexically_relative(ScenarioDir());
  return (rel.parent_path() / rel.stem()).generic_string();
}

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The ScenarioExpectation document. Documents are split by hand and parsed one by one, so that a
// scenario whose manifests are deliberately malformed still yields its expectation.
inline YAML::Node FindExpectation(const std::string& text) {
  std::vector<std::string> docs;
  std::string current;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("---", 0) == 0) {
      docs.push_back(current);
      current.clear();
      continue;
    }
    current += line + "\n";
  }
  docs.push_back(current);
  for (const auto& d : docs) {
    try {
      YAML::Node n = YAML::Load(d);
      if (n.IsMap() && n["kind"] && n["kind"].as<std::string>() == "ScenarioExpectation") {
        EXPECT_EQ(n["apiVersion"].as<std::string>(""), "joinery.dev/v1alpha1");
        return n;
      }
    } catch (const YAML::Exception& e) {
      // A manifest may be malformed on purpose; the expectation may not.
      if (d.find("ScenarioExpectation") != std::string::npos) {
        ADD_FAILURE() << "the ScenarioExpectation document is not valid YAML: " << e.what();
      }
    }
  }
  return YAML::Node();
}

// Fails the test for keys of `node` (a map) not in `known`.
inline void ExpectOnlyKeys(const YAML::Node& node, std::set<std::string> known, const std::string& where) {
  if (!node.IsMap()) {
    ADD_FAILURE() << where << ": expected a map";
    return;
  }
  for (const auto& kv : node) {
    std::string key = kv.first.as<std::string>();
    EXPECT_TRUE(known.contains(key)) << where << ": unknown expectation field \"" << key << "\"";
  }
}

inline std::vector<std::string> Strings(const YAML::Node& n) {
  std::vector<std::string> out;
  for (const auto& v : n) out.push_back(v.as<std::string>());
  return out;
}

inline simulate::SimulateOptions Options(const std::string& file, const YAML::Node& spec) {
  simulate::SimulateOptions opts;
  opts.paths = {file};
  if (spec["env"]) {
    for (const auto& kv : spec["env"]) opts.env[kv.first.as<std::string>()] = kv.second.as<std::string>();
  }
  if (const YAML::Node o = spec["options"]) {
    ExpectOnlyKeys(o,
                   {"zones", "spotDiscount", "preferencePolicy", "minValuesPolicy", "maxInstanceTypes",
                    "instanceTypes"},
                   "spec.options");
    if (o["instanceTypes"]) {
      opts.instance_types_file =
          (fs::path(file).parent_path() / o["instanceTypes"].as<std::string>()).lexically_normal().string();
    }
    if (o["zones"]) opts.catalog.zones = Strings(o["zones"]);
    if (o["spotDiscount"]) opts.catalog.spot_discount = o["spotDiscount"].as<double>();
    if (o["preferencePolicy"]) {
      opts.solver.preference_policy = o["preferencePolicy"].as<std::string>() == "Ignore"
                                          ? solver::PreferencePolicy::kIgnore
                                          : solver::PreferencePolicy::kRespect;
    }
    if (o["minValuesPolicy"]) {
      opts.solver.min_values_policy = o["minValuesPolicy"].as<std::string>() == "BestEffort"
                                          ? solver::MinValuesPolicy::kBestEffort
                                          : solver::MinValuesPolicy::kStrict;
    }
    if (o["maxInstanceTypes"]) opts.solver.max_instance_types = o["maxInstanceTypes"].as<int>();
  }
  return opts;
}

}  // namespace joinery::scenario_files
