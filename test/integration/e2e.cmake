# End-to-end tests of `joinery controller` on the local control plane (test/e2e/*.sh).
foreach(t walkthrough bad_input lifecycle)
  joinery_cluster_script_test(joinery_e2e_${t} ${PROJECT_SOURCE_DIR}/test/e2e/${t}.sh LABELS e2e)
endforeach()

# The scale test (ctest label `scale`): 1,000 pods over 10 Deployments.
joinery_cluster_script_test(joinery_e2e_scale ${PROJECT_SOURCE_DIR}/test/e2e/scale.sh LABELS scale)
# 3,000 pods: the controller's peak RSS stays under 150 MB.
joinery_cluster_script_test(joinery_e2e_scale_3000 ${PROJECT_SOURCE_DIR}/test/e2e/scale_3000.sh
  LABELS scale)

# Failover (issue 10): the undisturbed baseline first (fixture), then the four disturbances.
joinery_cluster_script_test(joinery_e2e_failover_undisturbed
  ${PROJECT_SOURCE_DIR}/test/e2e/failover_undisturbed.sh LABELS "e2e;failover")
set_tests_properties(joinery_e2e_failover_undisturbed PROPERTIES
  FIXTURES_SETUP joinery_failover_baseline)
foreach(t kill_launch kill_loop freeze apiserver_outage)
  joinery_cluster_script_test(joinery_e2e_failover_${t} ${PROJECT_SOURCE_DIR}/test/e2e/failover_${t}.sh
    LABELS "e2e;failover")
  set_tests_properties(joinery_e2e_failover_${t} PROPERTIES
    FIXTURES_REQUIRED "joinery_cluster;joinery_failover_baseline")
endforeach()
