#!/usr/bin/env bash
# A throwaway Kubernetes control plane on loopback for integration and end-to-end tests: etcd,
# kube-apiserver, kube-scheduler and kube-controller-manager (1.20, built from Debian's source package
# by scripts/build-control-plane.sh), no kubelets. Everything lives in one directory, so parallel
# builds can run their own clusters side by side (ports are picked free at `up`).
#
# Usage:
#   scripts/local-cluster.sh up DIR                 start (no-op when DIR's cluster is already up)
#   scripts/local-cluster.sh down DIR               stop everything and delete the state; idempotent
#   scripts/local-cluster.sh env DIR                print sourceable export lines
#   scripts/local-cluster.sh status DIR             exit 0 when every component is running and ready
#   scripts/local-cluster.sh restart-apiserver DIR [DOWN]
#                                                   restart kube-apiserver (same port, same etcd),
#                                                    down for DOWN seconds (default 0: at once),
#                                                    then the scheduler and controller manager
#
# Files written in DIR (see docs/local-cluster.md):
#   kubeconfig   admin kubeconfig (bearer token in group system:masters, embedded CA)
#   admin-token  the admin bearer token          ca.crt   the cluster CA (PEM)
#   server       https://127.0.0.1:PORT          env      `export KUBECONFIG=...` etc.
#   ports        sourceable port assignments     pki/ kubeconfigs/ etcd-data/ logs/*.log pids/*.pid
#
# Env: JOINERY_CLUSTER_TIMEOUT (seconds to wait for readiness, default 240),
#      JOINERY_CACHE (control-plane binary cache, default ~/.cache/joinery),
#      JOINERY_KUBE_BIN (use this directory of binaries instead of building).
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE="${JOINERY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/joinery}"
TIMEOUT="${JOINERY_CLUSTER_TIMEOUT:-240}"
COMPONENTS=(etcd kube-apiserver kube-scheduler kube-controller-manager)
SERVICE_CIDR="10.96.0.0/16"
ISSUER="https://kubernetes.default.svc.cluster.local"

log() { echo "local-cluster: $*" >&2; }
die() { log "error: $*"; exit 1; }

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2
  exit 2
}

# ---------------------------------------------------------------------------------------------
# Process bookkeeping. Pids are recorded by the process itself (bash execs into the daemon after
# writing $$), and checked against /proc/PID/cmdline before any signal so a recycled pid is never
# killed.

