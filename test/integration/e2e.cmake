# End-to-end tests of `joinery controller` on the local control plane (test/e2e/*.sh).
foreach(t walkthrough bad_input lifecycle)
  joinery_cluster_script_test(joinery_e2e_${t} ${PROJECT_SOURCE_DIR}/test/e2e/${t}.sh LABELS e2e)
endforeach()

# The scale test (ctest label `scale`): 1,000 pods over 10 Deployments.
joinery_cluster_script_test(joinery_e2e_scale ${PROJECT_SOURCE_DIR}/test/e2e/scale.sh LABELS scale)
