#!/usr/bin/env bash
# `make bench` entry for the dev loop: through the REAL Pulumi CLI and plugins on
# the test node (the harness of `make test-e2e`, tests/run/e2e.sh), times a one-line backend
# and frontend change from the save to the new code answering: with make dev's live update,
# with its rebuild and roll (LIVE_UPDATE=0), and the raw floor of live update (`kubectl cp`
# into a pod of a second release, the dev server reloads: Tilt's way), each printed with its
# ratio to the goal (backend <= 2 s, frontend <= 3 s; a figure never fails the run); a no-op
# `pulumi preview` with and without runtime.options.buildTarget; the program build as the
# Go language host does it (first preview on an empty Go build cache, after a one-line
# program edit) and the binary's size. Prints the table (tests/e2e/devbench_test.go).
#   BENCH_DEVLOOP_COLD=0   skip the cold-cache preview (minutes on 2 cores)
set -euo pipefail
# shellcheck source=tests/env/lib.sh
source "$(dirname "$0")/../tests/env/lib.sh"
export JUNIT_DIR=${JUNIT_DIR:-$ROOT/build/bench-results/devloop}
E2E_TAGS="e2e bench" exec "$ROOT/tests/run/e2e.sh" -run '^TestBenchmarkDevLoop$'
