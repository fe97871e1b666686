// How to reach and authenticate to a Kubernetes API server: loaded from a kubeconfig file or from
// the in-cluster service account, and handed to RestClient::Create (rest_client.h).
//
// All credentials are held in memory as PEM / token text; files named by a kubeconfig are read at
// load time, except the bearer token file, which RestClient re-reads periodically (projected
// service-account tokens rotate). Pure values and free functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace joinery::kube {

struct RestConfig {
  std::string server;             // "https://10.0.0.1:6443" (no trailing slash)
  std::string bearer_token;       // used when bearer_token_file is empty or unreadable
  std::string bearer_token_file;  // re-read every minute by RestClient (projected SA tokens)
  std::string ca_pem;             // trusted CA bundle; empty = the system's
  std::string client_cert_pem;    // client certificate (mutual TLS); empty = none
  std::string client_key_pem;
  bool insecure_skip_tls_verify = false;
  double qps = 200;  // client-side rate limit; <= 0 disables it
  int burst = 300;
  std::string user_agent = "joinery";
  absl::Duration timeout = absl::Seconds(30);  // per request; watches are exempt
  std::string default_namespace;  // the kubeconfig context's namespace / the pod's; may be empty
};

// Reads a kubeconfig file. `context_override` picks a context instead of current-context.
// Supports token, tokenFile, client-certificate(-data), client-key(-data),
// certificate-authority(-data) and insecure-skip-tls-verify; relative file paths are resolved
// against the kubeconfig's directory. Errors: kNotFound (file, context, cluster or user missing),
// kInvalidArgument (malformed YAML or fields), kUnimplemented (exec / auth-provider plugins,
// basic auth). Messages name the file and what is missing.
absl::StatusOr<RestConfig> LoadKubeconfig(std::string_view path,
                                          std::string_view context_override = "");

inline constexpr char kServiceAccountDir[] = "/var/run/secrets/kubernetes.io/serviceaccount";

// The in-cluster configuration: https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT, the
// service account's token (as bearer_token_file, also read once into bearer_token), ca.crt and
// namespace under `service_account_dir`. kFailedPrecondition when the environment variables are
// unset (not running in a pod); kNotFound when the token is missing.
absl::StatusOr<RestConfig> InClusterConfig(
    std::string_view service_account_dir = kServiceAccountDir);

// The usual search order: `kubeconfig_path` when non-empty; else $KUBECONFIG (the first existing
// entry of a ':'-separated list; files are not merged); else the in-cluster config when
// $KUBERNETES_SERVICE_HOST is set; else ~/.kube/config. kNotFound when none applies.
absl::StatusOr<RestConfig> LoadConfig(std::string_view kubeconfig_path = "");

}  // namespace joinery::kube
