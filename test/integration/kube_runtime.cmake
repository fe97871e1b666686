# Informers, leader election and events against the real API server (the joinery_cluster fixture).
joinery_integration_test(joinery_kube_runtime_integration_test
  SOURCES kube_runtime_integration_test.cc cluster_env.cc
  LIBS joinery_kube)
# Designated initializers leave fields at their defaults on purpose (docs/DESIGN.md).
target_compile_options(joinery_kube_runtime_integration_test PRIVATE -Wno-missing-field-initializers)
