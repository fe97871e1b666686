#include "joinery/scheduling/host_ports.h"

#include "joinery/common/strings.h"

namespace joinery::scheduling {

std::string HostPort::ToString() const {
  return StrCat("IP=", ip, " Port=", port, " Proto=", protocol);
}

bool Conflicts(const HostPort& a, const HostPort& b) {
  if (a.port != b.port || a.protocol != b.protocol) return false;
  return a.ip == b.ip || a.ip == "0.0.0.0" || b.ip == "0.0.0.0";
}

std::vector<HostPort> PodHostPorts(const api::PodSpec& spec) {
  std::vector<HostPort> out;
  auto collect = [&](const std::vector<api::Container>& containers) {
    for (const auto& c : containers) {
      for (const auto& p : c.ports) {
        if (p.host_port <= 0) continue;
        HostPort hp;
        if (!p.host_ip.empty()) hp.ip = p.host_ip;
        hp.port = p.host_port;
        if (!p.protocol.empty()) hp.protocol = p.protocol;
        out.push_back(std::move(hp));
      }
    }
  };
  collect(spec.init_containers);
  collect(spec.containers);
  return out;
}

absl::Status CheckHostPorts(const std::vector<HostPort>& used,
                            const std::vector<HostPort>& incoming) {
  for (size_t i = 0; i < incoming.size(); ++i) {
    for (const auto& u : used) {
      if (Conflicts(incoming[i], u)) {
        return absl::InvalidArgumentError(
            StrCat("checking host port usage, ", incoming[i].ToString(),
                   " conflicts with existing HostPort configuration ", u.ToString()));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace joinery::scheduling
