#include "joinery/kube/config.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace joinery::kube {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "joinery-config-test-XXXXXX").string();
    char* made = mkdtemp(tmpl.data());
    EXPECT_NE(made, nullptr);
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }
  std::string Write(const std::string& name, const std::string& content) const {
    fs::path p = path_ / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << content;
    return p.string();
  }

 private:
  fs::path path_;
};

std::string B64(const std::string& s) { return absl::Base64Escape(s); }

// Sets an environment variable for the lifetime of the object, restoring the old value after.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    const char* old = std::getenv(name);
    if (old != nullptr) old_ = old;
    had_ = old != nullptr;
    if (value == nullptr) {
      unsetenv(name);
    } else {
      setenv(name, value, 1);
    }
  }
  ~ScopedEnv() {
    if (had_) {
      setenv(name_, old_.c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::string old_;
  bool had_ = false;
};

constexpr char kTokenConfig[] = R"(
apiVersion: v1
kind: Config
current-context: admin@local
clusters:
- name: local
  cluster:
    server: https://127.0.0.1:6443/
    certificate-authority-data: Q0EtUEVN
contexts:
- name: admin@local
  context:
    cluster: local
    user: admin
    namespace: team-a
- name: other
  context:
    cluster: remote
    user: certuser
users:
- name: admin
  user:
    token: " secret-token\n"
- name: certuser
  user:
    client-certificate: certs/client.crt
    client-key: certs/client.key
)";

TEST(LoadKubeconfig, ReadsTokenCaDataAndNamespaceFromCurrentContext) {
  TempDir dir;
  auto config = LoadKubeconfig(dir.Write("kubeconfig", kTokenConfig));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->server, "https://127.0.0.1:6443");
  EXPECT_EQ(config->bearer_token, "secret-token");
  EXPECT_EQ(config->ca_pem, "CA-PEM");
  EXPECT_EQ(config->default_namespace, "team-a");
  EXPECT_FALSE(config->insecure_skip_tls_verify);
  EXPECT_TRUE(config->client_cert_pem.empty());
}

TEST(LoadKubeconfig, ContextOverrideResolvesRelativeCertificatePaths) {
  TempDir dir;
  std::string config_text = std::string(R"(
current-context: admin@local
clusters:
- name: remote
  cluster:
    server: https://remote:443
    certificate-authority: ca/ca.crt
    insecure-skip-tls-verify: true
contexts:
- name: other
  context: {cluster: remote, user: certuser}
users:
- name: certuser
  user:
    client-certificate: certs/client.crt
    client-key: certs/client.key
)");
  dir.Write("sub/ca/ca.crt", "CA-FROM-FILE");
  dir.Write("sub/certs/client.crt", "CERT-PEM");
  dir.Write("sub/certs/client.key", "KEY-PEM");
  auto config = LoadKubeconfig(dir.Write("sub/kubeconfig", config_text), "other");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->server, "https://remote:443");
  EXPECT_EQ(config->ca_pem, "CA-FROM-FILE");
  EXPECT_EQ(config->client_cert_pem, "CERT-PEM");
  EXPECT_EQ(config->client_key_pem, "KEY-PEM");
  EXPECT_TRUE(config->insecure_skip_tls_verify);
  EXPECT_TRUE(config->bearer_token.empty());
}

TEST(LoadKubeconfig, DataFieldsWinOverFiles) {
  TempDir dir;
  std::string text =
      "current-context: c\n"
      "clusters: [{name: k, cluster: {server: 'https://h', "
      "certificate-authority: missing.crt, certificate-authority-data: " +
      B64("CA-DATA") +
      "}}]\n"
      "contexts: [{name: c, context: {cluster: k, user: u}}]\n"
      "users: [{name: u, user: {client-certificate-data: " +
      B64("CERT") + ", client-key-data: " + B64("KEY") + "}}]\n";
  auto config = LoadKubeconfig(dir.Write("kc", text));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->ca_pem, "CA-DATA");
  EXPECT_EQ(config->client_cert_pem, "CERT");
  EXPECT_EQ(config->client_key_pem, "KEY");
}

