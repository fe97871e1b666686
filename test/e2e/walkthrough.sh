#!/usr/bin/env bash
# The EKS workshop's Trainium walkthrough, end to end on a real control plane: two controller
# replicas, the trainium-trn1 EC2NodeClass and NodePool from examples/trainium/, the vLLM Mistral-7B
# Deployment, nodes that register and take the pod, the NodePool's neuron limit capping a scale-up
# to 3 replicas at 2 nodes, and a leader that dies while the other replica carries on.
source "$(dirname "$0")/lib.sh"
TEST_NAMESPACES=(vllm)

live_nodeclaims() {  # NodeClaims not being deleted
  k get nodeclaims --no-headers -o custom-columns=N:.metadata.name,D:.metadata.deletionTimestamp \
    2>/dev/null | awk '$2 == "<none>"' | grep -c . || true
}
nodepool_row() {  # NAME NODECLASS NODES READY (AGE dropped)
  k get nodepool trainium-trn1 --no-headers 2>/dev/null | awk '{print $1, $2, $3, $4}'
}
running_pods() {
  k get pods -n vllm --field-selector=status.phase=Running --no-headers 2>/dev/null | grep -c . || true
}

install_joinery
start_controller replica-a
start_controller replica-b
wait_for "one replica holds the leader lease" 60 bash -c '[ -n "$(kubectl get lease -n kube-system joinery-leader-election -o jsonpath={.spec.holderIdentity} 2>/dev/null)" ]'
first_leader="$(leader)"
log "leader: $first_leader"

apply_example ec2nodeclass.yaml
apply_example nodepool.yaml
wait_for "EC2NodeClass trainium-trn1 Ready" 60 bash -c '[ "$(kubectl get ec2nodeclass trainium-trn1 -o jsonpath="{.status.conditions[?(@.type==\"Ready\")].status}" 2>/dev/null)" = True ]'
wait_for "kubectl get nodepool shows 'trainium-trn1 trainium-trn1 0 True'" 60 \
  bash -c "[ \"\$(kubectl get nodepool trainium-trn1 --no-headers 2>/dev/null | awk '{print \$1, \$2, \$3, \$4}')\" = 'trainium-trn1 trainium-trn1 0 True' ]"
expect_eq "kubectl get nodepool header" "$(k get nodepool | head -1 | awk '{print $1, $2, $3, $4, $5}')" \
  "NAME NODECLASS NODES READY AGE"

# The inference Deployment: one pod that needs a Neuron device.
k apply -f "$JOINERY_SOURCE_DIR/examples/trainium/vllm.yaml" >&2
wait_for "a NodeClaim appears" 60 bash -c '[ "$(kubectl get nodeclaims -o name 2>/dev/null | wc -l)" -ge 1 ]'
claim="$(k get nodeclaims -o jsonpath='{.items[0].metadata.name}')"
case "$claim" in trainium-trn1-?????) log "ok: NodeClaim name $claim";; *) fail "NodeClaim name $claim is not trainium-trn1-<5 chars>";; esac
wait_for "NodeClaim $claim launched" 60 bash -c "[ -n \"\$(kubectl get nodeclaim $claim -o jsonpath='{.status.providerID}' 2>/dev/null)\" ]"
expect_eq "instance type" "$(k get nodeclaim "$claim" -o jsonpath='{.metadata.labels.node\.kubernetes\.io/instance-type}')" trn1.2xlarge
expect_eq "capacity type" "$(k get nodeclaim "$claim" -o jsonpath='{.metadata.labels.karpenter\.sh/capacity-type}')" on-demand
expect_eq "owner" "$(k get nodeclaim "$claim" -o jsonpath='{.metadata.ownerReferences[0].kind}/{.metadata.ownerReferences[0].name}')" NodePool/trainium-trn1
expect_eq "neuron request" "$(k get nodeclaim "$claim" -o jsonpath='{.spec.resources.requests.aws\.amazon\.com/neuron}')" 1
[ -n "$(k get nodeclaim "$claim" -o jsonpath='{.metadata.annotations.karpenter\.sh/nodepool-hash}')" ] \
  || fail "NodeClaim $claim has no karpenter.sh/nodepool-hash annotation"
