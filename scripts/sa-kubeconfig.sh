#!/usr/bin/env bash
# Writes a kubeconfig that authenticates as the kube-system/joinery ServiceAccount of the local
# cluster in DIR (scripts/local-cluster.sh), so tests run the controller with exactly the
# permissions deploy/rbac.yaml grants.
#
# Usage: scripts/sa-kubeconfig.sh DIR OUT
#   DIR  a directory where `local-cluster.sh up DIR` ran
#   OUT  the kubeconfig to write (mode 600); its context is `joinery`, namespace kube-system
#
# When the ServiceAccount does not exist yet, deploy/rbac.yaml is applied first. The token is the
# legacy one in the ServiceAccount's auto-created kubernetes.io/service-account-token Secret (the
# 1.20 token controller creates it within a second or two); it does not expire.
# Env: JOINERY_SA_NAMESPACE (kube-system), JOINERY_SA_NAME (joinery), JOINERY_SA_TIMEOUT (60 s).
set -euo pipefail

[ $# -eq 2 ] || { sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
DIR="$(realpath -m "$1")"
OUT="$2"
NS="${JOINERY_SA_NAMESPACE:-kube-system}"
SA="${JOINERY_SA_NAME:-joinery}"
TIMEOUT="${JOINERY_SA_TIMEOUT:-60}"
SOURCE_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

log() { echo "sa-kubeconfig: $*" >&2; }
die() { log "error: $*"; exit 1; }

for f in server ca.crt admin-token; do
  [ -f "$DIR/$f" ] || die "$DIR/$f is missing; is the cluster up? (scripts/local-cluster.sh up $DIR)"
done
SERVER="$(cat "$DIR/server")"

api() {  # path -> JSON body; fails on HTTP errors
  curl -sS --fail --max-time 10 --cacert "$DIR/ca.crt" \
    -H "Authorization: Bearer $(cat "$DIR/admin-token")" "$SERVER$1"
}

if ! api "/api/v1/namespaces/$NS/serviceaccounts/$SA" >/dev/null 2>&1; then
  [ "$NS/$SA" = "kube-system/joinery" ] || die "ServiceAccount $NS/$SA does not exist"
  log "ServiceAccount $NS/$SA not found; applying deploy/rbac.yaml"
  kubectl --kubeconfig "$DIR/kubeconfig" apply -f "$SOURCE_DIR/deploy/rbac.yaml" 2>&1 |
    grep -v '^WARNING: version difference' >&2
fi

# The token controller adds the Secret to .secrets shortly after the ServiceAccount appears.
token=""
deadline=$((SECONDS + TIMEOUT))
while :; do
  for secret in $(api "/api/v1/namespaces/$NS/serviceaccounts/$SA" 2>/dev/null |
                    jq -r '(.secrets // [])[].name'); do
    token="$(api "/api/v1/namespaces/$NS/secrets/$secret" 2>/dev/null |
               jq -r 'select(.type == "kubernetes.io/service-account-token") | .data.token // empty' |
               base64 -d 2>/dev/null || true)"
    [ -n "$token" ] && break 2
  done
  [ "$SECONDS" -lt "$deadline" ] ||
    die "no token Secret for ServiceAccount $NS/$SA after ${TIMEOUT}s (is kube-controller-manager running?)"
  sleep 0.5
done

mkdir -p "$(dirname "$OUT")"
umask 077
cat >"$OUT.tmp" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: joinery-local
  cluster:
    server: $SERVER
    certificate-authority-data: $(base64 -w0 <"$DIR/ca.crt")
users:
- name: system:serviceaccount:$NS:$SA
  user:
    token: $token
contexts:
- name: joinery
  context:
    cluster: joinery-local
    user: system:serviceaccount:$NS:$SA
    namespace: $NS
current-context: joinery
EOF
mv "$OUT.tmp" "$OUT"
log "wrote $OUT (system:serviceaccount:$NS:$SA at $SERVER)"
