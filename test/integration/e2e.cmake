# End-to-end tests of `joinery controller` on the local control plane (test/e2e/*.sh).
foreach(t walkthrough)
  joinery_cluster_script_test(joinery_e2e_${t} ${PROJECT_SOURCE_DIR}/test/e2e/${t}.sh LABELS e2e)
endforeach()