TEST(LoadKubeconfig, TokenFileIsRecordedAndRead) {
  TempDir dir;
  dir.Write("token", "file-token\n");
  std::string text =
      "current-context: c\n"
      "clusters: [{name: k, cluster: {server: 'https://h'}}]\n"
      "contexts: [{name: c, context: {cluster: k, user: u}}]\n"
      "users: [{name: u, user: {tokenFile: token}}]\n";
  auto config = LoadKubeconfig(dir.Write("kc", text));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->bearer_token_file, (dir.path() / "token").string());
  EXPECT_EQ(config->bearer_token, "file-token");
}

TEST(LoadKubeconfig, ErrorsNameTheFileAndWhatIsMissing) {
  TempDir dir;
  auto missing = LoadKubeconfig((dir.path() / "nope").string());
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr("nope"));

  const std::string path = dir.Write("kc", kTokenConfig);
  auto no_context = LoadKubeconfig(path, "ghost");
  EXPECT_EQ(no_context.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(no_context.status().message(), HasSubstr("context \"ghost\""));
  EXPECT_THAT(no_context.status().message(), HasSubstr(path));

  auto no_cluster = LoadKubeconfig(path, "other");  // names cluster "remote", which is absent
  EXPECT_EQ(no_cluster.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(no_cluster.status().message(), HasSubstr("cluster \"remote\""));

  auto no_user =
      LoadKubeconfig(dir.Write("kc2",
                               "current-context: c\n"
                               "clusters: [{name: k, cluster: {server: 'https://h'}}]\n"
                               "contexts: [{name: c, context: {cluster: k, user: u}}]\n"));
  EXPECT_EQ(no_user.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(no_user.status().message(), HasSubstr("user \"u\""));

  auto no_current = LoadKubeconfig(dir.Write("kc3", "clusters: []\n"));
  EXPECT_EQ(no_current.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(no_current.status().message(), HasSubstr("current-context"));

  auto malformed = LoadKubeconfig(dir.Write("kc4", "clusters: [unclosed\n"));
  EXPECT_EQ(malformed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(malformed.status().message(), HasSubstr("kc4"));

  auto missing_ca = LoadKubeconfig(dir.Write(
      "kc5",
      "current-context: c\n"
      "clusters: [{name: k, cluster: {server: 'https://h', certificate-authority: ca.crt}}]\n"
      "contexts: [{name: c, context: {cluster: k}}]\n"));
  EXPECT_EQ(missing_ca.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(missing_ca.status().message(), HasSubstr("ca.crt"));

  auto bad_b64 = LoadKubeconfig(dir.Write(
      "kc6",
      "current-context: c\n"
      "clusters: [{name: k, cluster: {server: 'https://h', certificate-authority-data: '!!'}}]\n"
      "contexts: [{name: c, context: {cluster: k}}]\n"));
  EXPECT_EQ(bad_b64.status().code(), absl::StatusCode::kInvalidArgument);

  auto no_server = LoadKubeconfig(dir.Write("kc7",
                                            "current-context: c\n"
                                            "clusters: [{name: k, cluster: {}}]\n"
                                            "contexts: [{name: c, context: {cluster: k}}]\n"));
  EXPECT_EQ(no_server.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(no_server.status().message(), HasSubstr("no server"));
}

TEST(LoadKubeconfig, ExecAndAuthProviderPluginsAreUnimplemented) {
  TempDir dir;
  const std::string base =
      "current-context: c\n"
      "clusters: [{name: k, cluster: {server: 'https://h'}}]\n"
      "contexts: [{name: c, context: {cluster: k, user: u}}]\n";
  auto exec = LoadKubeconfig(dir.Write(
      "exec", base + "users: [{name: u, user: {exec: {command: aws, apiVersion: x}}}]\n"));
  EXPECT_EQ(exec.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(exec.status().message(), HasSubstr("exec"));
  auto provider = LoadKubeconfig(
      dir.Write("ap", base + "users: [{name: u, user: {auth-provider: {name: gcp}}}]\n"));
  EXPECT_EQ(provider.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(provider.status().message(), HasSubstr("auth-provider"));
}

TEST(InClusterConfig, ReadsServiceAccountDirectory) {
  TempDir dir;
  dir.Write("token", "sa-token\n");
  dir.Write("ca.crt", "SA-CA");
  dir.Write("namespace", "kube-system");
  ScopedEnv host("KUBERNETES_SERVICE_HOST", "10.96.0.1");
  ScopedEnv port("KUBERNETES_SERVICE_PORT", "443");
  auto config = InClusterConfig(dir.path().string());
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->server, "https://10.96.0.1:443");
  EXPECT_EQ(config->bearer_token, "sa-token");
  EXPECT_EQ(config->bearer_token_file, (dir.path() / "token").string());
  EXPECT_EQ(config->ca_pem, "SA-CA");
  EXPECT_EQ(config->default_namespace, "kube-system");
}

TEST(InClusterConfig, BracketsIpv6Hosts) {
  TempDir dir;
  dir.Write("token", "t");
  dir.Write("ca.crt", "c");
  ScopedEnv host("KUBERNETES_SERVICE_HOST", "fd00::1");
  ScopedEnv port("KUBERNETES_SERVICE_PORT", "443");
  auto config = InClusterConfig(dir.path().string());
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->server, "https://[fd00::1]:443");
}

TEST(InClusterConfig, FailsOutsideAPodOrWithoutToken) {
  TempDir dir;
  {
    ScopedEnv host("KUBERNETES_SERVICE_HOST", nullptr);
    EXPECT_EQ(InClusterConfig(dir.path().string()).status().code(),
              absl::StatusCode::kFailedPrecondition);
  }
  ScopedEnv host("KUBERNETES_SERVICE_HOST", "10.0.0.1");
  ScopedEnv port("KUBERNETES_SERVICE_PORT", "443");
  auto config = InClusterConfig(dir.path().string());
  EXPECT_EQ(config.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(config.status().message(), HasSubstr("token"));
}

TEST(LoadConfig, PrefersExplicitPathThenKubeconfigEnvThenHome) {
  TempDir dir;
  const std::string explicit_path =
      dir.Write("explicit",
                "current-context: c\nclusters: [{name: k, cluster: {server: 'https://explicit'}}]\n"
                "contexts: [{name: c, context: {cluster: k}}]\n");
  const std::string env_path =
      dir.Write("env",
                "current-context: c\nclusters: [{name: k, cluster: {server: 'https://env'}}]\n"
                "contexts: [{name: c, context: {cluster: k}}]\n");
  dir.Write("home/.kube/config",
            "current-context: c\nclusters: [{name: k, cluster: {server: 'https://home'}}]\n"
            "contexts: [{name: c, context: {cluster: k}}]\n");
  ScopedEnv in_cluster("KUBERNETES_SERVICE_HOST", nullptr);
  ScopedEnv home("HOME", (dir.path() / "home").c_str());
  {
    ScopedEnv kc("KUBECONFIG",
                 (dir.path() / "absent").string().append(":").append(env_path).c_str());
    EXPECT_EQ(LoadConfig(explicit_path)->server, "https://explicit");
    EXPECT_EQ(LoadConfig()->server, "https://env");
  }
  ScopedEnv kc("KUBECONFIG", nullptr);
  EXPECT_EQ(LoadConfig()->server, "https://home");
  ScopedEnv nohome("HOME", (dir.path() / "nowhere").c_str());
  EXPECT_EQ(LoadConfig().status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace joinery::kube
