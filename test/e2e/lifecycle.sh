#!/usr/bin/env bash
# Per-controller behaviour on a real control plane, with the trainium example and the vLLM
# Deployment:
#  - launch around an offering that is out of capacity (trn1.2xlarge in us-east-1a): the simulated
#    EC2 fleet falls through to the next zone;
#  - kubectl get nodepool -o wide shows the pool's CPU and memory in use (the node's capacity);
#  - garbage collection of an instance no NodeClaim knows (a simulated instance made by hand);
#  - termination of a Node deleted with kubectl: cordoned and tainted, the pod evicted, the
#    NodeClaim deleted, the Node removed, and the pod re-provisioned on a new node;
#  - garbage collection of a Registered NodeClaim whose instance vanished, and re-provisioning;
#  - a launch with no capacity anywhere: InsufficientCapacityError, the NodeClaim deleted, the pod
#    left pending.
source "$(dirname "$0")/lib.sh"
TEST_NAMESPACES=(vllm)

jp() {  # jp RESOURCE NAME JSONPATH
  k get "$1" "$2" -o jsonpath="$3" 2>/dev/null
}
# The one running mistral pod as "POD NODE", or nothing.
running_pod() {
  k get pods -n vllm -l app=mistral --field-selector=status.phase=Running --no-headers \
    -o custom-columns=N:.metadata.name,NODE:.spec.nodeName,D:.metadata.deletionTimestamp 2>/dev/null |
    awk '$3 == "<none>" {print $1, $2}'
}
live_nodeclaims() {  # names of NodeClaims not being deleted
  k get nodeclaims --no-headers -o custom-columns=N:.metadata.name,D:.metadata.deletionTimestamp \
    2>/dev/null | awk '$2 == "<none>" {print $1}'
}
claim_ready() {
  [ "$(jp nodeclaim "$1" '{.status.conditions[?(@.type=="Ready")].status}')" = True ]
}
gone() {  # gone RESOURCE [-n NAMESPACE] NAME
  ! kubectl get "$@" >/dev/null 2>&1
}
has_event() {  # has_event NAME REASON: a Warning event from joinery about object NAME
  k get events -A --field-selector "involvedObject.name=$1,reason=$2,type=Warning" \
    -o jsonpath='{range .items[*]}{.source.component}{"\n"}{end}' 2>/dev/null | grep -qx joinery
}
export -f k jp running_pod live_nodeclaims claim_ready gone has_event log

