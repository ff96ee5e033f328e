# shellcheck shell=bash
# What the real test node (tests/cluster) needs around it. Source it (after tests/env/lib.sh):
#   node_env_up     builds/reuses the node's binaries (KUBE_BIN_DIR), starts the private Docker
#                   engine (DOCKER_HOST; the node's Docker API, as `minikube docker-env` gives it,
#                   is the harness's proxy in front of it: Cluster.DockerHost) and the STAND-IN
#                   bases (TODO_STANDIN_PYTHON, TODO_STANDIN_NODE), and exports them
#   node_env_down   trims the engine's cache and stops it (call it from an EXIT trap)
# node_env_up takes /tmp/todo-locks/node.lock and then docker.lock first (waiting, and saying
# so, while another run holds them) and keeps them until the script exits: only one run at a
# time may hold the node, whose network namespace and engine every run names alike.
# Used by tests/run/cluster.sh, bench/cluster.sh and the end-to-end test's runner.

node_env_up() {
  [[ $EUID -eq 0 ]] || die "the test node needs root (network namespace, containerd, kubelet); try: sudo $0"
  mkdir -p /tmp/todo-locks
  exec {TODO_NODE_LOCK_FD}>/tmp/todo-locks/node.lock {TODO_DOCKER_LOCK_FD}>/tmp/todo-locks/docker.lock
  flock -n "$TODO_NODE_LOCK_FD" || { log "waiting for /tmp/todo-locks/node.lock (another run holds the test node)"; flock "$TODO_NODE_LOCK_FD"; }
  flock "$TODO_DOCKER_LOCK_FD"
  local start=$SECONDS
  KUBE_BIN_DIR=$("$ROOT/tests/env/kube-build.sh")
  export KUBE_BIN_DIR
  log "node binaries ready in $((SECONDS - start))s ($KUBE_BIN_DIR)"
  local env
  env=$("$ROOT/tests/env/dockerd.sh" start) || die "the private Docker engine did not start (tests/env/dockerd.sh start)"
  eval "$env"
  NODE_ENV_DOCKERD=1
  log "the private Docker engine: $DOCKER_HOST (the node serves its API on /run/todo-node/docker.sock, where builds and tags load into the node)"
  use_standin_bases
}

node_env_down() {
  [[ ${NODE_ENV_DOCKERD:-} == 1 ]] || return 0
  "$TODO_DOCKER" image prune -f >/dev/null 2>&1 || true
  "$TODO_DOCKER" builder prune -f --keep-storage 4GB >/dev/null 2>&1 || true
  "$ROOT/tests/env/dockerd.sh" stop
  NODE_ENV_DOCKERD=
}