pid_of() {  # component -> pid of the running daemon, or nothing
  local f="$DIR/pids/$1.pid" pid
  [ -f "$f" ] || return 0
  pid="$(cat "$f" 2>/dev/null || true)"
  [ -n "$pid" ] || return 0
  if [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$1"; then
    if ! grep -q '^State:[[:space:]]*Z' "/proc/$pid/status" 2>/dev/null; then echo "$pid"; fi
  fi
}

running() { [ -n "$(pid_of "$1")" ]; }

stop_component() {  # SIGTERM, wait up to 5 s, then SIGKILL
  # (kube-apiserver 1.20 keeps running after "Stopped listening" while long-running requests drain,
  # often for well over 10 s; nothing here needs a graceful drain.)
  local c="$1" pid i
  pid="$(pid_of "$c")"
  if [ -n "$pid" ]; then
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
      [ -n "$(pid_of "$c")" ] || break
      sleep 0.1
    done
    if [ -n "$(pid_of "$c")" ]; then
      log "$c (pid $pid) still running 5 s after SIGTERM; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      for ((i = 0; i < 50; i++)); do [ -n "$(pid_of "$c")" ] || break; sleep 0.1; done
    fi
  fi
  rm -f "$DIR/pids/$c.pid"
}

start_component() {  # component binary args... ; detached from the caller's session and stdio
  local c="$1"; shift
  mkdir -p "$DIR/logs" "$DIR/pids"
  echo "=== $(date -u +%FT%TZ) starting: $*" >>"$DIR/logs/$c.log"
  # setsid: survive the caller (a ctest fixture exits while the cluster keeps running) and keep
  # ctest's pipes closed, or ctest would wait for the daemons to exit.
  # shellcheck disable=SC2016  # expanded by the inner bash
  setsid bash -c 'echo $$ >"$0"; exec "$@"' "$DIR/pids/$c.pid" "$@" \
    </dev/null >>"$DIR/logs/$c.log" 2>&1 9>&- &
  local i
  for ((i = 0; i < 50; i++)); do [ -s "$DIR/pids/$c.pid" ] && break; sleep 0.1; done
}

tail_log() {
  local c="$1"
  log "last lines of $DIR/logs/$c.log:"
  tail -n 40 "$DIR/logs/$c.log" >&2 2>/dev/null || true
}

# ---------------------------------------------------------------------------------------------
# Ports.

port_in_use() {
  ss -Hltn "sport = :$1" 2>/dev/null | grep -q . && return 0
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
  return 1
}

pick_port() {  # below the kernel's ephemeral range so outgoing connections cannot take it
  local p taken
  while :; do
    p=$((20000 + RANDOM % 12000))
    taken=0
    for q in "${PICKED[@]:-}"; do [ "$q" = "$p" ] && taken=1; done
    [ "$taken" = 0 ] && ! port_in_use "$p" && { PICKED+=("$p"); echo "$p"; return; }
  done
}

wait_port() {  # component port seconds
  local c="$1" port="$2" deadline=$((SECONDS + $3))
  while ! port_in_use "$port"; do
    running "$c" || { tail_log "$c"; die "$c exited during startup"; }
    [ "$SECONDS" -lt "$deadline" ] || { tail_log "$c"; die "$c did not listen on port $port"; }
    sleep 0.2
  done
}

# ---------------------------------------------------------------------------------------------
# Certificates and credentials.

gen_pki() {
  local pki="$DIR/pki"
  mkdir -p "$pki"
  openssl req -x509 -new -nodes -newkey rsa:2048 -sha256 -days 3650 -subj "/CN=joinery-local-ca" \
    -keyout "$pki/ca.key" -out "$pki/ca.crt" 2>/dev/null
  sign_cert apiserver "/CN=kube-apiserver" serverAuth \
    "DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,IP:127.0.0.1,IP:10.96.0.1"
  sign_cert kube-scheduler "/CN=system:kube-scheduler" clientAuth ""
  sign_cert kube-controller-manager "/CN=system:kube-controller-manager" clientAuth ""
  sign_cert admin "/O=system:masters/CN=joinery-admin" clientAuth ""
  # One RSA key signs service-account tokens (apiserver, controller-manager) and verifies them.
  openssl genrsa -out "$pki/sa.key" 2048 2>/dev/null
  openssl rsa -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null
  cp "$pki/ca.crt" "$DIR/ca.crt"
  local token
  token="$(openssl rand -hex 24)"
  printf '%s\n' "$token" >"$DIR/admin-token"
  printf '%s,joinery-admin,joinery-admin,"system:masters"\n' "$token" >"$pki/tokens.csv"
  chmod 600 "$pki"/*.key "$pki/tokens.csv" "$DIR/admin-token"
}

sign_cert() {  # name subject extendedKeyUsage subjectAltName
  local pki="$DIR/pki" name="$1" subj="$2" eku="$3" san="$4" ext
  ext="$(mktemp)"
  {
    echo "basicConstraints=CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=$eku"
    [ -z "$san" ] || echo "subjectAltName=$san"
  } >"$ext"
  openssl req -new -nodes -newkey rsa:2048 -subj "$subj" \
    -keyout "$pki/$name.key" -out "$pki/$name.csr" 2>/dev/null
  openssl x509 -req -in "$pki/$name.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
    -days 3650 -sha256 -extfile "$ext" -out "$pki/$name.crt" 2>/dev/null
  rm -f "$ext" "$pki/$name.csr"
}

b64() { base64 -w0 <"$1"; }

write_kubeconfigs() {
  local server="https://127.0.0.1:$APISERVER_PORT" ca
  ca="$(b64 "$DIR/pki/ca.crt")"
  echo "$server" >"$DIR/server"
  cat >"$DIR/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: joinery-local
  cluster:
    server: $server
    certificate-authority-data: $ca
users:
- name: joinery-admin
  user:
    token: $(cat "$DIR/admin-token")
contexts:
- name: joinery-local
  context:
    cluster: joinery-local
    user: joinery-admin
    namespace: default
current-context: joinery-local
EOF
  mkdir -p "$DIR/kubeconfigs"
  local c
  for c in kube-scheduler kube-controller-manager admin; do
    cat >"$DIR/kubeconfigs/$c.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: joinery-local
  cluster:
    server: $server
    certificate-authority-data: $ca
users:
- name: $c
  user:
    client-certificate: $DIR/pki/$c.crt
    client-key: $DIR/pki/$c.key
contexts:
- name: joinery-local
  context: {cluster: joinery-local, user: $c}
current-context: joinery-local
EOF
  done
  chmod 600 "$DIR/kubeconfig" "$DIR/kubeconfigs"/*.kubeconfig
  cat >"$DIR/env" <<EOF
export KUBECONFIG=$DIR/kubeconfig
export JOINERY_CLUSTER_DIR=$DIR
export JOINERY_CLUSTER_SERVER=$server
EOF
}

# ---------------------------------------------------------------------------------------------
# Components.

start_etcd() {
  mkdir -p "$DIR/etcd-data"
  chmod 700 "$DIR/etcd-data"
  start_component etcd etcd --name joinery --data-dir "$DIR/etcd-data" \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster "joinery=http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster-state new --log-level warn
}

# In-flight limits: one 2-core machine runs every component, so etcd writes are slow under load,
# and kube-controller-manager's ReplicaSet slow-start batches alone can hold hundreds of pod creates
# in flight. Past the default 200 mutating requests the server answers 429, the ReplicaSet
# controller backs off exponentially (minutes, after a burst of failures), and a test's pods simply
# never get created. Real control planes scale these limits with their size; this one lifts them.
start_apiserver() {
  local pki="$DIR/pki"
  start_component kube-apiserver "$BIN/kube-apiserver" \
    --etcd-servers "http://127.0.0.1:$ETCD_PORT" \
    --bind-address 127.0.0.1 --advertise-address 127.0.0.1 \
    --secure-port "$APISERVER_PORT" --insecure-port 0 \
    --tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" \
    --client-ca-file "$pki/ca.crt" --token-auth-file "$pki/tokens.csv" \
    --service-account-key-file "$pki/sa.pub" \
    --service-account-signing-key-file "$pki/sa.key" \
    --service-account-issuer "$ISSUER" \
    --authorization-mode RBAC --service-cluster-ip-range "$SERVICE_CIDR" \
    --allow-privileged=true --enable-priority-and-fairness=false \
    --max-requests-inflight 2000 --max-mutating-requests-inflight 1000 \
    --profiling=false -v 1
}

start_scheduler() {
  local kc="$DIR/kubeconfigs/kube-scheduler.kubeconfig"
  start_component kube-scheduler "$BIN/kube-scheduler" \
    --kubeconfig "$kc" --authentication-kubeconfig "$kc" --authorization-kubeconfig "$kc" \
    --bind-address 127.0.0.1 --secure-port "$SCHEDULER_PORT" --port 0 \
    --kube-api-qps 200 --kube-api-burst 400 --leader-elect=false -v 1
}

start_controller_manager() {
  local kc="$DIR/kubeconfigs/kube-controller-manager.kubeconfig" pki="$DIR/pki"
  start_component kube-controller-manager "$BIN/kube-controller-manager" \
    --kubeconfig "$kc" --authentication-kubeconfig "$kc" --authorization-kubeconfig "$kc" \
    --bind-address 127.0.0.1 --secure-port "$CM_PORT" --port 0 \
    --service-account-private-key-file "$pki/sa.key" --root-ca-file "$pki/ca.crt" \
    --use-service-account-credentials=true --controllers '*' \
    --cluster-signing-cert-file "$pki/ca.crt" --cluster-signing-key-file "$pki/ca.key" \
    --service-cluster-ip-range "$SERVICE_CIDR" --leader-elect=false -v 1 \
    --kube-api-qps 200 --kube-api-burst 400 --concurrent-deployment-syncs 10 \
    --concurrent-replicaset-syncs 10
}

# ---------------------------------------------------------------------------------------------
# Readiness.

api() {  # path -> body (fails on HTTP errors)
  curl -sS --fail --max-time 5 --cacert "$DIR/ca.crt" \
    -H "Authorization: Bearer $(cat "$DIR/admin-token")" "https://127.0.0.1:$APISERVER_PORT$1"
}

healthz() {  # port -> 0 when /healthz answers ok (the components' own serving certs are self-signed)
  [ "$(curl -sk --max-time 5 "https://127.0.0.1:$1/healthz" 2>/dev/null)" = "ok" ]
}

wait_for() {  # description component-to-watch... -- command...
  local what="$1"; shift
  local watch=()
  while [ "$1" != "--" ]; do watch+=("$1"); shift; done
  shift
  local c
  while ! "$@" >/dev/null 2>&1; do
    for c in "${watch[@]}"; do
      running "$c" || { tail_log "$c"; die "$c exited while waiting for $what"; }
    done
    if [ "$SECONDS" -ge "$DEADLINE" ]; then
      for c in "${watch[@]}"; do tail_log "$c"; done
      die "timed out after ${TIMEOUT}s waiting for $what"
    fi
    sleep 0.5
  done
}

apiserver_ready() { [ "$(api /readyz)" = "ok" ]; }
default_sa_has_token() {
  api /api/v1/namespaces/default/serviceaccounts/default | jq -e '(.secrets // []) | length > 0'
}

wait_ready() {
  DEADLINE=$((SECONDS + TIMEOUT))
  wait_for "kube-apiserver /readyz" etcd kube-apiserver -- apiserver_ready
  wait_for "namespace default" kube-apiserver -- api /api/v1/namespaces/default
  wait_for "kube-scheduler /healthz" kube-apiserver kube-scheduler -- healthz "$SCHEDULER_PORT"
  wait_for "kube-controller-manager /healthz" kube-apiserver kube-controller-manager -- \
    healthz "$CM_PORT"
  wait_for "ServiceAccount default/default and its token Secret" kube-controller-manager -- \
    default_sa_has_token
}

load_ports() {
  [ -f "$DIR/ports" ] || return 1
  # shellcheck disable=SC1091
  . "$DIR/ports"
}

all_running() {
  local c
  for c in "${COMPONENTS[@]}"; do running "$c" || return 1; done
}

# ---------------------------------------------------------------------------------------------
# Commands.

find_binaries() {
  if [ -n "${JOINERY_KUBE_BIN:-}" ]; then BIN="$JOINERY_KUBE_BIN"; else
    mkdir -p "$CACHE"
    # One build at a time per machine; a second caller waits and then finds the cache.
    BIN="$(flock "$CACHE/build-control-plane.lock" bash "$SCRIPT_DIR/build-control-plane.sh" | tail -1)"
  fi
  local b
  for b in kube-apiserver kube-scheduler kube-controller-manager; do
    [ -x "$BIN/$b" ] || die "$BIN/$b is missing"
  done
  command -v etcd >/dev/null || die "etcd is not installed (apt-get install etcd-server)"
  command -v jq >/dev/null || die "jq is not installed"
  command -v curl >/dev/null || die "curl is not installed"
  command -v openssl >/dev/null || die "openssl is not installed"
  echo "BIN=$BIN" >"$DIR/bin.env"
}

up_failed() {
  if [ "$1" -ne 0 ]; then log "up failed; stopping what was started"; cmd_down_quiet; fi
}

cmd_up() {
  mkdir -p "$DIR"
  if load_ports && all_running; then
    # Running already (perhaps mid restart-apiserver): wait for readiness, never start over.
    wait_ready
    log "already up at $(cat "$DIR/server")"
    return 0
  fi
  # Anything left from a dead or half-started cluster is discarded.
  cmd_down_quiet
  local t0=$SECONDS
  # A failed `up` leaves no daemons behind (logs stay for the post-mortem).
  trap 'up_failed $?' EXIT
  find_binaries
  log "control plane binaries: $BIN"

  gen_pki
  # Port choice and binding happen under one machine-wide lock so parallel `up`s cannot pick the
  # same free port before either has bound it.
  exec 9>"/tmp/joinery-local-cluster.lock"
  flock -w 300 9 || die "could not take /tmp/joinery-local-cluster.lock"
  PICKED=()
  ETCD_PORT="$(pick_port)"; PICKED+=("$ETCD_PORT")
  ETCD_PEER_PORT="$(pick_port)"; PICKED+=("$ETCD_PEER_PORT")
  APISERVER_PORT="$(pick_port)"; PICKED+=("$APISERVER_PORT")
  SCHEDULER_PORT="$(pick_port)"; PICKED+=("$SCHEDULER_PORT")
  CM_PORT="$(pick_port)"; PICKED+=("$CM_PORT")
  cat >"$DIR/ports" <<EOF
ETCD_PORT=$ETCD_PORT
ETCD_PEER_PORT=$ETCD_PEER_PORT
APISERVER_PORT=$APISERVER_PORT
SCHEDULER_PORT=$SCHEDULER_PORT
CM_PORT=$CM_PORT
EOF
  write_kubeconfigs

  start_etcd
  wait_port etcd "$ETCD_PORT" 60
  start_apiserver
  wait_port kube-apiserver "$APISERVER_PORT" 120
  # The scheduler and controller-manager exit if they start before the RBAC bootstrap policy
  # exists (they cannot read extension-apiserver-authentication), so wait for /readyz first.
  DEADLINE=$((SECONDS + TIMEOUT))
  wait_for "kube-apiserver /readyz" etcd kube-apiserver -- apiserver_ready
  start_scheduler
  start_controller_manager
  wait_port kube-scheduler "$SCHEDULER_PORT" 60
  wait_port kube-controller-manager "$CM_PORT" 60
  flock -u 9; exec 9>&-

  wait_ready
  trap - EXIT
  log "up in $((SECONDS - t0))s: $(cat "$DIR/server") (source $DIR/env)"
}

cmd_down_quiet() {
  local i c
  for ((i = ${#COMPONENTS[@]} - 1; i >= 0; i--)); do
    c="${COMPONENTS[$i]}"
    stop_component "$c"
  done
  rm -rf "$DIR/etcd-data" "$DIR/pids" "$DIR/pki" "$DIR/kubeconfigs" "$DIR/kubeconfig" \
    "$DIR/admin-token" "$DIR/ca.crt" "$DIR/server" "$DIR/env" "$DIR/ports" "$DIR/bin.env" \
    "$DIR/joinery.kubeconfig"
}

cmd_down() {
  [ -d "$DIR" ] || { log "nothing to stop in $DIR"; return 0; }
  cmd_down_quiet
  log "down: $DIR (logs kept in $DIR/logs)"
}

cmd_env() {
  [ -f "$DIR/env" ] || die "no cluster in $DIR (run: $0 up $DIR)"
  cat "$DIR/env"
}

cmd_status() {
  load_ports || die "no cluster in $DIR"
  local c ok=0
  for c in "${COMPONENTS[@]}"; do
    if running "$c"; then echo "$c: running (pid $(pid_of "$c"))"; else echo "$c: stopped"; ok=1; fi
  done
  if apiserver_ready >/dev/null 2>&1; then echo "kube-apiserver: ready at $(cat "$DIR/server")"; else
    echo "kube-apiserver: not ready"; ok=1
  fi
  return $ok
}

cmd_restart_apiserver() {
  load_ports || die "no cluster in $DIR (run: $0 up $DIR)"
  running etcd || die "etcd is not running in $DIR"
  # shellcheck disable=SC1091
  . "$DIR/bin.env"
  local t0=$SECONDS i
  stop_component kube-apiserver
  if [ "$DOWN_SECONDS" -gt 0 ]; then
    log "kube-apiserver stopped; down for ${DOWN_SECONDS}s"
    sleep "$DOWN_SECONDS"
  fi
  # The old socket may linger for a moment; the same port must be reused so clients reconnect.
  for ((i = 0; i < 100; i++)); do port_in_use "$APISERVER_PORT" || break; sleep 0.1; done
  start_apiserver
  DEADLINE=$((SECONDS + TIMEOUT))
  wait_for "kube-apiserver /readyz after restart" etcd kube-apiserver -- apiserver_ready
  # kube-controller-manager 1.20's token controller can drop ServiceAccount events it relists
  # after an outage ("object passed to *serviceaccount.TokensController that is not expected:
  # cache.DeletedFinalStateUnknown"), after which new namespaces get no token and pods there cannot
  # be created; later tests on the same cluster then fail. So the controller manager and the
  # scheduler restart too, with fresh caches. Only the API server's restart is what callers test.
  stop_component kube-controller-manager
  stop_component kube-scheduler
  start_scheduler
  start_controller_manager
  wait_for "kube-scheduler /healthz" kube-scheduler -- healthz "$SCHEDULER_PORT"
  wait_for "kube-controller-manager /healthz" kube-controller-manager -- healthz "$CM_PORT"
  log "kube-apiserver restarted in $((SECONDS - t0))s on port $APISERVER_PORT"
}

DOWN_SECONDS=0
if [ "${1:-}" = restart-apiserver ] && [ $# -eq 3 ]; then
  [[ "$3" =~ ^[0-9]+$ ]] || usage
  DOWN_SECONDS="$3"
  set -- "$1" "$2"
fi
[ $# -eq 2 ] || usage
DIR="$(realpath -m "$2")"
case "$1" in
  up) cmd_up ;;
  down) cmd_down ;;
  env) cmd_env ;;
  status) cmd_status ;;
  restart-apiserver) cmd_restart_apiserver ;;
  *) usage ;;
esac
