#!/usr/bin/env bash
# `make bench` entry for the deployment itself: through the REAL Pulumi CLI and plugins on the test node,
# times the first `pulumi up` to `make verify` passing, a one-line backend and frontend
# change to the new code answering, and a no-op preview, against the raw floor (docker build
# + helm install --wait; docker build + kubectl rollout restart + rollout status), and
# prints the table with the ratios (tests/e2e/bench_test.go). It runs on the same harness as
# `make test-e2e` (tests/run/e2e.sh), with the benchmark's build tag.
set -euo pipefail
# shellcheck source=tests/env/lib.sh
source "$(dirname "$0")/../tests/env/lib.sh"
export JUNIT_DIR=${JUNIT_DIR:-$ROOT/build/bench-results/e2e}
E2E_TAGS="e2e bench" exec "$ROOT/tests/run/e2e.sh" -run '^TestBenchmark$'