# The node name the simulated provider gives an instance ID (SimulatedCloudProvider::NodeNameFor:
# FNV-1a of the ID; bash arithmetic wraps like uint64 for the bits used).
node_name_for() {
  local id="$1" h=1469598103934665603 i c
  for ((i = 0; i < ${#id}; i++)); do
    printf -v c '%d' "'${id:i:1}"
    h=$(((h ^ c) * 1099511628211))
  done
  echo "ip-10-$(((h >> 16) & 0xff))-$(((h >> 8) & 0xff))-$((1 + (h & 0xffff) % 254)).ec2.internal"
}

install_joinery
start_controller replica-a --gc-interval 5s --simulated-insufficient-capacity trn1.2xlarge:us-east-1a:on-demand
wait_for "replica-a holds the leader lease" 60 bash -c '[ "$(kubectl get lease -n kube-system joinery-leader-election -o jsonpath={.spec.holderIdentity} 2>/dev/null)" = replica-a ]'
apply_example ec2nodeclass.yaml
apply_example nodepool.yaml
wait_for "NodePool trainium-trn1 Ready" 60 bash -c '[ "$(jp nodepool trainium-trn1 "{.status.conditions[?(@.type==\"Ready\")].status}")" = True ]'

# ---- Launch around an out-of-capacity offering ----
k apply -f "$JOINERY_SOURCE_DIR/examples/trainium/vllm.yaml" >&2
wait_for "the mistral pod runs" 90 bash -c '[ -n "$(running_pod)" ]'
read -r pod node <<<"$(running_pod)"
claim="$(live_nodeclaims | head -1)"
log "pod $pod on node $node (NodeClaim $claim)"
provider_id="$(jp node "$node" '{.spec.providerID}')"
expect_eq "simulated node name of ${provider_id##*/}" "$(node_name_for "${provider_id##*/}")" "$node"
zone="$(jp node "$node" '{.metadata.labels.topology\.kubernetes\.io/zone}')"
[ -n "$zone" ] && [ "$zone" != us-east-1a ] && log "ok: launched in $zone, not the out-of-capacity us-east-1a" ||
  fail "node $node is in zone '$zone'; us-east-1a has no trn1.2xlarge on-demand capacity"
expect_eq "NodeClaim zone label" "$(jp nodeclaim "$claim" '{.metadata.labels.topology\.kubernetes\.io/zone}')" "$zone"
grep -a -q 'trn1.2xlarge/us-east-1a/on-demand' "$WORK/replica-a.log" &&
  fail "the fall-through to $zone was reported as a launch failure" || true

# ---- NodePool status: the node's capacity in kubectl get nodepool -o wide ----
capacity="$(jp node "$node" '{.status.capacity.cpu} {.status.capacity.memory}')"
log "node capacity (cpu memory): $capacity"
# Columns: NAME NODECLASS NODES READY AGE WEIGHT CPU MEMORY (WEIGHT is empty: no weight set).
wide_row() {
  kubectl get nodepool trainium-trn1 -o wide --no-headers 2>/dev/null | awk '{print $3, $4, $(NF-1), $NF}'
}
export -f wide_row
wait_for "kubectl get nodepool -o wide shows 1 node, Ready, CPU and MEMORY $capacity" 60 \
  bash -c "[ \"\$(wide_row)\" = '1 True $capacity' ]" || log "kubectl get nodepool -o wide: $(k get nodepool -o wide)"
expect_eq "kubectl get nodepool -o wide header" \
  "$(k get nodepool -o wide | head -1 | awk '{print $1, $2, $3, $4, $5, $6, $7, $8}')" "NAME NODECLASS NODES READY AGE WEIGHT CPU MEMORY"
expect_eq "NodePool status.resources.aws.amazon.com/neuron" \
  "$(jp nodepool trainium-trn1 '{.status.resources.aws\.amazon\.com/neuron}')" \
  "$(jp node "$node" '{.status.capacity.aws\.amazon\.com/neuron}')"

# ---- Garbage collection of an instance without a NodeClaim ----
# A simulated instance is a ConfigMap joinery-instance-<id> in kube-system (labelled
# joinery.dev/simulated-instance=true) holding its launch record and the Node its kubelet registers;
# this one launched a minute ago for a NodeClaim that does not exist, so it is past the 30 s grace:
# kubelet-simulator registers its Node, and the next GC pass terminates the instance and its Node.
orphan_id="i-0$(printf '%016x' $((RANDOM * RANDOM * RANDOM)))"
orphan="$(node_name_for "$orphan_id")"
launched="$(date -u -d '-60 seconds' +%Y-%m-%dT%H:%M:%SZ)"
record="{\"instanceID\":\"$orphan_id\",\"providerID\":\"aws:///us-east-1c/$orphan_id\",\"instanceType\":\"trn1.2xlarge\",\"zone\":\"us-east-1c\",\"capacityType\":\"on-demand\",\"launchTime\":\"$launched\",\"registerAfterUnixMillis\":0,\"nodeClaim\":\"trainium-trn1-gone1\"}"
node_json="{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"$orphan\",\"labels\":{\"joinery.dev/simulated\":\"true\",\"karpenter.sh/nodepool\":\"trainium-trn1\",\"node.kubernetes.io/instance-type\":\"trn1.2xlarge\"}},\"spec\":{\"providerID\":\"aws:///us-east-1c/$orphan_id\",\"taints\":[{\"key\":\"karpenter.sh/unregistered\",\"effect\":\"NoExecute\"}]},\"status\":{\"capacity\":{\"cpu\":\"8\",\"pods\":\"58\"},\"allocatable\":{\"cpu\":\"7910m\",\"pods\":\"58\"}}}"
k create configmap -n kube-system "joinery-instance-$orphan_id" \
  --from-literal=instance="$record" --from-literal=node="$node_json" >&2
k label configmap -n kube-system "joinery-instance-$orphan_id" joinery.dev/simulated-instance=true \
  karpenter.sh/nodeclaim=trainium-trn1-gone1 >&2
wait_for "kubelet-simulator registers the orphaned instance's Node $orphan" 30 k get node "$orphan"
log "orphan instance $orphan_id as Node $orphan"
wait_for "the orphaned instance's Node $orphan is garbage collected" 30 gone node "$orphan"
wait_for "the orphaned instance is terminated" 10 bash -c "! kubectl get configmap -n kube-system joinery-instance-$orphan_id >/dev/null 2>&1"
grep -a -q "\"message\":\"garbage collected instance without a nodeclaim\".*aws:///us-east-1c/$orphan_id" "$WORK/replica-a.log" ||
  fail "no 'garbage collected instance without a nodeclaim' log line for $orphan_id"
expect_eq "NodeClaims after the orphan GC" "$(live_nodeclaims | tr '\n' ' ')" "$claim "

# ---- Termination: kubectl delete node ----
# A watch records every version of the Node: the cordon may be over before a poll would see it.
# (A jsonpath {range} over the taints would end the watch on the first version it cannot print.)
kubectl get node "$node" -w -o jsonpath='{.spec.unschedulable} {.spec.taints}{"\n"}' \
  >"$WORK/node-watch.txt" 2>"$WORK/node-watch.err" &
watch_pid=$!
sleep 1  # let the watch start
k delete node "$node" --wait=false >&2
wait_for "NodeClaim $claim deleted" 60 gone nodeclaim "$claim"
wait_for "Node $node removed" 60 gone node "$node"
kill "$watch_pid" 2>/dev/null || true
wait "$watch_pid" 2>/dev/null || true
if grep -q '^true .*"effect":"NoSchedule","key":"karpenter.sh/disrupted"' "$WORK/node-watch.txt"; then
  log "ok: node $node was cordoned and tainted karpenter.sh/disrupted:NoSchedule"
else
  fail "node $node never seen cordoned with the karpenter.sh/disrupted taint: $(tr '\n' '|' <"$WORK/node-watch.txt")"
fi
grep -a -q "\"message\":\"evicted pod\".*\"name\":\"$pod\"" "$WORK/replica-a.log" || fail "no 'evicted pod' log line for $pod"
wait_for "pod $pod gone" 60 gone pod -n vllm "$pod"
wait_for "a new NodeClaim is Ready" 90 bash -c 'c="$(live_nodeclaims | head -1)"; [ -n "$c" ] && claim_ready "$c"'
wait_for "the recreated mistral pod runs on a new node" 90 bash -c "r=\"\$(running_pod)\"; [ -n \"\$r\" ] && [ \"\${r#* }\" != '$node' ]"
read -r pod2 node2 <<<"$(running_pod)"
claim2="$(live_nodeclaims | head -1)"
log "pod $pod2 on node $node2 (NodeClaim $claim2)"
[ "$pod2" != "$pod" ] || fail "the pod was not recreated"
expect_eq "live NodeClaims after termination" "$(live_nodeclaims | wc -l)" 1
expect_eq "NodeClaim $claim2 node" "$(jp nodeclaim "$claim2" '{.status.nodeName}')" "$node2"

# ---- Garbage collection of a NodeClaim whose instance vanished ----
# The instance is terminated behind Joinery's back (its object deleted); its kubelet stops, and the
# node controller marks the Node Unknown (done here at once rather than after its 40 s grace). The
# NodeClaim is garbage collected, and its Node goes without a drain: nothing runs there any more.
id2="$(jp node "$node2" '{.spec.providerID}')"
id2="${id2##*/}"
k delete configmap -n kube-system "joinery-instance-$id2" >&2
k patch node "$node2" --subresource=status --type=merge \
  -p '{"status":{"conditions":[{"type":"Ready","status":"Unknown","reason":"NodeStatusUnknown","message":"Kubelet stopped posting node status."}]}}' >/dev/null ||
  fail "could not mark Node $node2 Unknown"
wait_for "NodeClaim $claim2 garbage collected" 60 gone nodeclaim "$claim2"
wait_for "Node $node2 gone" 30 gone node "$node2"
grep -a -q "\"message\":\"garbage collecting nodeclaim with no cloudprovider representation\".*\"name\":\"$claim2\"" \
  "$WORK/replica-a.log" || fail "no 'garbage collecting nodeclaim' log line for $claim2"
# The pod bound to the vanished node is removed by kube-controller-manager's pod GC (its node does
# not exist) and the ReplicaSet's replacement is provisioned.
wait_for "the mistral pod runs again on a third node" 150 bash -c \
  "r=\"\$(running_pod)\"; [ -n \"\$r\" ] && [ \"\${r#* }\" != '$node2' ] && [ \"\${r#* }\" != '$node' ]"
read -r pod3 node3 <<<"$(running_pod)"
log "pod $pod3 on node $node3"
expect_eq "live NodeClaims after the GC" "$(live_nodeclaims | wc -l)" 1

# Three NodeClaims launched and registered under replica-a, each counted once.
metrics="$(curl -s "http://127.0.0.1:$(controller_port replica-a metrics-port)/metrics")"
metric_sum() {  # metric_sum NAME: the sum over the trainium-trn1 series
  awk -v m="$1" 'index($0, m "{") == 1 && index($0, "nodepool=\"trainium-trn1\"") {s += $NF} END {print s + 0}' <<<"$metrics"
}
for m in karpenter_nodeclaims_created_total karpenter_nodeclaims_launched_total karpenter_nodeclaims_registered_total; do
  expect_eq "$m (trainium-trn1)" "$(metric_sum "$m")" 3
done

# ---- No capacity anywhere: InsufficientCapacityError, NodeClaim deleted, pod pending ----
stop_controller replica-a TERM
start_controller replica-b --simulated-insufficient-capacity 'trn1.2xlarge:*:on-demand'
wait_for "replica-b holds the leader lease" 60 bash -c '[ "$(kubectl get lease -n kube-system joinery-leader-election -o jsonpath={.spec.holderIdentity} 2>/dev/null)" = replica-b ]'
existing="$(live_nodeclaims | tr '\n' ' ')"
k scale deployment -n vllm mistral --replicas=2 >&2
# The NodeClaim lives a moment only (created, launch fails, deleted): its name is in the log.
wait_for "a launch for the second replica fails" 60 \
  grep -a -q '"message":"failed launching nodeclaim"' "$WORK/replica-b.log"
ice_claim="$(grep -a '"message":"failed launching nodeclaim"' "$WORK/replica-b.log" | head -1 |
  grep -o '"NodeClaim":{"name":"[^"]*"' | cut -d'"' -f6 || true)"
[ -n "$ice_claim" ] || fail "no NodeClaim name in the 'failed launching nodeclaim' log line"
grep -a -q "\"message\":\"created nodeclaim\",\"NodeClaim\":{\"name\":\"$ice_claim\"}" "$WORK/replica-b.log" ||
  fail "replica-b did not log creating NodeClaim $ice_claim"
log "NodeClaim for the second replica: $ice_claim"
wait_for "a Warning InsufficientCapacityError event on $ice_claim" 60 has_event "$ice_claim" InsufficientCapacityError
k get events -A --field-selector "involvedObject.name=$ice_claim,reason=InsufficientCapacityError" \
  -o jsonpath='{.items[0].message}{"\n"}' >&2
wait_for "NodeClaim $ice_claim deleted" 60 gone nodeclaim "$ice_claim"
pending="$(k get pods -n vllm -l app=mistral --field-selector=status.phase=Pending -o jsonpath='{.items[*].metadata.name}')"
expect_eq "pending mistral pods" "$(echo "$pending" | wc -w)" 1
wait_for "a FailedScheduling event from joinery on the pending pod" 60 bash -c \
  "kubectl get events -n vllm --field-selector involvedObject.name=$pending,reason=FailedScheduling -o jsonpath='{range .items[*]}{.source.component}{\"\\n\"}{end}' 2>/dev/null | grep -qx joinery"
k get events -n vllm --field-selector "involvedObject.name=$pending,reason=FailedScheduling" \
  -o jsonpath='{range .items[*]}{.source.component}: {.message}{"\n"}{end}' >&2
expect_eq "live NodeClaims with no capacity" "$(live_nodeclaims | tr '\n' ' ')" "$existing"
expect_eq "Nodes of the pool with no capacity" "$(count nodes -l karpenter.sh/nodepool=trainium-trn1)" 1
expect_eq "pod $pending still pending" "$(k get pod -n vllm "$pending" -o jsonpath='{.status.phase}')" Pending
