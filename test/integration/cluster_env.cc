#include "cluster_env.h"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <random>
#include <thread>

#include "joinery/common/status.h"
#include "joinery/common/strings.h"

extern char** environ;

namespace joinery::integration {
namespace {

// Defaults compiled in by test/integration/CMakeLists.txt for what ctest does not pass (it can give
// a discovered gtest only one environment variable); an explicit environment wins.
[[maybe_unused]] const bool kEnvironmentDefaults = [] {
#ifdef JOINERY_TEST_CLUSTER_DIR
  setenv("JOINERY_CLUSTER_DIR", JOINERY_TEST_CLUSTER_DIR, /*overwrite=*/0);
#endif
#ifdef JOINERY_TEST_SOURCE_DIR
  setenv("JOINERY_SOURCE_DIR", JOINERY_TEST_SOURCE_DIR, /*overwrite=*/0);
#endif
#ifdef JOINERY_TEST_BIN
  setenv("JOINERY_BIN", JOINERY_TEST_BIN, /*overwrite=*/0);
#endif
  return true;
}();

std::string Getenv(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? std::string() : std::string(v);
}

}  // namespace

CommandResult Run(const std::vector<std::string>& argv) {
  CommandResult result;
  if (argv.empty()) return result;
  int out_pipe[2];
  int err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) return result;
  if (pipe2(err_pipe, O_CLOEXEC) != 0) {
    close(out_pipe[0]);
    close(out_pipe[1]);
    return result;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(out_pipe[1]);
  close(err_pipe[1]);
  if (rc != 0) {
    close(out_pipe[0]);
    close(err_pipe[0]);
    result.err = StrCat("cannot run ", argv[0], ": errno ", rc);
    return result;
  }
  // Drain both pipes together so that neither fills up and blocks the child.
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  int open_fds = 2;
  char buf[4096];
  while (open_fds > 0) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      ssize_t n = read(fds[i].fd, buf, sizeof(buf));
      if (n > 0) {
        sinks[i]->append(buf, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  for (auto& fd : fds) {
    if (fd.fd >= 0) close(fd.fd);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

absl::StatusOr<std::unique_ptr<ClusterEnv>> ClusterEnv::Create(std::string_view namespace_prefix) {
  std::string dir = Getenv("JOINERY_CLUSTER_DIR");
  if (dir.empty()) {
    return absl::FailedPreconditionError(
        "JOINERY_CLUSTER_DIR is unset (run through ctest, or: scripts/local-cluster.sh up DIR && "
        "JOINERY_CLUSTER_DIR=DIR <test>)");
  }
  std::unique_ptr<ClusterEnv> env(new ClusterEnv());
  env->dir_ = dir;
  ASSIGN_OR_RETURN(env->config_, kube::LoadKubeconfig(env->kubeconfig_path()));
  ASSIGN_OR_RETURN(env->client_, kube::RestClient::Create(env->config_));

  // Unique across processes too: ctest may run several test binaries against the same cluster.
  std::random_device rd;
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string suffix;
  for (int i = 0; i < 8; ++i) suffix.push_back(kAlphabet[rd() % (sizeof(kAlphabet) - 1)]);
  env->ns_ = StrCat(namespace_prefix, "-", suffix);
  kube::Json ns_object = {
      {"apiVersion", "v1"},
      {"kind", "Namespace"},
      {"metadata", {{"name", env->ns_}, {"labels", {{"joinery.dev/integration", "true"}}}}}};
  // The API server may still be coming back from a restart by an earlier test: retry briefly.
  absl::Status last;
  bool created = PollUntil(
      [&] {
        auto r = env->client_->Create(kube::resources::Namespaces(), "", ns_object);
        last = r.status();
        return r.ok() || last.code() != absl::StatusCode::kUnavailable;
      },
      absl::Seconds(60));
  if (!created || !last.ok()) {
    return Annotate(last.ok() ? absl::DeadlineExceededError("timed out") : last,
                    StrCat("creating test namespace ", env->ns_));
  }
  return env;
}

ClusterEnv::~ClusterEnv() {
  if (client_ != nullptr && !ns_.empty()) {
    (void)client_->Delete(kube::resources::Namespaces(), "", ns_);
  }
}

absl::StatusOr<std::unique_ptr<kube::RestClient>> ClusterEnv::NewClient(
    const std::function<void(kube::RestConfig&)>& tweak) const {
  kube::RestConfig config = config_;
  if (tweak) tweak(config);
  return kube::RestClient::Create(std::move(config));
}

CommandResult ClusterEnv::Kubectl(const std::vector<std::string>& args) const {
  std::vector<std::string> argv = {"kubectl", "--kubeconfig", kubeconfig_path()};
  argv.insert(argv.end(), args.begin(), args.end());
  return Run(argv);
}

CommandResult ClusterEnv::ClusterScript(std::string_view command) const {
  std::string source = Getenv("JOINERY_SOURCE_DIR");
  if (source.empty()) source = ".";
  return Run({"bash", StrCat(source, "/scripts/local-cluster.sh"), std::string(command), dir_});
}

std::string ClusterEnv::UniqueName(std::string_view prefix) {
  static std::atomic<int> counter{0};
  return StrCat(prefix, "-", counter.fetch_add(1) + 1);
}

bool PollUntil(const std::function<bool()>& done, absl::Duration timeout) {
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(absl::ToInt64Milliseconds(timeout));
  for (;;) {
    if (done()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

void ClusterTest::SetUp() {
  if (Getenv("JOINERY_CLUSTER_DIR").empty()) {
    GTEST_SKIP() << "JOINERY_CLUSTER_DIR is unset: no cluster to test against";
  }
  auto env = ClusterEnv::Create();
  ASSERT_TRUE(env.ok()) << env.status();
  env_ = std::move(*env);
}

}  // namespace joinery::integration
