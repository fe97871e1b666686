# The machinery on top of kube::Client: label selectors, informers, leader election, events, and
# the in-memory FakeClient for unit tests.
add_library(joinery_kube
  label_selector.cc fake_client.cc fenced_client.cc informer.cc leader_election.cc events.cc)
target_link_libraries(joinery_kube
  PUBLIC joinery_kube_client joinery_common nlohmann_json::nlohmann_json absl::status
         absl::statusor absl::time Threads::Threads
  PRIVATE absl::strings absl::cord)

joinery_test(joinery_kube_runtime_test
  SOURCES label_selector_test.cc fake_client_test.cc fenced_client_test.cc informer_test.cc
          leader_election_test.cc
          events_test.cc
  LIBS joinery_kube)
