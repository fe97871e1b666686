# Unit tests of the controllers: against kube::FakeClient (the in-memory API server), the real
# informer-fed state::Cluster and TestingCloudProvider (testing_cloud_provider.h).
joinery_test(joinery_controllers_test
  SOURCES workqueue_test.cc provisioning/provisioner_test.cc nodeclaim/lifecycle_test.cc
          nodepool/status_test.cc termination/termination_test.cc gc/garbage_collection_test.cc
  LIBS joinery_controllers joinery_cloudprovider_simulated joinery_kube)
# Fixtures use designated initializers (defaults plus overrides); GCC 12 warns about every member
# such an initializer leaves to its default.
target_compile_options(joinery_controllers_test PRIVATE -Wno-missing-field-initializers)
