# deploy/ manifests against the local control plane: CRDs, printer columns, status pruning, RBAC.
# Leaves the CRDs and RBAC installed for the tests that follow (they are applied idempotently).
joinery_cluster_script_test(joinery_deploy_smoke
  ${CMAKE_CURRENT_SOURCE_DIR}/cluster_smoke_test.sh LABELS deploy)
