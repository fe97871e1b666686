# The simulated cloud provider, kubelet and EC2NodeClass status controller against the real control
# plane (the joinery_cluster fixture).
joinery_integration_test(joinery_simulated_integration_test
  SOURCES simulated_integration_test.cc cluster_env.cc
  LIBS joinery_cloudprovider_simulated joinery_kube_client)
# Designated initializers leave fields at their defaults on purpose (docs/DESIGN.md).
target_compile_options(joinery_simulated_integration_test PRIVATE -Wno-missing-field-initializers)
