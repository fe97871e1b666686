# RestClient against the real API server (the joinery_cluster fixture). cluster_env.cc is the shared
# helper for all integration tests: add it to SOURCES and include "cluster_env.h".
joinery_integration_test(joinery_kube_client_integration_test
  SOURCES kube_client_integration_test.cc cluster_env.cc
  LIBS joinery_kube_client)
# Designated initializers leave fields at their defaults on purpose (docs/DESIGN.md).
target_compile_options(joinery_kube_client_integration_test PRIVATE -Wno-missing-field-initializers)
