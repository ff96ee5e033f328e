#!/usr/bin/env bash
# API fuzzing of the backend: Schemathesis (pinned in backend/requirements-dev.txt) against
# the real server (uvicorn app.main:app, offline assistant) on a real PostgreSQL database,
# reading the server's own /openapi.json. All of Schemathesis's checks, every phase
# (examples, coverage, fuzzing, stateful), a fixed seed and a bounded number of examples,
# so a run is repeatable; any failure fails the part. JUnit XML: one test case per operation
# plus the stateful run.
#   usage: tests/run/backend-fuzz.sh DATABASE_URL JUNIT_FILE
# The database must be empty or disposable: the fuzzer creates and deletes todos in it.
set -euo pipefail
source "$(dirname "$0")/../env/lib.sh"
db_url=${1:?usage: backend-fuzz.sh DATABASE_URL JUNIT_FILE}
junit=${2:?usage: backend-fuzz.sh DATABASE_URL JUNIT_FILE}
be=$ROOT/backend
FUZZ_SEED=${FUZZ_SEED:-20261128}
FUZZ_MAX_EXAMPLES=${FUZZ_MAX_EXAMPLES:-40}

logs=$(mktemp -d /tmp/todo-fuzz.XXXXXX)
server=""
cleanup() {
  if [[ -n $server ]]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  rm -rf "$logs"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# Metrics on, on a port of their own, so the fuzzed requests go through the instrumentation.
metrics_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
(cd "$be" && DATABASE_URL=$db_url .venv/bin/python3 -m app.migrate) >"$logs/migrate.log" 2>&1 \
  || { cat "$logs/migrate.log" >&2; die "fuzz: migrations failed"; }
(cd "$be" && DATABASE_URL=$db_url GEMINI_API_KEY='' METRICS_PORT=$metrics_port exec .venv/bin/uvicorn app.main:app \
  --host 127.0.0.1 --port "$port" --no-access-log) >"$logs/server.log" 2>&1 &
server=$!

log "backend: Schemathesis against http://127.0.0.1:$port (seed $FUZZ_SEED, $FUZZ_MAX_EXAMPLES examples per operation)"
rc=0
(cd "$logs" && "$be/.venv/bin/schemathesis" run "http://127.0.0.1:$port/openapi.json" \
  --wait-for-schema 60 \
  --checks all \
  --phases examples,coverage,fuzzing,stateful \
  --seed "$FUZZ_SEED" \
  --max-examples "$FUZZ_MAX_EXAMPLES" \
  --generation-database none \
  --workers 1 \
  --request-timeout 20 \
  --no-color \
  --report junit --report-junit-path "$junit") || rc=$?
if ((rc != 0)); then
  echo "--- server log (last 40 lines) ---" >&2
  tail -n 40 "$logs/server.log" >&2
  # A traceback in the server log means an unexpected error the fuzzer may have missed.
fi
grep -q "Traceback" "$logs/server.log" && { echo "fuzz: the server logged a traceback" >&2; grep -n -A30 Traceback "$logs/server.log" | head -60 >&2; rc=1; }
exit "$rc"
