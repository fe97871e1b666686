#!/usr/bin/env bash
# End-to-end checks of the `joinery simulate` command line: exit codes, the JSON contract, the table,
# and that errors go to stderr only.
#
# Usage: cli_test.sh PATH/TO/joinery PROJECT_SOURCE_DIR
set -u

JOINERY=${1:?usage: cli_test.sh JOINERY SOURCE_DIR}
SRC=${2:?usage: cli_test.sh JOINERY SOURCE_DIR}
ENV_ARGS=(--env KARPENTER_NODE_ROLE=KarpenterNodeRole-test --env EKS_CLUSTER_NAME=test-cluster)

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "PASS: $1"; }
fail() {
  failed=$((failed + 1))
  echo "FAIL: $1"
  if [[ -s "$TMP/out" ]]; then echo "--- stdout"; head -c 2000 "$TMP/out"; fi
  if [[ -s "$TMP/err" ]]; then echo "--- stderr"; head -c 2000 "$TMP/err"; fi
}

# run ARGS...: runs joinery with stdout/stderr captured in $TMP/out, $TMP/err; sets $rc.
run() {
  "$JOINERY" "$@" >"$TMP/out" 2>"$TMP/err"
  rc=$?
}

# json_check FILE SCRIPT: evaluates a JavaScript (node) or Python expression over the parsed JSON.
json_check() {
  local file=$1 js=$2 py=$3
  if command -v node >/dev/null 2>&1; then
    node -e "const fs=require('fs'); const j=JSON.parse(fs.readFileSync(process.argv[1],'utf8'));
             if (!($js)) { process.exit(1); }" "$file"
  elif command -v python3 >/dev/null 2>&1; then
    python3 -c "import json,sys; j=json.load(open(sys.argv[1])); sys.exit(0 if ($py) else 1)" "$file"
  else
    echo "neither node nor python3 is available to parse JSON" >&2
    return 1
  fi
}

# ---- JSON output of the seed example ----
run simulate --output json "$SRC/examples/trainium" "${ENV_ARGS[@]}"
if [[ $rc -eq 0 ]]; then pass "json: exits 0"; else fail "json: exit status $rc, want 0"; fi
cp "$TMP/out" "$TMP/plan.json"
if json_check "$TMP/plan.json" "true" "True"; then pass "json: stdout is valid JSON"; else fail "json: stdout is not valid JSON"; fi
if json_check "$TMP/plan.json" \
  "Array.isArray(j.nodeClaims) && Array.isArray(j.existingNodes) && Array.isArray(j.unschedulable) && typeof j.cost === 'object' && typeof j.cost.perHour === 'number'" \
  "isinstance(j['nodeClaims'], list) and isinstance(j['existingNodes'], list) and isinstance(j['unschedulable'], list) and isinstance(j['cost']['perHour'], (int, float))"; then
  pass "json: has the contract keys nodeClaims, existingNodes, unschedulable, cost.perHour"
else
  fail "json: contract keys missing"
fi
if json_check "$TMP/plan.json" \
  "j.nodeClaims.length === 1 && j.nodeClaims[0].instanceType === 'trn1.2xlarge' && j.nodeClaims[0].capacityType === 'on-demand' && j.nodeClaims[0].pods[0] === 'vllm/mistral-0' && Math.abs(j.cost.perHour - 1.34375) < 1e-6 && j.unschedulable.length === 0" \
  "len(j['nodeClaims']) == 1 and j['nodeClaims'][0]['instanceType'] == 'trn1.2xlarge' and j['nodeClaims'][0]['capacityType'] == 'on-demand' and j['nodeClaims'][0]['pods'][0] == 'vllm/mistral-0' and abs(j['cost']['perHour'] - 1.34375) < 1e-6 and len(j['unschedulable']) == 0"; then
  pass "json: one on-demand trn1.2xlarge for vllm/mistral-0 at \$1.34375/hour"
else
  fail "json: unexpected plan"
fi
if [[ ! -s "$TMP/err" ]]; then pass "json: nothing on stderr"; else fail "json: unexpected stderr"; fi

# ---- table output (the default) ----
run simulate "$SRC/examples/trainium" "${ENV_ARGS[@]}"
if [[ $rc -eq 0 ]]; then pass "table: exits 0"; else fail "table: exit status $rc, want 0"; fi
if head -n 1 "$TMP/out" | grep -q '^NODECLAIM'; then pass "table: NODECLAIM header"; else fail "table: no NODECLAIM header"; fi
if grep -q 'trn1.2xlarge' "$TMP/out"; then pass "table: lists trn1.2xlarge"; else fail "table: trn1.2xlarge missing"; fi
if grep -q 'vllm/mistral-0' "$TMP/out"; then pass "table: lists the pod"; else fail "table: pod missing"; fi

# ---- a bad manifest: exit 2, error naming the file on stderr, nothing on stdout ----
mkdir -p "$TMP/bad"
cat >"$TMP/bad/broken-pool.yaml" <<'EOF'
apiVersion: karpenter.sh/v1
kind: NodePool
metadata:
  name: broken
spec:
  template:
    spec:
      nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: default}
      requirements:
        - key: kubernetes.io/arch
          operator: Maybe
          values: [amd64]
EOF
run simulate "$TMP/bad/broken-pool.yaml"
if [[ $rc -eq 2 ]]; then pass "bad manifest: exits 2"; else fail "bad manifest: exit status $rc, want 2"; fi
if grep -q 'broken-pool.yaml' "$TMP/err"; then pass "bad manifest: stderr names the file"; else fail "bad manifest: stderr does not name the file"; fi
if [[ ! -s "$TMP/out" ]]; then pass "bad manifest: nothing on stdout"; else fail "bad manifest: stdout is not empty"; fi

