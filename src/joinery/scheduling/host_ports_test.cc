#include "joinery/scheduling/host_ports.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace joinery::scheduling {
namespace {

HostPort Port(std::string ip, int32_t port, std::string protocol = "TCP") {
  HostPort p;
  p.ip = std::move(ip);
  p.port = port;
  p.protocol = std::move(protocol);
  return p;
}

TEST(HostPortsTest, SamePortAndProtocolConflictOnTheSameOrTheWildcardIp) {
  EXPECT_TRUE(Conflicts(Port("0.0.0.0", 80), Port("0.0.0.0", 80)));
  EXPECT_TRUE(Conflicts(Port("0.0.0.0", 80), Port("10.0.0.1", 80)));
  EXPECT_TRUE(Conflicts(Port("10.0.0.1", 80), Port("0.0.0.0", 80)));
  EXPECT_TRUE(Conflicts(Port("10.0.0.1", 80), Port("10.0.0.1", 80)));
}

TEST(HostPortsTest, DifferentIpPortOrProtocolDoNotConflict) {
  EXPECT_FALSE(Conflicts(Port("10.0.0.1", 80), Port("10.0.0.2", 80)));
  EXPECT_FALSE(Conflicts(Port("0.0.0.0", 80), Port("0.0.0.0", 81)));
  EXPECT_FALSE(Conflicts(Port("0.0.0.0", 53, "TCP"), Port("0.0.0.0", 53, "UDP")));
}

TEST(HostPortsTest, PodHostPortsDefaultsIpAndProtocolAndSkipsContainerOnlyPorts) {
  api::PodSpec spec;
  api::Container init;
  init.ports.push_back({.name = "", .container_port = 9000, .host_port = 9000, .host_ip = "",
                        .protocol = "UDP"});
  spec.init_containers.push_back(init);
  api::Container app;
  app.ports.push_back({.name = "http", .container_port = 8080, .host_port = 0, .host_ip = "",
                       .protocol = ""});
  app.ports.push_back({.name = "metrics", .container_port = 9100, .host_port = 9100,
                       .host_ip = "10.0.0.1", .protocol = ""});
  spec.containers.push_back(app);
  auto ports = PodHostPorts(spec);
  ASSERT_EQ(ports.size(), 2u);
  EXPECT_EQ(ports[0].ToString(), "IP=0.0.0.0 Port=9000 Proto=UDP");
  EXPECT_EQ(ports[1].ToString(), "IP=10.0.0.1 Port=9100 Proto=TCP");
}

TEST(HostPortsTest, CheckHostPortsNamesBothSidesInKarpentersWords) {
  EXPECT_TRUE(CheckHostPorts({Port("0.0.0.0", 80)}, {Port("0.0.0.0", 443)}).ok());
  absl::Status st = CheckHostPorts({Port("0.0.0.0", 80)}, {Port("10.0.0.1", 80)});
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(st.message(),
            "checking host port usage, IP=10.0.0.1 Port=80 Proto=TCP conflicts with existing "
            "HostPort configuration IP=0.0.0.0 Port=80 Proto=TCP");
}

}  // namespace
}  // namespace joinery::scheduling