wait_for "NodeClaim $claim Ready" 90 bash -c "[ \"\$(kubectl get nodeclaim $claim -o jsonpath='{.status.conditions[?(@.type==\"Ready\")].status}' 2>/dev/null)\" = True ]"
node="$(k get nodeclaim "$claim" -o jsonpath='{.status.nodeName}')"
log "node: $node"
expect_eq "node labels (template)" "$(k get node "$node" -o jsonpath='{.metadata.labels.instanceType} {.metadata.labels.provisionerType} {.metadata.labels.neuron\.amazonaws\.com/neuron-device} {.metadata.labels.karpenter\.sh/nodepool}')" \
  "trn1.2xlarge Karpenter true trainium-trn1"
expect_eq "node taints" "$(k get node "$node" -o jsonpath='{range .spec.taints[*]}{.key}={.value}:{.effect} {end}')" \
  "aws.amazon.com/neuron=true:NoSchedule "
expect_eq "node neuron allocatable" "$(k get node "$node" -o jsonpath='{.status.allocatable.aws\.amazon\.com/neuron}')" 1
wait_for "kube-scheduler binds the mistral pod to $node and it runs" 90 bash -c \
  "kubectl get pods -n vllm -o jsonpath='{range .items[*]}{.spec.nodeName}/{.status.phase}{end}' 2>/dev/null | grep -qx '$node/Running'"
wait_for "kubectl get nodepool shows 1 node" 60 \
  bash -c "[ \"\$(kubectl get nodepool trainium-trn1 --no-headers 2>/dev/null | awk '{print \$3, \$4}')\" = '1 True' ]"

# Scale to 3: the NodePool's aws.amazon.com/neuron: 2 limit allows exactly 2 nodes.
k scale deployment -n vllm mistral --replicas=3 >&2
wait_for "two pods running" 120 bash -c '[ "$(kubectl get pods -n vllm --field-selector=status.phase=Running --no-headers 2>/dev/null | wc -l)" -eq 2 ]'
wait_for "an event on the third pod names the limit" 60 bash -c \
  "kubectl get events -n vllm --field-selector reason=FailedScheduling -o jsonpath='{range .items[*]}{.source.component} {.message}{\"\\n\"}{end}' 2>/dev/null | grep -q '^joinery Failed to schedule pod, all available instance types exceed limits for nodepool: \"trainium-trn1\"'"
sleep 15  # two more batch windows: nothing else may be launched
expect_eq "NodeClaims after scaling to 3" "$(count nodeclaims)" 2
expect_eq "Nodes of the pool after scaling to 3" "$(count nodes -l karpenter.sh/nodepool=trainium-trn1)" 2
expect_eq "pods running" "$(running_pods)" 2
pending="$(k get pods -n vllm --field-selector=status.phase=Pending -o jsonpath='{.items[*].metadata.name}')"
expect_eq "pending pods" "$(echo "$pending" | wc -w)" 1
wait_for "kubectl get nodepool shows 2 nodes" 60 \
  bash -c "[ \"\$(kubectl get nodepool trainium-trn1 --no-headers 2>/dev/null | awk '{print \$3}')\" = 2 ]"

# Kill the leader (no graceful release): the other replica takes over once the lease expires.
leader_name="$(leader)"
other=replica-a
[ "$leader_name" = replica-a ] && other=replica-b
stop_controller "$leader_name" KILL
wait_for "$other takes the lease" 45 bash -c "[ \"\$(kubectl get lease -n kube-system joinery-leader-election -o jsonpath='{.spec.holderIdentity}' 2>/dev/null)\" = $other ]"
# ... and carries on: a NodeClaim deleted by hand is finalized (node drained, instance ended)
# and its pod re-provisioned, never with more than 2 live NodeClaims.
victim="$(k get nodeclaims -o jsonpath='{.items[0].metadata.name}')"
k delete nodeclaim "$victim" --wait=false >&2
max=0
deadline=$((SECONDS + 90))
while [ "$SECONDS" -lt "$deadline" ]; do
  n="$(live_nodeclaims)"
  [ "$n" -gt "$max" ] && max="$n"
  if ! k get nodeclaim "$victim" >/dev/null 2>&1 && [ "$(running_pods)" -eq 2 ] && [ "$n" -eq 2 ]; then break; fi
  sleep 0.5
done
expect_eq "NodeClaim $victim finalized by the new leader" "$(k get nodeclaim "$victim" -o name 2>/dev/null)" ""
expect_eq "most live NodeClaims seen after the takeover" "$max" 2
expect_eq "pods running after the takeover" "$(running_pods)" 2
expect_eq "live NodeClaims after the takeover" "$(live_nodeclaims)" 2
grep -a -q '"message":"deleted nodeclaim"' "$WORK/$other.log" || fail "$other did not finalize a NodeClaim"