run simulate --output json "$TMP/bad/broken-pool.yaml"
if [[ $rc -eq 2 && ! -s "$TMP/out" ]]; then pass "bad manifest (json): exits 2 with empty stdout"; else fail "bad manifest (json): rc=$rc"; fi

# ---- malformed YAML ----
printf 'apiVersion: v1\nkind: Pod\nmetadata: {name: x\n' >"$TMP/bad/malformed.yaml"
run simulate "$TMP/bad/malformed.yaml"
if [[ $rc -eq 2 && ! -s "$TMP/out" ]] && grep -q 'malformed.yaml' "$TMP/err"; then
  pass "malformed yaml: exits 2, names the file, empty stdout"
else
  fail "malformed yaml: rc=$rc"
fi

# ---- a missing --env variable ----
run simulate "$SRC/examples/trainium"
if [[ $rc -eq 2 && ! -s "$TMP/out" && -s "$TMP/err" ]]; then pass "missing env var: exits 2 with an error"; else fail "missing env var: rc=$rc"; fi

# ---- catalog flags: --instance-types, --region, --zones, --spot-discount ----
cat >"$TMP/types.csv" <<'EOF'
name,family,arch,vcpu,memory_mib,max_pods_eni,on_demand_usd_per_hour
tiny.large,tiny,amd64,2,4096,29,0.05
huge.xlarge,huge,amd64,16,65536,58,0.80
EOF
mkdir -p "$TMP/flags"
cat >"$TMP/flags/workload.yaml" <<'EOF'
apiVersion: karpenter.sh/v1
kind: NodePool
metadata:
  name: default
spec:
  template:
    spec:
      nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: default}
      requirements:
        - key: karpenter.sh/capacity-type
          operator: In
          values: [spot, on-demand]
---
apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
    - name: web
      image: nginx
      resources:
        requests: {cpu: "1", memory: 1Gi}
EOF
run simulate -o json --instance-types "$TMP/types.csv" --region eu-west-1 --zones eu-west-1b \
  --spot-discount 0.5 "$TMP/flags"
cp "$TMP/out" "$TMP/flags.json"
if [[ $rc -eq 0 ]] && json_check "$TMP/flags.json" \
  "j.nodeClaims.length === 1 && j.nodeClaims[0].instanceType === 'tiny.large' && j.nodeClaims[0].zone === 'eu-west-1b' && j.nodeClaims[0].capacityType === 'spot' && Math.abs(j.nodeClaims[0].price - 0.025) < 1e-9 && j.nodeClaims[0].priceSimulated === true && j.nodeClaims[0].labels['topology.kubernetes.io/region'] === 'eu-west-1' && j.cost.includesSimulatedSpotPrices === true" \
  "len(j['nodeClaims']) == 1 and j['nodeClaims'][0]['instanceType'] == 'tiny.large' and j['nodeClaims'][0]['zone'] == 'eu-west-1b' and j['nodeClaims'][0]['capacityType'] == 'spot' and abs(j['nodeClaims'][0]['price'] - 0.025) < 1e-9 and j['nodeClaims'][0]['priceSimulated'] and j['nodeClaims'][0]['labels']['topology.kubernetes.io/region'] == 'eu-west-1' and j['cost']['includesSimulatedSpotPrices']"; then
  pass "catalog flags: custom catalog, region, zone and simulated spot price are used"
else
  fail "catalog flags: rc=$rc"
fi
run simulate --instance-types "$TMP/flags" "$TMP/flags"
if [[ $rc -eq 2 && ! -s "$TMP/out" ]]; then pass "catalog flags: a bad catalog file exits 2"; else fail "catalog flags: bad catalog rc=$rc"; fi
run simulate --spot-discount 1.5 "$TMP/flags"
if [[ $rc -eq 2 ]]; then pass "catalog flags: --spot-discount out of range exits 2"; else fail "catalog flags: discount rc=$rc"; fi
run simulate "$TMP/flags"
if [[ $rc -eq 0 ]] && grep -q 'simulated' "$TMP/out"; then pass "table: simulated spot price is labelled"; else fail "table: spot label missing"; fi

# ---- flag errors ----
run simulate --no-such-flag "$SRC/examples/trainium"
if [[ $rc -eq 2 ]]; then pass "unknown flag: exits 2"; else fail "unknown flag: exit status $rc, want 2"; fi
if [[ -s "$TMP/err" && ! -s "$TMP/out" ]]; then pass "unknown flag: error on stderr only"; else fail "unknown flag: output streams"; fi

run simulate --output yaml "$SRC/examples/trainium" "${ENV_ARGS[@]}"
if [[ $rc -eq 2 ]]; then pass "bad --output value: exits 2"; else fail "bad --output value: exit status $rc, want 2"; fi

run simulate
if [[ $rc -eq 2 ]]; then pass "no path: exits 2"; else fail "no path: exit status $rc, want 2"; fi

run simulate "$TMP/does-not-exist.yaml"
if [[ $rc -eq 2 ]]; then pass "missing path: exits 2"; else fail "missing path: exit status $rc, want 2"; fi
if grep -q 'does-not-exist.yaml' "$TMP/err" && [[ ! -s "$TMP/out" ]]; then
  pass "missing path: stderr names it, stdout empty"
else
  fail "missing path: message"
fi

run
if [[ $rc -ne 0 ]]; then pass "no subcommand: fails"; else fail "no subcommand: exit status 0"; fi

run --version
if [[ $rc -eq 0 ]] && grep -q 'joinery' "$TMP/out"; then pass "--version"; else fail "--version: rc=$rc"; fi

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
