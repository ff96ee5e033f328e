#!/usr/bin/env bash
# `make test-chart`: the Helm chart's tests (tests/chart, Go with Helm's SDK): strict lint,
# renders of every realistic value set decoded strictly into k8s.io/api types, Pod Security
# "restricted", the seed's structure, rollout annotations and bad-values errors.
set -euo pipefail
source "$(dirname "$0")/../env/lib.sh"
JUNIT_DIR=${JUNIT_DIR:-$ROOT/build/test-results/chart}
mkdir -p "$JUNIT_DIR"
command -v gotestsum >/dev/null || "$ROOT/tests/env/deps.sh"
log "chart tests (charts/todo-chatbot)"
gotest "$ROOT/tests" "$JUNIT_DIR/chart.xml" -count=1 ./chart/...
