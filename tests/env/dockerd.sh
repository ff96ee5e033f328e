#!/usr/bin/env bash
# A private Docker engine (Debian's docker.io) for the image tests and benchmark, so they never
# touch a system dockerd or another helper's engine.
#   eval "$(tests/env/dockerd.sh start)"   # exports DOCKER_HOST, TODO_DOCKERD_DIR, TODO_DOCKER
#   tests/env/dockerd.sh stop              # stops the engine started from this checkout's state dir
# Images and build cache live in $TODO_CACHE/docker (the --data-root), so they persist between
# runs; the socket, exec-root and pidfile live in a short per-run state dir (/run/todo-dockerd).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

# The engine's own bridge and address pools: fixed and unusual, so they neither clash with
# another dockerd's docker0 nor with the host's networks.
BRIDGE=${TODO_DOCKER_BRIDGE:-todoimg0}
BRIDGE_CIDR=${TODO_DOCKER_BRIDGE_CIDR:-10.213.0.1/24}
POOL=${TODO_DOCKER_POOL:-10.214.0.0/16}
STATE=${TODO_DOCKERD_DIR:-/run/todo-dockerd}
DATA=$TODO_CACHE/docker
# The docker.io client matches the engine's API and still has the built-in BuildKit client
# (DOCKER_BUILDKIT=1) that newer CLIs moved to the buildx plugin, which Debian does not ship.
CLIENT=${TODO_DOCKER:-/usr/bin/docker}

[[ $EUID -eq 0 ]] || die "tests/env/dockerd.sh must run as root (dockerd needs it); try: sudo $0 $*"
command -v dockerd >/dev/null || die "dockerd not found: apt-get install -y docker.io"
[[ -x $CLIENT ]] || die "docker client $CLIENT not found: apt-get install -y docker.io (or set TODO_DOCKER)"

start() {
  mkdir -p "$STATE" "$DATA"
  local sock=$STATE/docker.sock
  if [[ -f $STATE/dockerd.pid ]] && kill -0 "$(cat "$STATE/dockerd.pid")" 2>/dev/null; then
    die "a todo dockerd is already running (pid $(cat "$STATE/dockerd.pid")): tests/env/dockerd.sh stop"
  fi
  command -v ip >/dev/null || die "the ip command is missing: apt-get install -y iproute2"
  ip link show "$BRIDGE" >/dev/null 2>&1 || ip link add "$BRIDGE" type bridge
  # Not `ip ... | grep -q`: under pipefail, grep's early exit SIGPIPEs ip and the test fails.
  [[ $(ip -o addr show dev "$BRIDGE") == *" ${BRIDGE_CIDR} "* ]] || ip addr add "$BRIDGE_CIDR" dev "$BRIDGE"
  ip link set "$BRIDGE" up
  # cgroupfs driver: no systemd here. Logs to a file in the state dir, printed on failure.
  dockerd --host "unix://$sock" --data-root "$DATA" --exec-root "$STATE/exec" \
    --pidfile "$STATE/dockerd.pid" --bridge "$BRIDGE" --default-address-pool "base=$POOL,size=24" \
    --exec-opt native.cgroupdriver=cgroupfs --storage-driver overlay2 \
    >"$STATE/dockerd.log" 2>&1 &
  local i
  for ((i = 0; i < 120; i++)); do
    if DOCKER_HOST=unix://$sock "$CLIENT" version >/dev/null 2>&1; then
      echo "export DOCKER_HOST=unix://$sock TODO_DOCKERD_DIR=$STATE TODO_DOCKER=$CLIENT DOCKER_BUILDKIT=1"
      return 0
    fi
    kill -0 $! 2>/dev/null || break
    sleep 0.5
  done
  tail -n 40 "$STATE/dockerd.log" >&2
  die "dockerd did not come up on $sock (log above, full log $STATE/dockerd.log)"
}

stop() {
  [[ -f $STATE/dockerd.pid ]] || { remove_network; return 0; }
  local pid i
  pid=$(cat "$STATE/dockerd.pid")
  # Containers left by a failed run would keep the engine busy: remove them first.
  DOCKER_HOST=unix://$STATE/docker.sock "$CLIENT" ps -aq 2>/dev/null \
    | xargs -r env DOCKER_HOST="unix://$STATE/docker.sock" "$CLIENT" rm -f >/dev/null 2>&1 || true
  kill "$pid" 2>/dev/null || true
  for ((i = 0; i < 60; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  kill -0 "$pid" 2>/dev/null && { kill -9 "$pid" 2>/dev/null || true; }
  rm -f "$STATE/dockerd.pid"
  remove_network
}

# dockerd leaves its bridge and iptables rules behind when it exits: remove what this engine
# made. Rules naming our bridge or address pools go always; the DOCKER* chains (and the jumps
# into them) only when no other engine's docker0 exists, so a system dockerd is never touched.
remove_network() {
  local table rule chain bridge_net=${BRIDGE_CIDR%.*} pool_net=${POOL%.*.*}
  ip link del "$BRIDGE" 2>/dev/null || true
  command -v iptables-save >/dev/null || return 0
  local ours="(${BRIDGE}|${bridge_net//./\\.}\\.|${pool_net//./\\.}\\.)"
  for table in filter nat; do
    iptables-save -t "$table" | grep -E -- "^-A .*${ours}" \
      | sed 's/^-A /-D /' | while read -r rule; do
        # shellcheck disable=SC2086 # a saved rule is a list of words
        iptables -t "$table" $rule 2>/dev/null || true
      done
    ip link show docker0 >/dev/null 2>&1 && continue
    iptables-save -t "$table" | grep -E -- '^-A .* -j DOCKER' | sed 's/^-A /-D /' | while read -r rule; do
      # shellcheck disable=SC2086
      iptables -t "$table" $rule 2>/dev/null || true
    done
    for chain in $(iptables-save -t "$table" | sed -n 's/^:\(DOCKER[A-Z0-9-]*\) .*/\1/p'); do
      iptables -t "$table" -F "$chain" 2>/dev/null || true
    done
    for chain in $(iptables-save -t "$table" | sed -n 's/^:\(DOCKER[A-Z0-9-]*\) .*/\1/p'); do
      iptables -t "$table" -X "$chain" 2>/dev/null || true
    done
  done
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) die "usage: $0 start | stop" ;;
esac
