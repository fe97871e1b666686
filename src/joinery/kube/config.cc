#include "joinery/kube/config.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include "absl/strings/escaping.h"
#include "joinery/common/status.h"
#include "joinery/common/strings.h"
#include "yaml-cpp/yaml.h"

namespace joinery::kube {
namespace {

namespace fs = std::filesystem;

absl::StatusOr<std::string> ReadFile(const std::string& path, std::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(StrCat("cannot read ", what, " ", path));
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return absl::NotFoundError(StrCat("cannot read ", what, " ", path));
  return ss.str();
}

std::string TrimSpace(std::string s) {
  const char* ws = " \t\r\n";
  size_t b = s.find_first_not_of(ws);
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(ws);
  return s.substr(b, e - b + 1);
}

// Finds the entry named `name` in a kubeconfig list (clusters, users, contexts) and returns its
// inner map (entry[field]); an empty map when the entry has none. nullopt when there is no entry.
std::optional<YAML::Node> FindNamed(const YAML::Node& list, const std::string& name,
                                    const std::string& field) {
  if (!list.IsDefined() || !list.IsSequence()) return std::nullopt;
  for (const auto& entry : list) {
    if (entry.IsMap() && entry["name"] && entry["name"].IsScalar() &&
        entry["name"].as<std::string>() == name) {
      YAML::Node inner = entry[field];
      if (inner.IsDefined() && inner.IsMap()) return inner;
      return YAML::Node(YAML::NodeType::Map);
    }
  }
  return std::nullopt;
}

std::string Str(const YAML::Node& map, const char* key) {
  if (!map.IsDefined() || !map.IsMap()) return "";
  const YAML::Node v = map[key];
  if (!v.IsDefined() || v.IsNull()) return "";
  return v.as<std::string>();  // throws YAML::Exception on a non-scalar: reported as malformed
}

// Reads "<key>-data" (base64) or "<key>" (a file path, relative to `dir`) from `map`.
absl::StatusOr<std::string> DataOrFile(const YAML::Node& map, const std::string& key,
                                       const fs::path& dir, std::string_view where) {
  std::string data = Str(map, (key + "-data").c_str());
  if (!data.empty()) {
    std::string out;
    if (!absl::Base64Unescape(data, &out)) {
      return absl::InvalidArgumentError(StrCat(where, ": ", key, "-data is not valid base64"));
    }
    return out;
  }
  std::string file = Str(map, key.c_str());
  if (file.empty()) return std::string();
  fs::path p(file);
  if (p.is_relative()) p = dir / p;
  auto content = ReadFile(p.string(), StrCat(where, " ", key));
  if (!content.ok()) return content.status();
  return content;
}

absl::StatusOr<RestConfig> ParseKubeconfig(const YAML::Node& root, const std::string& path,
                                           std::string_view context_override) {
  const fs::path dir = fs::absolute(fs::path(path)).parent_path();
  if (!root.IsMap()) return absl::InvalidArgumentError(StrCat(path, ": not a kubeconfig (no map)"));

  std::string context_name =
      context_override.empty() ? Str(root, "current-context") : std::string(context_override);
  if (context_name.empty()) {
    return absl::NotFoundError(StrCat(path, ": no current-context and no context given"));
  }
  const YAML::Node& croot = root;  // const: operator[] must not insert
  std::optional<YAML::Node> found_context = FindNamed(croot["contexts"], context_name, "context");
  if (!found_context)
    return absl::NotFoundError(StrCat(path, ": context \"", context_name, "\" not found"));
  const YAML::Node context = *found_context;
  std::string cluster_name = Str(context, "cluster");
  std::string user_name = Str(context, "user");
  if (cluster_name.empty()) {
    return absl::InvalidArgumentError(
        StrCat(path, ": context \"", context_name, "\" names no cluster"));
  }
  std::optional<YAML::Node> found_cluster = FindNamed(croot["clusters"], cluster_name, "cluster");
  if (!found_cluster) {
    return absl::NotFoundError(StrCat(path, ": cluster \"", cluster_name, "\" (of context \"",
                                      context_name, "\") not found"));
  }

  const YAML::Node cluster = *found_cluster;
  RestConfig config;
  config.default_namespace = Str(context, "namespace");
  config.server = Str(cluster, "server");
  while (!config.server.empty() && config.server.back() == '/') config.server.pop_back();
  if (config.server.empty()) {
    return absl::InvalidArgumentError(
        StrCat(path, ": cluster \"", cluster_name, "\" has no server"));
  }
  const std::string cluster_where = StrCat(path, ": cluster \"", cluster_name, "\"");
  ASSIGN_OR_RETURN(config.ca_pem, DataOrFile(cluster, "certificate-authority", dir, cluster_where));
  if (cluster["insecure-skip-tls-verify"].IsDefined()) {
    config.insecure_skip_tls_verify = cluster["insecure-skip-tls-verify"].as<bool>();
  }

  if (!user_name.empty()) {
    std::optional<YAML::Node> found_user = FindNamed(croot["users"], user_name, "user");
    if (!found_user) {
      return absl::NotFoundError(
          StrCat(path, ": user \"", user_name, "\" (of context \"", context_name, "\") not found"));
    }
    const YAML::Node user = *found_user;
    const std::string user_where = StrCat(path, ": user \"", user_name, "\"");
    if (user["exec"].IsDefined()) {
      return absl::UnimplementedError(
          StrCat(user_where,
                 ": exec credential plugins are not supported; use a token or a "
                 "client certificate"));
    }
    if (user["auth-provider"].IsDefined()) {
      return absl::UnimplementedError(
          StrCat(user_where,
                 ": auth-provider plugins are not supported; use a token or a "
                 "client certificate"));
    }
    if (!Str(user, "username").empty() || !Str(user, "password").empty()) {
      return absl::UnimplementedError(
          StrCat(user_where, ": basic authentication is not supported"));
    }
    config.bearer_token = TrimSpace(Str(user, "token"));
    std::string token_file = Str(user, "tokenFile");
    if (!token_file.empty()) {
      fs::path p(token_file);
      if (p.is_relative()) p = dir / p;
      config.bearer_token_file = p.string();
      // Read once now so that a missing file is reported at load time.
      ASSIGN_OR_RETURN(std::string token,
                       ReadFile(config.bearer_token_file, StrCat(user_where, " tokenFile")));
      if (config.bearer_token.empty()) config.bearer_token = TrimSpace(token);
    }
    ASSIGN_OR_RETURN(config.client_cert_pem,
                     DataOrFile(user, "client-certificate", dir, user_where));
    ASSIGN_OR_RETURN(config.client_key_pem, DataOrFile(user, "client-key", dir, user_where));
    if (config.client_cert_pem.empty() != config.client_key_pem.empty()) {
      return absl::InvalidArgumentError(
          StrCat(user_where, ": client-certificate and client-key must be given together"));
    }
  }
  return config;
}

std::string Getenv(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? std::string() : std::string(v);
}

}  // namespace

absl::StatusOr<RestConfig> LoadKubeconfig(std::string_view path_view,
                                          std::string_view context_override) {
  const std::string path(path_view);
  ASSIGN_OR_RETURN(std::string text, ReadFile(path, "kubeconfig"));
  try {
    YAML::Node root = YAML::Load(text);
    return ParseKubeconfig(root, path, context_override);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(StrCat(path, ": malformed kubeconfig: ", e.what()));
  }
}

absl::StatusOr<RestConfig> InClusterConfig(std::string_view service_account_dir) {
  std::string host = Getenv("KUBERNETES_SERVICE_HOST");
  std::string port = Getenv("KUBERNETES_SERVICE_PORT");
  if (host.empty() || port.empty()) {
    return absl::FailedPreconditionError(
        "not running in a cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are unset");
  }
  const fs::path dir{std::string(service_account_dir)};
  RestConfig config;
  // An IPv6 address needs brackets in a URL.
  if (host.find(':') != std::string::npos) host = StrCat("[", host, "]");
  config.server = StrCat("https://", host, ":", port);
  config.bearer_token_file = (dir / "token").string();
  ASSIGN_OR_RETURN(std::string token,
                   ReadFile(config.bearer_token_file, "in-cluster service account token"));
  config.bearer_token = TrimSpace(token);
  ASSIGN_OR_RETURN(config.ca_pem, ReadFile((dir / "ca.crt").string(), "in-cluster CA"));
  auto ns = ReadFile((dir / "namespace").string(), "namespace");
  if (ns.ok()) config.default_namespace = TrimSpace(*ns);
  return config;
}

absl::StatusOr<RestConfig> LoadConfig(std::string_view kubeconfig_path) {
  if (!kubeconfig_path.empty()) return LoadKubeconfig(kubeconfig_path);
  std::string env = Getenv("KUBECONFIG");
  if (!env.empty()) {
    std::string first;
    size_t start = 0;
    while (start <= env.size()) {
      size_t end = env.find(':', start);
      if (end == std::string::npos) end = env.size();
      std::string entry = env.substr(start, end - start);
      if (!entry.empty()) {
        if (first.empty()) first = entry;
        std::error_code ec;
        if (fs::exists(entry, ec)) return LoadKubeconfig(entry);
      }
      start = end + 1;
    }
    if (!first.empty()) return LoadKubeconfig(first);  // reports the missing file
  }
  if (!Getenv("KUBERNETES_SERVICE_HOST").empty()) return InClusterConfig();
  std::string home = Getenv("HOME");
  if (!home.empty()) {
    std::string path = (fs::path(home) / ".kube" / "config").string();
    std::error_code ec;
    if (fs::exists(path, ec)) return LoadKubeconfig(path);
  }
  return absl::NotFoundError(
      "no Kubernetes configuration: pass --kubeconfig, set $KUBECONFIG, run in a cluster, or "
      "create ~/.kube/config");
}

}  // namespace joinery::kube
