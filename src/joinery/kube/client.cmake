# The REST implementation of kube::Client: kubeconfig / in-cluster config, libcurl transport,
# API error mapping, client-side rate limiting.
add_library(joinery_kube_client client.cc config.cc rest_client.cc rate_limiter.cc)
target_link_libraries(joinery_kube_client
  PUBLIC joinery_common nlohmann_json::nlohmann_json absl::status absl::statusor absl::time
  PRIVATE CURL::libcurl yaml-cpp absl::strings absl::cord Threads::Threads)

joinery_test(joinery_kube_client_test
  SOURCES config_test.cc client_test.cc rest_client_test.cc rate_limiter_test.cc
  LIBS joinery_kube_client)
