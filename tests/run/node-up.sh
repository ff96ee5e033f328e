#!/usr/bin/env bash
# `make node-up`: starts the test node (tests/cluster: a real one-node cluster and its Docker
# API, in a network namespace with no route out), builds the app images into it and keeps it
# up until Ctrl-C, which stops it and removes everything it made. Needs root. Holds the node's
# locks while the node is up (node_env_up takes them), so it waits for a test run that holds them.
set -euo pipefail
# shellcheck source=tests/env/lib.sh
source "$(dirname "$0")/../env/lib.sh"
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
