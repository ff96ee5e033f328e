#!/usr/bin/env bash
# `make node-up`: starts the test node (tests/cluster: a real one-node cluster and its Docker
# API, in a network namespace with no route out), builds the app images into it and keeps it
# up until Ctrl-C, which stops it and removes everything it made. Needs root. Holds
# /tmp/todo-locks/node.lock and docker.lock while the node is up, so it waits for a test run
# that holds them.
set -euo pipefail
# shellcheck source=tests/env/lib.sh
source "$(dirname "$0")/../env/lib.sh"
mkdir -p /tmp/todo-locks
exec {node_lock}>/tmp/todo-locks/node.lock {docker_lock}>/tmp/todo-locks/docker.lock
flock -n "$node_lock" || { log "waiting for /tmp/todo-locks/node.lock (a test run holds the node)"; flock "$node_lock"; }
flock "$docker_lock"
# shellcheck source=tests/env/node.sh
source "$ROOT/tests/env/node.sh"
state=$(mktemp -d /tmp/todo-node-up.XXXXXX)
finish() {
  rm -rf "$state"
  node_env_down
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
node_env_up
(cd "$ROOT/tests" && go build -o "$state/nodeup" ./cluster/nodeup)
"$state/nodeup" "$state/run"
