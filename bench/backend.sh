#!/usr/bin/env bash
# `make bench` (backend): requests/s and p50/p99 latency of the real endpoints next to a
# trivial one, on one uvicorn worker with a real PostgreSQL, all on loopback.
#   GET /healthz          the framework's ceiling: no database, no validation
#   GET /api/todos        list 50 of 200 todos (count + page query, serialization)
#   POST /api/chat        an offline assistant turn ("show my todos": new conversation,
#                         list query, two stored messages, one transaction)
# Load generator: wrk (Debian package; installed here when missing and running as root).
# Each endpoint gets a warm-up and then BENCH_SECONDS (default 10) of load.
set -euo pipefail
source "$(dirname "$0")/../tests/env/lib.sh"
seconds=${BENCH_SECONDS:-10}
connections=${BENCH_CONNECTIONS:-16}

if ! command -v wrk >/dev/null; then
  if [[ $EUID -eq 0 ]] && command -v apt-get >/dev/null; then
    log "installing wrk (load generator)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk >/dev/null \
      || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk >/dev/null; }
  else
    die "wrk not found: sudo apt-get install -y wrk"
  fi
fi
"$ROOT/tests/env/backend-venv.sh"
py=$ROOT/backend/.venv/bin/python3

work=$(mktemp -d /tmp/todo-bench.XXXXXX)
pgdir="" server=""
cleanup() {
  [[ -z $server ]] || { kill "$server" 2>/dev/null; wait "$server" 2>/dev/null || true; }
  [[ -z $pgdir ]] || "$ROOT/tests/env/postgres.sh" stop "$pgdir"
  rm -rf "$work"
}
trap cleanup EXIT

eval "$("$ROOT/tests/env/postgres.sh" start)"
pgdir=$PGTEST_DIR
cd "$ROOT/backend"
"$py" -m app.migrate 2>>"$work/server.log"
"$py" - <<'PY'
# 200 todos to list: enough that the page is a full 50 and the count scans a real table.
import os
from sqlalchemy import create_engine, text
from app.settings import normalize_database_url
engine = create_engine(normalize_database_url(os.environ["DATABASE_URL"]))
with engine.begin() as conn:
    conn.execute(text(
        "INSERT INTO todos (title, notes, priority, done, created_at, updated_at) "
        "SELECT 'todo ' || i, 'some notes', 'medium', i % 3 = 0, now(), now() "
        "FROM generate_series(1, 200) AS i"))
engine.dispose()
PY

port=$("$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
GEMINI_API_KEY= "$py" -m uvicorn app.main:app --host 127.0.0.1 --port "$port" --workers 1 \
  --no-access-log --log-level warning >>"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 100); do curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null || { cat "$work/server.log" >&2; die "backend did not start"; }

cat >"$work/chat.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"message": "show my todos"}'
LUA

# run NAME PATH [wrk args...]: warm up, measure, keep wrk's report
run() {
  local name=$1 path=$2; shift 2
  timeout 60 wrk -t1 -c"$connections" -d2s "$@" "http://127.0.0.1:$port$path" >/dev/null
  timeout $((seconds + 60)) wrk -t2 -c"$connections" -d"${seconds}s" --timeout 10s --latency "$@" \
    "http://127.0.0.1:$port$path" >"$work/$name.txt"
}
log "benchmark: ${seconds}s per endpoint, $connections connections, 1 uvicorn worker, PostgreSQL on loopback"
run healthz /healthz
run list "/api/todos?limit=50"
run chat /api/chat -s "$work/chat.lua"

rc=0
"$py" - "$work" "$seconds" <<'PY' || rc=$?
import re, sys
from pathlib import Path

work, seconds = Path(sys.argv[1]), sys.argv[2]

def ms(value: str) -> float:
    n, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", value).groups()
    return float(n) * {"us": 0.001, "ms": 1, "s": 1000}[unit]

def read(name: str) -> dict:
    out = (work / f"{name}.txt").read_text()
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1)),
        "p99": ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1)),
        "errors": (int(errors.group(1)) if errors else 0) + (sum(map(int, sock.groups())) if sock else 0),
    }

rows = [("GET /healthz (ceiling)", "healthz"), ("GET /api/todos (50 of 200)", "list"),
        ("POST /api/chat (offline turn)", "chat")]
res = {key: read(key) for _, key in rows}
ceiling = res["healthz"]["rps"]
print(f"\n{'endpoint':32} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'vs ceiling':>10} {'errors':>7}")
for label, key in rows:
    r = res[key]
    print(f"{label:32} {r['rps']:9.0f} {r['p50']:8.2f} {r['p99']:8.2f} {r['rps'] / ceiling:10.0%} {r['errors']:7d}")
bad = [label for label, key in rows if res[key]["errors"]]
if bad:
    print(f"\nERROR: failed requests during: {', '.join(bad)}")
    sys.exit(1)
PY
if ((rc != 0)); then
  echo "--- wrk reports and the server log:" >&2
  cat "$work"/*.txt "$work/server.log" >&2
  exit "$rc"
fi
