#!/usr/bin/env bash
# Builds kube-apiserver, kube-scheduler and kube-controller-manager from
# Debian 12's `kubernetes` source package and caches them outside the
# repository, keyed by version. Only the first run on a machine pays for the
# build (about 7 minutes on 2 cores); later runs print the cached directory.
#
# Usage: scripts/build-control-plane.sh        # prints the bin directory
# Env:   JOINERY_CACHE (default ~/.cache/joinery)
set -euo pipefail

CACHE="${JOINERY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/joinery}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

log() { echo "build-control-plane: $*" >&2; }

need_pkgs=()
for p in golang-go etcd-server rsync golang-github-modern-go-reflect2-dev openssl dpkg-dev curl; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need_pkgs+=("$p")
done
if [ "${#need_pkgs[@]}" -gt 0 ]; then
  log "installing ${need_pkgs[*]}"
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_pkgs[@]}" >&2
fi

# The version comes from the archive, so the cache key follows Debian's package.
add_deb_src() {
  # Mirror every deb entry of the machine's own sources as deb-src, taking the
  # archive URI and suites from the existing files instead of naming a host.
  local out=/etc/apt/sources.list.d/joinery-deb-src.sources
  [ -f "$out" ] && return 0
  local tmp; tmp="$(mktemp)"
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    sed -n '/^Types:/,/^$/p' /etc/apt/sources.list.d/debian.sources |
      awk 'BEGIN{RS=""; ORS="\n\n"} /Types:[^\n]*deb/ && $0 !~ /security/ {sub(/Types:[^\n]*/, "Types: deb-src"); print}' >"$tmp"
  fi
  if [ ! -s "$tmp" ] && [ -f /etc/apt/sources.list ]; then
    grep -E '^deb ' /etc/apt/sources.list | grep -v security | sed 's/^deb /deb-src /' >"$tmp"
    out=/etc/apt/sources.list.d/joinery-deb-src.list
  fi
  if [ ! -s "$tmp" ]; then log "cannot find a Debian archive in the apt sources"; exit 1; fi
  log "adding deb-src entries to $out"
  $SUDO cp "$tmp" "$out"; rm -f "$tmp"
  $SUDO apt-get update -qq >&2
}

version="$(apt-cache showsrc kubernetes 2>/dev/null | awk '/^Version:/{print $2; exit}' || true)"
if [ -z "$version" ]; then add_deb_src; version="$(apt-cache showsrc kubernetes | awk '/^Version:/{print $2; exit}')"; fi
[ -n "$version" ] || { log "no kubernetes source package in the apt sources"; exit 1; }

# The suffix names the source patches below; bump it when they change so caches rebuild.
patches="p1"
bin="$CACHE/kubernetes-$version-$patches/bin"
if [ -x "$bin/kube-apiserver" ] && [ -x "$bin/kube-scheduler" ] && [ -x "$bin/kube-controller-manager" ]; then
  echo "$bin"; exit 0
fi

work="$CACHE/kubernetes-$version/src"
rm -rf "$work"; mkdir -p "$work"
log "downloading the kubernetes $version source package"
(cd "$work" && apt-get source --download-only kubernetes >&2)
orig="$(ls "$work"/kubernetes_*.orig.tar.gz | head -1)"
tar -xzf "$orig" -C "$work"
tree="$(find "$work" -maxdepth 1 -mindepth 1 -type d | head -1)"
log "replacing the vendored reflect2 (v1.0.1 crashes under Go >= 1.18)"
rm -rf "$tree/vendor/github.com/modern-go/reflect2"
cp -r /usr/share/gocode/src/github.com/modern-go/reflect2 "$tree/vendor/github.com/modern-go/reflect2"
rm -f "$tree/vendor/github.com/modern-go/reflect2/go.mod"
# Go >= 1.18 makes reflect.DeepEqual(reflect.Zero(T), v) true for "", so the OpenAPI validator of
# 1.20 (built for Go 1.15) rejects every empty string in a custom resource as `must be of type
# string: "null"` (an empty taint value, an empty condition message). Only a real nil is null.
log "patching the OpenAPI null check for Go >= 1.18"
for f in "$tree/vendor/k8s.io/kube-openapi/pkg/validation/validate/type.go" \
         "$tree/vendor/github.com/go-openapi/validate/type.go"; do
  [ -f "$f" ] && sed -i 's/if data == nil || reflect.DeepEqual(reflect.Zero(reflect.TypeOf(data)), reflect.ValueOf(data)) {/if data == nil {/' "$f"
done
log "building (about 7 minutes on 2 cores)"
(cd "$tree" && make WHAT="cmd/kube-apiserver cmd/kube-scheduler cmd/kube-controller-manager" >&2)
mkdir -p "$bin.tmp"
cp "$tree"/_output/local/bin/linux/*/kube-apiserver "$tree"/_output/local/bin/linux/*/kube-scheduler \
   "$tree"/_output/local/bin/linux/*/kube-controller-manager "$bin.tmp/"
rm -rf "$bin"; mv "$bin.tmp" "$bin"
rm -rf "$work"
echo "$bin"
