#!/usr/bin/env bash
# Builds the binaries of the test node (tests/cluster): the control plane (kube-apiserver,
# kube-controller-manager, kube-scheduler), the node (kubelet, kube-proxy), cluster DNS
# (CoreDNS, only the plugins tests/kube/coredns/main.go names) and storage
# (local-path-provisioner), each pinned in a Go module under tests/kube/. They go into a cache
# directory keyed by every version and the build recipe, outside the repository, and are
# reused when present, so only the first run pays the build (~10 minutes on 2 shared cores).
# Prints the bin directory on stdout.
#
# Usage: tests/env/kube-build.sh         build what is missing, print the bin dir
#        KUBE_BUILD_JOBS=N ...           go build -p N (default 2: the machine is shared)
set -euo pipefail
source "$(dirname "$0")/lib.sh"

KUBE_VERSION=v1.33.0
COREDNS_VERSION=v1.12.1
LOCAL_PATH_VERSION=v0.0.30
# kube-router runs only on many-node clusters (routes between nodes, NetworkPolicy). The Go
# proxy here serves v2.1.0 and no later release that builds; it is built with the module's
# own go.mod (`go install pkg@version`), as upstream's release is.
KUBE_ROUTER_VERSION=v2.1.0
# Every Kubernetes binary is stamped with its release, as the official builds are: unstamped
# they report v0.0.0-master+$Format:%H$ and `kubectl version` (and Helm's version checks) fail.
major=${KUBE_VERSION#v}; major=${major%%.*}
minor=${KUBE_VERSION#v"$major".}; minor=${minor%%.*}
stamp=""
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  stamp+=" -X $pkg.gitVersion=$KUBE_VERSION -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
  stamp+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
done
ldflags="-s -w$stamp"
# The pause program every pod sandbox runs, built as Kubernetes' build/pause/Makefile does.
PAUSE_VERSION=3.10
pause_cflags="-Os -Wall -Werror -static -DVERSION=v$PAUSE_VERSION-0"
# The cache key names the versions and hashes the recipe (flags, module pins, CoreDNS's
# plugin list), so a changed recipe builds into a fresh directory.
recipe=$( (echo "$ldflags $pause_cflags"; cat "$ROOT"/tests/kube/go.sum "$ROOT"/tests/kube/*/go.sum \
  "$ROOT"/tests/kube/coredns/main.go) | sha256sum | cut -c1-12)
bin=$TODO_CACHE/node-kube-$KUBE_VERSION-coredns-$COREDNS_VERSION-localpath-$LOCAL_PATH_VERSION-$recipe/bin
build_lock "$bin"

# build MODULE_DIR NAMES... -- PACKAGES...: one `go build` for several binaries (shared
# packages compile once), into a temporary directory renamed into place, so an interrupted
# build never leaves a binary that looks complete.
build() {
  local dir=$1; shift
  local names=() pkgs=() name missing=0
  while [[ $1 != -- ]]; do names+=("$1"); shift; done
  shift; pkgs=("$@")
  for name in "${names[@]}"; do [[ -x $bin/$name ]] || missing=1; done
  ((missing)) || return 0
  log "building ${names[*]} into $bin (first run only; several minutes)"
  local start=$SECONDS tmp
  tmp=$(mktemp -d "$bin/.build.XXXXXX")
  (cd "$ROOT/tests/kube/$dir" && CGO_ENABLED=0 nice -n 10 go build -p "${KUBE_BUILD_JOBS:-2}" -trimpath \
    -ldflags="$ldflags" -o "$tmp/" "${pkgs[@]}")
  for name in "${names[@]}"; do mv "$tmp/$name" "$bin/$name"; done
  rm -rf "$tmp"
  log "built ${names[*]} in $((SECONDS - start))s"
}

build . kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy -- \
  k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
  k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubelet k8s.io/kubernetes/cmd/kube-proxy
build coredns coredns -- .
build local-path local-path-provisioner -- github.com/rancher/local-path-provisioner
# Into the same directory (its key is the other binaries'), by the version recorded beside it,
# so adding it never rebuilds Kubernetes.
if [[ ! -x $bin/kube-router || $(cat "$bin/kube-router.version" 2>/dev/null) != "$KUBE_ROUTER_VERSION" ]]; then
  log "building kube-router $KUBE_ROUTER_VERSION into $bin (first run only; about 2 minutes)"
  start=$SECONDS
  tmp=$(mktemp -d "$bin/.build.XXXXXX")
  GOBIN=$tmp CGO_ENABLED=0 nice -n 10 go install -p "${KUBE_BUILD_JOBS:-2}" -trimpath \
    -ldflags="-s -w -X github.com/cloudnativelabs/kube-router/v2/pkg/version.Version=$KUBE_ROUTER_VERSION" \
    "github.com/cloudnativelabs/kube-router/v2/cmd/kube-router@$KUBE_ROUTER_VERSION"
  mv "$tmp/kube-router" "$bin/kube-router"
  echo "$KUBE_ROUTER_VERSION" >"$bin/kube-router.version"
  rm -rf "$tmp"
  log "built kube-router in $((SECONDS - start))s"
fi
if [[ ! -x $bin/pause ]]; then
  command -v gcc >/dev/null || die "gcc not found: sudo tests/env/deps.sh (Debian gcc, libc6-dev)"
  src=$(cd "$ROOT/tests/kube" && go list -m -f '{{.Dir}}' k8s.io/kubernetes)/build/pause/linux/pause.c
  # shellcheck disable=SC2086 # pause_cflags is a list of flags
  gcc $pause_cflags -o "$bin/.pause.tmp" "$src"
  mv "$bin/.pause.tmp" "$bin/pause"
fi
echo "$bin"
