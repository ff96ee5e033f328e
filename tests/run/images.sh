#!/usr/bin/env bash
# `make test-images`: builds todo-backend:v1 and todo-frontend:v1 from their real Dockerfiles
# on a private Docker engine (Debian's docker.io), on STAND-IN base images made from Debian
# packages (no registry is reachable to pull python:3.11-slim / node:18-alpine), runs them
# against PostgreSQL and checks them (tests/images). JUnit XML goes to $JUNIT_DIR.
set -euo pipefail
source "$(dirname "$0")/../env/lib.sh"
JUNIT_DIR=${JUNIT_DIR:-$ROOT/build/test-results/images}
mkdir -p "$JUNIT_DIR"
command -v gotestsum >/dev/null || "$ROOT/tests/env/deps.sh"

eval "$("$ROOT/tests/env/dockerd.sh" start)"
# At the end, also on failure or Ctrl-C: drop the superseded images and build cache beyond a
# bound, then stop the engine. Current images and cache stay in $TODO_CACHE/docker for the
# next (warm) run.
finish() {
  # A test binary killed mid-run leaves its host PostgreSQL (tests/images/postgres_test.go)
  # running: stop those, and only those, by their data directories.
  local pgdir pg_ctl
  pg_ctl=$(ls /usr/lib/postgresql/*/bin/pg_ctl 2>/dev/null | sort -V | tail -1)
  for pgdir in /tmp/todo-images-pg.*; do
    [[ -d $pgdir/data && -n $pg_ctl ]] && runuser -u postgres -- "$pg_ctl" -D "$pgdir/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$pgdir"
  done
  "$TODO_DOCKER" image prune -f >/dev/null 2>&1 || true
  "$TODO_DOCKER" builder prune -f --keep-storage 4GB >/dev/null 2>&1 || true
  "$ROOT/tests/env/dockerd.sh" stop
}
trap finish EXIT
# A signal exits through the EXIT trap too.
trap 'exit 130' INT
trap 'exit 143' TERM
log "private dockerd on $DOCKER_HOST (data root $TODO_CACHE/docker); builder: BuildKit of the docker.io engine (no buildx plugin in Debian)"

use_standin_bases

# Serial (-p 1, -parallel 1): the builds share two cores with everything else on the machine.
gotest "$ROOT/tests" "$JUNIT_DIR/images.xml" -count=1 -p 1 -parallel 1 -timeout 60m ./images/
