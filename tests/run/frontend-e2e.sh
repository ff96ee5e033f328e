#!/usr/bin/env bash
# Browser tests against the whole stack, all real and all on loopback:
#   a throwaway PostgreSQL -> backend migrations -> uvicorn (offline assistant)
#   -> the built Next.js standalone server (`npm start`) -> Playwright driving /usr/bin/chromium.
# Needs `npm run build` first (tests/run/frontend.sh does it). Env:
#   E2E_JUNIT_FILE      JUnit XML output (default frontend/test-results/e2e-junit.xml)
#   E2E_SCREENSHOT_DIR  screenshots of the main states (default build/artifacts/frontend)
set -euo pipefail
source "$(dirname "$0")/../env/lib.sh"
fe=$ROOT/frontend
logs=$(mktemp -d /tmp/todo-e2e.XXXXXX)

[[ -f $fe/.next/standalone/server.js ]] || die "no production build: run 'npm --prefix frontend run build' first"
chromium=${CHROMIUM_PATH:-/usr/bin/chromium}
if [[ ! -x $chromium ]]; then
  if [[ $EUID -eq 0 ]] && command -v apt-get >/dev/null; then
    log "installing Debian's chromium for the browser tests"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
  else
    die "Chromium not found at $chromium: sudo apt-get install -y chromium (or set CHROMIUM_PATH)"
  fi
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() { # wait_http URL SECONDS PID NAME LOG
  local url=$1 secs=$2 pid=$3 name=$4 logf=$5 i
  for ((i = 0; i < secs * 5; i++)); do
    curl -fs -o /dev/null --max-time 2 "$url" && return 0
    kill -0 "$pid" 2>/dev/null || { tail -n 40 "$logf" >&2; die "$name exited before it became ready"; }
    sleep 0.2
  done
  tail -n 40 "$logf" >&2
  die "$name not ready at $url after ${secs}s"
}

pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  [[ -n ${PGTEST_DIR:-} ]] && "$ROOT/tests/env/postgres.sh" stop "$PGTEST_DIR"
  rm -rf "$logs"
}
trap cleanup EXIT

log "e2e: backend setup, PostgreSQL, migrations"
"$ROOT/tests/env/backend-venv.sh"
eval "$("$ROOT/tests/env/postgres.sh" start)"
(cd "$ROOT/backend" && DATABASE_URL=$DATABASE_URL .venv/bin/python -m app.migrate) >"$logs/migrate.log" 2>&1 \
  || { cat "$logs/migrate.log" >&2; die "backend migrations failed"; }

bport=$(free_port)
# GEMINI_API_KEY empty: the offline assistant, whatever the caller's environment holds.
env GEMINI_API_KEY= DATABASE_URL="$DATABASE_URL" METRICS_PORT=0 \
  "$ROOT/backend/.venv/bin/uvicorn" app.main:app --app-dir "$ROOT/backend" --host 127.0.0.1 --port "$bport" \
  >"$logs/backend.log" 2>&1 &
pids+=($!)
wait_http "http://127.0.0.1:$bport/readyz" 60 "$!" backend "$logs/backend.log"

# The main frontend logs as the chart runs it (JSON) and serves metrics on its own port; the
# other frontends below turn metrics off (METRICS_PORT=0), so no two race for one port.
fport=$(free_port) mport=$(free_port)
(cd "$fe" && exec env BACKEND_URL="http://127.0.0.1:$bport" PORT="$fport" LISTEN_HOSTNAME=127.0.0.1 \
  METRICS_PORT="$mport" LOG_FORMAT=json \
  NEXT_TELEMETRY_DISABLED=1 node scripts/start-standalone.mjs) >"$logs/frontend.log" 2>&1 &
pids+=($!)
fpid=$! # the node process itself (exec): the memory test reads its RSS
wait_http "http://127.0.0.1:$fport/api/healthz" 60 "$!" frontend "$logs/frontend.log"

# A second frontend whose backend is a closed port: the "backend down" states. Its
# BACKEND_URL carries credentials, which no answer may show (nor the address).
dport=$(free_port) deadport=$(free_port)
(cd "$fe" && exec env BACKEND_URL="http://e2e-user:e2e-backend-secret@127.0.0.1:$deadport" PORT="$dport" LISTEN_HOSTNAME=127.0.0.1 \
  METRICS_PORT=0 NEXT_TELEMETRY_DISABLED=1 node scripts/start-standalone.mjs) >"$logs/frontend-down.log" 2>&1 &
pids+=($!)
wait_http "http://127.0.0.1:$dport/api/healthz" 60 "$!" "frontend (backend down)" "$logs/frontend-down.log"

# A backend in Gemini mode whose Gemini is a stand-in that always answers 429, and a
# frontend in front of it: the Gemini badge and a readable rate-limit message.
gport=$(free_port) gbport=$(free_port) gfport=$(free_port)
node "$fe/tests/support/fake-gemini.mjs" "$gport" >"$logs/fake-gemini.log" 2>&1 &
pids+=($!)
env GEMINI_API_KEY=e2e-not-a-real-key GEMINI_BASE_URL="http://127.0.0.1:$gport" GEMINI_MODEL=gemini-e2e-flash \
  DATABASE_URL="$DATABASE_URL" METRICS_PORT=0 \
  "$ROOT/backend/.venv/bin/uvicorn" app.main:app --app-dir "$ROOT/backend" --host 127.0.0.1 --port "$gbport" \
  >"$logs/backend-gemini.log" 2>&1 &
pids+=($!)
wait_http "http://127.0.0.1:$gbport/readyz" 60 "$!" "backend (Gemini stand-in)" "$logs/backend-gemini.log"
(cd "$fe" && exec env BACKEND_URL="http://127.0.0.1:$gbport" PORT="$gfport" LISTEN_HOSTNAME=127.0.0.1 \
  METRICS_PORT=0 NEXT_TELEMETRY_DISABLED=1 node scripts/start-standalone.mjs) >"$logs/frontend-gemini.log" 2>&1 &
pids+=($!)
wait_http "http://127.0.0.1:$gfport/api/healthz" 60 "$!" "frontend (Gemini stand-in)" "$logs/frontend-gemini.log"
log "e2e: backend :$bport, frontend :$fport (backend-down frontend :$dport, Gemini-mode frontend :$gfport); running Playwright"

rc=0
(cd "$fe" && E2E_BASE_URL="http://127.0.0.1:$fport" E2E_FRONTEND_PID=$fpid \
  E2E_METRICS_URL="http://127.0.0.1:$mport/metrics" E2E_FRONTEND_LOG="$logs/frontend.log" \
  E2E_BACKEND_DOWN_URL="http://127.0.0.1:$dport" E2E_BACKEND_DOWN_TARGET="127.0.0.1:$deadport" \
  E2E_GEMINI_URL="http://127.0.0.1:$gfport" CHROMIUM_PATH=$chromium \
  E2E_SCREENSHOT_DIR=${E2E_SCREENSHOT_DIR:-$ROOT/build/artifacts/frontend} \
  E2E_JUNIT_FILE=${E2E_JUNIT_FILE:-$fe/test-results/e2e-junit.xml} \
  npx --no-install playwright test) || rc=$?
if ((rc != 0)); then
  echo "---- backend log (tail) ----" >&2; tail -n 30 "$logs/backend.log" >&2
  echo "---- frontend log (tail) ----" >&2; tail -n 30 "$logs/frontend.log" >&2
fi
exit "$rc"
