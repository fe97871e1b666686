// Host ports: two pods on one node cannot bind the same host port (Kubernetes' NodePorts filter,
// Karpenter's HostPortUsage). A port is (IP, port, protocol); an empty IP means 0.0.0.0, which
// conflicts with every IP on the same port and protocol; an empty protocol means TCP.
// Thread-safe: pure functions over values.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "joinery/api/types.h"

namespace joinery::scheduling {

struct HostPort {
  std::string ip = "0.0.0.0";
  int32_t port = 0;
  std::string protocol = "TCP";
  // Karpenter's wording: "IP=0.0.0.0 Port=8080 Proto=TCP".
  std::string ToString() const;
};

bool Conflicts(const HostPort& a, const HostPort& b);

// The host ports a pod binds: every container port (init containers included) with hostPort > 0.
std::vector<HostPort> PodHostPorts(const api::PodSpec& spec);

// OK when none of `incoming` conflicts with `used`; otherwise
// InvalidArgument "checking host port usage, IP=… conflicts with existing HostPort configuration
// IP=…", as Karpenter reports it.
absl::Status CheckHostPorts(const std::vector<HostPort>& used,
                            const std::vector<HostPort>& incoming);

}  // namespace joinery::scheduling
