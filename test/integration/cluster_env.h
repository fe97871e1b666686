// Shared plumbing for integration tests that talk to the local control plane started by
// scripts/local-cluster.sh (test/integration/CMakeLists.txt runs it as a ctest fixture and exports
// JOINERY_CLUSTER_DIR).
//
// ClusterEnv reads $JOINERY_CLUSTER_DIR/kubeconfig, builds a RestClient, creates a namespace unique
// to the test and deletes it (without waiting) when destroyed. ClusterTest is a gtest fixture that
// owns one ClusterEnv per test and skips the test when JOINERY_CLUSTER_DIR is unset (e.g. when the
// binary is run by hand without a cluster).
//
// Thread-safety: client() may be used from any thread (kube::Client's contract); Kubectl() and
// Run() are thread-safe; the rest is set up once and read-only afterwards.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "joinery/kube/config.h"
#include "joinery/kube/rest_client.h"

namespace joinery::integration {

struct CommandResult {
  int exit_code = -1;  // the process's exit status; -1 when it could not be run or was signalled
  std::string out;     // stdout
  std::string err;     // stderr
};

// Runs argv[0] (looked up in PATH) with the given arguments, no shell; captures stdout and stderr.
CommandResult Run(const std::vector<std::string>& argv);

class ClusterEnv {
 public:
  // kFailedPrecondition when JOINERY_CLUSTER_DIR is unset; errors from the kubeconfig, the client
  // or the namespace creation otherwise. `namespace_prefix` starts the unique namespace's name.
  static absl::StatusOr<std::unique_ptr<ClusterEnv>> Create(
      std::string_view namespace_prefix = "joinery-it");
  ~ClusterEnv();  // deletes the namespace (best effort, does not wait for it to go)
  ClusterEnv(const ClusterEnv&) = delete;
  ClusterEnv& operator=(const ClusterEnv&) = delete;

  const std::string& dir() const { return dir_; }  // $JOINERY_CLUSTER_DIR
  std::string kubeconfig_path() const { return dir_ + "/kubeconfig"; }
  const kube::RestConfig& config() const { return config_; }
  kube::RestClient& client() const { return *client_; }
  const std::string& ns() const { return ns_; }  // this test's namespace

  // A fresh client with the same config (e.g. with different qps or a bad token).
  absl::StatusOr<std::unique_ptr<kube::RestClient>> NewClient(
      const std::function<void(kube::RestConfig&)>& tweak = nullptr) const;

  // kubectl --kubeconfig <dir>/kubeconfig <args...>.
  CommandResult Kubectl(const std::vector<std::string>& args) const;
  // bash $JOINERY_SOURCE_DIR/scripts/local-cluster.sh <command> <dir>.
  CommandResult ClusterScript(std::string_view command) const;

  // A name unique within this process: "<prefix>-<n>".
  static std::string UniqueName(std::string_view prefix);

 private:
  ClusterEnv() = default;
  std::string dir_;
  kube::RestConfig config_;
  std::unique_ptr<kube::RestClient> client_;
  std::string ns_;
};

// Polls `done` every 100 ms until it returns true or `timeout` passes; true when it did.
bool PollUntil(const std::function<bool()>& done, absl::Duration timeout = absl::Seconds(60));

class ClusterTest : public ::testing::Test {
 protected:
  void SetUp() override;
  ClusterEnv& env() { return *env_; }
  kube::Client& client() { return env_->client(); }
  const std::string& ns() { return env_->ns(); }

 private:
  std::unique_ptr<ClusterEnv> env_;
};

}  // namespace joinery::integration
