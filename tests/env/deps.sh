#!/usr/bin/env bash
# Installs (or, when it cannot, names) the system packages the real-part tests need:
# PostgreSQL, Chromium, etcd, the Docker engine, debootstrap, shellcheck, the test node's runtime
# (containerd, runc, CNI plugins, iptables, conntrack, ...) and its pause build (gcc, static libc),
# plus gotestsum for JUnit
# output from `go test`. Language dependencies (venv, npm ci, go mod download) are set up
# by each part's own test script from its lockfile.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

# command -> Debian package that provides it
declare -A want=(
  [postgres]=postgresql
  [chromium]=chromium
  [etcd]=etcd-server
  [dockerd]=docker.io
  [debootstrap]=debootstrap
  [python3.11]=python3.11
  [node]=nodejs
  [go]=golang-go
  [shellcheck]=shellcheck
  [ip]=iproute2
  [ps]=procps
  [docker-registry]=docker-registry
  # The e2e Ingress/metrics step scrapes both apps with a real Prometheus server.
  [prometheus]=prometheus
  # The real test node (tests/cluster): runtime, pod network, kube-proxy's and the kubelet's
  # host tools, the static busybox of local-path's volume helper, the pause build.
  [containerd]=containerd
  [runc]=runc
  [conntrack]=conntrack
  [socat]=socat
  [ebtables]=ebtables
  [ethtool]=ethtool
  [iptables]=iptables
  # kube-router's NetworkPolicy controller (many-node clusters) keeps its sets with ipset.
  [ipset]=ipset
  [nsenter]=util-linux
  [busybox]=busybox-static
  [gcc]=gcc
)
have() {
  case "$1" in
    postgres) compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null ;;
    # Debian's CNI plugins live outside PATH; pause links statically against libc.a.
    containerd) command -v containerd >/dev/null && [[ -x /usr/lib/cni/bridge ]] ;;
    gcc) command -v gcc >/dev/null && [[ -f /usr/lib/x86_64-linux-gnu/libc.a ]] ;;
    *) command -v "$1" >/dev/null ;;
  esac
}

missing=()
for cmd in "${!want[@]}"; do have "$cmd" || missing+=("${want[$cmd]}"); done
have containerd || missing+=(containernetworking-plugins)
have gcc || missing+=(libc6-dev)
# python3.11 must be able to create a venv (Debian splits ensurepip out).
if have python3.11 && ! python3.11 -c 'import ensurepip' 2>/dev/null; then missing+=(python3.11-venv); fi

if ((${#missing[@]})); then
  if [[ $EUID -eq 0 ]] && command -v apt-get >/dev/null; then
    log "installing system packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    die "missing system packages. Install them with:
    sudo apt-get install -y ${missing[*]}
  (Go >= 1.25, Python 3.11 and Node >= 20 may come from elsewhere; they must be on PATH.)"
  fi
fi

node_major=$(node -p 'process.versions.node.split(".")[0]')
((node_major >= 18)) || die "Node $node_major is too old: install Node 20 (https://nodejs.org)"

# gotestsum turns `go test` into JUnit XML for the summary; pinned, cached outside the repo.
if [[ ! -x "$TODO_CACHE/bin/gotestsum" ]]; then
  log "installing gotestsum $GOTESTSUM_VERSION into $TODO_CACHE/bin"
  GOBIN="$TODO_CACHE/bin" go install "gotest.tools/gotestsum@$GOTESTSUM_VERSION"
fi
