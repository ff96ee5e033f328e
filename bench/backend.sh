#!/usr/bin/env bash
# `make bench` (backend): requests/s and p50/p99 latency of the real endpoints next to a
# trivial one, on one uvicorn worker with a real PostgreSQL, all on loopback.
#   GET /healthz          the framework's ceiling: no database, no validation
#   GET /api/todos        list 50 of 200 todos (one query on the event loop, from the loop pool;
#                         PostgreSQL writes the page's JSON)
#   POST /api/chat list   an offline assistant turn ("show my todos": new conversation,
#                         list query, two stored messages in one statement; a turn that
#                         changes no todo runs on the event loop), with as many connections
#                         as CHAT_MAX_CONCURRENT_TURNS allows turns in flight
#   POST /api/chat add    a turn that adds a todo ("add water the plants": in a session on
#                         the chat's threads, as every turn that changes todos); the todos
#                         are put back to the 200 afterwards
#   POST /api/chat x2     twice that many connections: the turns beyond the bound are
#                         refused at once with 503; the row reports their share and latency
# Each ratio is printed against its goal, with the CPU one bare hop to the thread pool costs.
# Then the same rows with the server held to 1 CPU as the chart's limit holds a pod (a CFS
# quota on a cgroup the bench makes and removes), with 1 and with 2 uvicorn workers.
# Load generator: wrk (Debian package; installed here when missing and running as root);
# the over-the-bound row uses a small httpx client, which sees each answer's status.
# Each run gets a warm-up and then BENCH_SECONDS (default 10) of load. Nothing here fails
# on a figure: failed requests are counted in the table and named below it.
set -euo pipefail
source "$(dirname "$0")/../tests/env/lib.sh"
seconds=${BENCH_SECONDS:-10}
connections=${BENCH_CONNECTIONS:-16}
# The server's own bound on chat turns in flight (CHAT_MAX_CONCURRENT_TURNS, default 8).
chat_bound=${CHAT_MAX_CONCURRENT_TURNS:-8}

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
  [[ -z ${cpu_cgroup:-} ]] || rmdir "$cpu_cgroup" 2>/dev/null || true
  [[ -z $pgdir ]] || "$ROOT/tests/env/postgres.sh" stop "$pgdir"
  rm -rf "$work"
}
trap cleanup EXIT

eval "$("$ROOT/tests/env/postgres.sh" start)"
pgdir=$PGTEST_DIR
cd "$ROOT/backend"
"$py" -m app.migrate 2>>"$work/server.log"
# seed: exactly 200 todos to list (enough that the page is a full 50 and the count scans a
# real table), and no conversations; run again after the turns that add todos.
seed() {
  "$py" - <<'PY'
import os
from sqlalchemy import create_engine, text
from app.settings import normalize_database_url
engine = create_engine(normalize_database_url(os.environ["DATABASE_URL"]))
with engine.begin() as conn:
    conn.execute(text("TRUNCATE messages, conversations, todos RESTART IDENTITY CASCADE"))
    conn.execute(text(
        "INSERT INTO todos (title, notes, priority, done, created_at, updated_at) "
        "SELECT 'todo ' || i, 'some notes', 'medium', i % 3 = 0, now(), now() "
        "FROM generate_series(1, 200) AS i"))
engine.dispose()
PY
}
seed

free_port() { "$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(free_port)
metrics_port=$(free_port)
# A pod's CPU limit is a CFS quota on its cgroup (the kubelet writes cpu.max, or
# cpu.cfs_quota_us on cgroup v1): the process may run on any core, for at most that much
# CPU time per period. The 1-CPU rows run the server in such a cgroup of their own (removed
# on exit); without a writable cpu controller they fall back to taskset, which pins the
# server to one core and so is not the same thing (said in the table's title).
cpu_cgroup=""
make_cpu_cgroup() {
  local dir
  if grep -qw cpu /sys/fs/cgroup/cgroup.controllers 2>/dev/null; then
    dir=/sys/fs/cgroup/todo-bench-$$
    mkdir "$dir" 2>/dev/null && echo "100000 100000" >"$dir/cpu.max" && cpu_cgroup=$dir && return
  elif [[ -d /sys/fs/cgroup/cpu ]]; then
    dir=/sys/fs/cgroup/cpu/todo-bench-$$
    mkdir "$dir" 2>/dev/null && echo 100000 >"$dir/cpu.cfs_period_us" && echo 100000 >"$dir/cpu.cfs_quota_us" \
      && cpu_cgroup=$dir && return
  fi
  [[ -z ${dir:-} ]] || rmdir "$dir" 2>/dev/null || true
  return 1
}
# start_server WORKERS [quota|CPU list for taskset]: the server in the background, ready
start_server() {
  local workers=$1 limit=${2:-}
  local pin=()
  if [[ $limit == quota ]]; then
    pin=(sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$cpu_cgroup")
  elif [[ -n $limit ]]; then
    pin=(taskset -c "$limit")
  fi
  # One worker serves metrics as the chart runs it (instrumented, on a port of its own); the
  # workers of a multi-worker server would all bind that port, so they run without metrics.
  local metrics=$metrics_port
  ((workers == 1)) || metrics=0
  GEMINI_API_KEY='' CHAT_MAX_CONCURRENT_TURNS=$chat_bound METRICS_PORT=$metrics "${pin[@]}" "$py" -m uvicorn app.main:app \
    --host 127.0.0.1 --port "$port" --workers "$workers" --no-access-log --log-level warning \
    >>"$work/server.log" 2>&1 &
  server=$!
  for _ in $(seq 150); do curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && return; sleep 0.1; done
  cat "$work/server.log" >&2
  log "backend did not start"
  stop_server
  return 1
}
stop_server() {
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  server=""
}

for turn in "chat:show my todos" "chat_add:add water the plants"; do
  cat >"$work/${turn%%:*}.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"message": "${turn#*:}"}'
LUA
done

# settle: wait until the server has no chat turn in flight (a warm-up's client is gone,
# but the turns it started still hold their slots for a moment).
settle() { sleep 1; }

# CPU seconds the server process has used (user + system). With one worker that is all of
# the server's work, so it gives CPU time per request, which other load on the machine
# does not change the way it changes requests/s.
server_cpu() { awk -v tck="$(getconf CLK_TCK)" '{print ($14 + $15) / tck}' "/proc/$server/stat"; }

# run NAME CONNECTIONS PATH [wrk args...]: warm up, measure, keep wrk's report
run() {
  local name=$1 conns=$2 path=$3; shift 3
  # A failed or stuck wrk leaves its row out of the table (named below it), never the bench.
  timeout 60 wrk -t1 -c"$conns" -d2s "$@" "http://127.0.0.1:$port$path" >/dev/null || true
  settle
  server_cpu >"$work/$name.cpu" || true
  timeout $((seconds + 60)) wrk -t2 -c"$conns" -d"${seconds}s" --timeout 10s --latency "$@" \
    "http://127.0.0.1:$port$path" >"$work/$name.txt" || log "wrk failed for $name"
  server_cpu >>"$work/$name.cpu" || true
  settle
}

# overload NAME CONNECTIONS: POST /api/chat from CONNECTIONS clients at once for
# min(BENCH_SECONDS, 5) s; writes one "status latency_ms" line per answer.
overload() {
  local name=$1 conns=$2
  "$py" - "http://127.0.0.1:$port" "$conns" "$(( seconds < 5 ? seconds : 5 ))" >"$work/$name.tsv" <<'PY' || log "the over-the-bound client failed"
import asyncio, sys, time
import httpx

base, conns, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])

async def client(http: httpx.AsyncClient, stop: float, out: list) -> None:
    while time.monotonic() < stop:
        start = time.perf_counter()
        try:
            r = await http.post("/api/chat", json={"message": "show my todos"})
            status = r.status_code
        except httpx.HTTPError:
            status = 0  # no answer at all: counted as a failure
        out.append((status, (time.perf_counter() - start) * 1000))

async def main() -> None:
    out: list = []
    limits = httpx.Limits(max_connections=conns)
    async with httpx.AsyncClient(base_url=base, timeout=10, limits=limits) as http:
        stop = time.monotonic() + seconds
        await asyncio.gather(*(client(http, stop, out) for _ in range(conns)))
    print(f"# {seconds}")
    for status, ms in out:
        print(status, f"{ms:.3f}")

asyncio.run(main())
PY
}

log "benchmark: ${seconds}s per row, $connections connections (chat: $chat_bound, the turn bound), 1 uvicorn worker, PostgreSQL on loopback"
start_server 1 || die "backend did not start: no figures"
run healthz "$connections" /healthz
run list "$connections" "/api/todos?limit=50"
run chat "$chat_bound" /api/chat -s "$work/chat.lua"
overload chat_over $((2 * chat_bound))
run chat_add "$chat_bound" /api/chat -s "$work/chat_add.lua"
stop_server
seed

# The chart gives the backend 1 CPU: the same rows with the server held to 1 CPU, as a
# pod's limit holds it (a CFS quota; taskset where no cgroup can be made).
limit="" limit_title=""
if make_cpu_cgroup; then
  limit=quota limit_title="a CFS quota of 1 CPU (what a pod's limit is)"
elif command -v taskset >/dev/null && (($(nproc) >= 2)); then
  limit=0 limit_title="taskset to one core (no cgroup could be made: not what a pod's limit does)"
fi
if [[ -n $limit ]]; then
  echo "$limit_title" >"$work/limit.txt"
  for workers in 1 2; do
    log "benchmark: server held to 1 CPU ($limit_title), $workers worker(s)"
    start_server "$workers" "$limit" || continue
    run "healthz_cpu1_w$workers" "$connections" /healthz
    run "list_cpu1_w$workers" "$connections" "/api/todos?limit=50"
    run "chat_cpu1_w$workers" "$chat_bound" /api/chat -s "$work/chat.lua"
    stop_server
  done
fi

# What one hop to the thread pool costs by itself: a chat turn that changes todos makes one
# (its session runs there); a listing turn, the list and /healthz none (the event loop). In process, on uvloop as the server runs.
"$py" - >"$work/hop.txt" <<'PY' || log "could not time a thread hop"
import asyncio, time
import uvloop
from fastapi.concurrency import run_in_threadpool

async def main() -> None:
    for _ in range(500):
        await run_in_threadpool(lambda: None)
    n = 5000
    start = time.process_time()
    for _ in range(n):
        await run_in_threadpool(lambda: None)
    print((time.process_time() - start) / n * 1e6)

uvloop.run(main())
PY

"$py" - "$work" "$chat_bound" <<'PY' || log "could not summarize the runs (raw wrk output: the files above)"
# Every row is optional: a run that failed or printed something unexpected is shown as
# "n/a" and named below the table, and every ratio it would feed reads "n/a".
import math, re, sys
from pathlib import Path

work, chat_bound = Path(sys.argv[1]), int(sys.argv[2])
NA = float("nan")
missing: list[str] = []

def ms(value: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value)
    if not m:
        return NA
    return float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[m.group(2)]

def num(pattern: str, text: str, flags: int = 0) -> str | None:
    m = re.search(pattern, text, flags)
    return m.group(1) if m else None

def read(name: str) -> dict | None:
    try:
        out = (work / f"{name}.txt").read_text()
        requests = int(num(r"(\d+) requests in", out))
        rps = float(num(r"Requests/sec:\s+([\d.]+)", out))
    except (OSError, TypeError, ValueError):
        missing.append(name)
        return None
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    try:
        cpu_before, cpu_after = map(float, (work / f"{name}.cpu").read_text().split())
        cpu_us = (cpu_after - cpu_before) / max(requests, 1) * 1e6
    except (OSError, ValueError):
        cpu_us = NA
    p50, p99 = num(r"^\s+50%\s+(\S+)", out, re.M), num(r"^\s+99%\s+(\S+)", out, re.M)
    return {
        "cpu_us": cpu_us,
        "rps": rps,
        "p50": ms(p50) if p50 else NA,
        "p99": ms(p99) if p99 else NA,
        "errors": (int(errors.group(1)) if errors else 0) + (sum(map(int, sock.groups())) if sock else 0),
    }

def div(a: float, b: float) -> float:
    return a / b if b and not (math.isnan(a) or math.isnan(b)) else NA

def f(value: float, spec: str, width: int) -> str:
    return f"{'n/a':>{width}}" if math.isnan(value) else f"{value:{width}{spec}}"

def x(value: float, width: int) -> str:
    return f"{'n/a' if math.isnan(value) else f'{value:.2f}x':>{width}}"

def pct(values: list[float], q: float) -> float:
    if not values:
        return NA
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]

rows = [
    ("GET /healthz (ceiling)", "healthz"),
    ("GET /api/todos (50 of 200)", "list"),
    (f"POST /api/chat list ({chat_bound} conns)", "chat"),
    (f"POST /api/chat add ({chat_bound} conns)", "chat_add"),
]
res = {key: read(key) for _, key in rows}
ceiling = res["healthz"]["rps"] if res["healthz"] else NA
ceiling_cpu = res["healthz"]["cpu_us"] if res["healthz"] else NA
print(
    f"\n{'endpoint':34} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'vs ceiling':>10} "
    f"{'CPU us/req':>10} {'errors':>7}"
)
for label, key in rows:
    r = res[key]
    if r is None:
        print(f"{label:34} {'n/a (run failed)':>9}")
        continue
    print(
        f"{label:34} {r['rps']:9.0f} {f(r['p50'], '.2f', 8)} {f(r['p99'], '.2f', 8)} "
        f"{x(div(r['rps'], ceiling), 10)} {f(r['cpu_us'], '.0f', 10)} {r['errors']:7d}"
    )

try:
    lines = (work / "chat_over.tsv").read_text().split("\n")
    duration = float(lines[0].split()[1])
    answers = [(int(s), float(t)) for s, t in (line.split() for line in lines[1:] if line)]
except (OSError, IndexError, ValueError):
    missing.append("chat_over")
else:
    busy = [t for s, t in answers if s == 503]
    served = [t for s, t in answers if s == 200]
    other = len(answers) - len(busy) - len(served)
    total = max(len(answers), 1)
    print(
        f"\nPOST /api/chat with {2 * chat_bound} connections ({chat_bound} turns allowed in flight), "
        f"{duration:g} s: {len(answers) / duration:.0f} answers/s; "
        f"503 (busy) {len(busy) / total:.0%} of answers, p50 {pct(busy, 0.5):.1f} ms, p99 {pct(busy, 0.99):.1f} ms; "
        f"200 p50 {pct(served, 0.5):.1f} ms; other {other}"
    )

print("\ngoals (req/s against GET /healthz on the same server; by CPU: server CPU per request, "
      "what the ratio is when nothing else competes for the CPU):")
for label, key, goal in (("list/healthz", "list", 0.25), ("chat/healthz", "chat", 0.15)):
    r = res[key]
    ratio = div(r["rps"], ceiling) if r else NA
    by_cpu = div(ceiling_cpu, r["cpu_us"]) if r else NA
    verdict = "n/a" if math.isnan(ratio) else ("MET" if ratio >= goal else "below the goal")
    print(f"  {label:13} {x(ratio, 6)}   goal >= {goal:.2f}x: {verdict:15} by CPU {x(by_cpu, 6)}")

try:
    hop_us = float((work / "hop.txt").read_text())
except (OSError, ValueError):
    missing.append("thread hop")
else:
    print(
        f"\none hop to the thread pool (run_in_threadpool of a no-op, in process): {hop_us:.0f} us CPU, "
        f"{x(div(hop_us, ceiling_cpu), 0).strip()} of GET /healthz's CPU per request; "
        "an adding chat turn makes one; a listing turn, the list and /healthz none"
    )

cpu1 = {f"{key}_cpu1_w{w}": read(f"{key}_cpu1_w{w}") for key in ("healthz", "list", "chat") for w in (1, 2)}
if any(cpu1.values()):
    print(f"\nserver held to 1 CPU by {(work / 'limit.txt').read_text().strip()}:")
    print(f"{'row':34} {'1 worker':>10} {'2 workers':>10} {'2w/1w':>7} {'p99 1w':>8} {'p99 2w':>8}")
    for label, key in (("GET /healthz req/s", "healthz"), ("GET /api/todos req/s", "list"), ("POST /api/chat list req/s", "chat")):
        one, two = cpu1[f"{key}_cpu1_w1"], cpu1[f"{key}_cpu1_w2"]
        print(
            f"{label:34} {f(one['rps'] if one else NA, '.0f', 10)} {f(two['rps'] if two else NA, '.0f', 10)} "
            f"{x(div(two['rps'], one['rps']) if one and two else NA, 7)} "
            f"{f(one['p99'] if one else NA, '.1f', 8)} {f(two['p99'] if two else NA, '.1f', 8)}"
        )
    # The goals again, on the chart's setting: 1 worker held to 1 CPU.
    base = cpu1["healthz_cpu1_w1"]
    print("goals on the 1-CPU server, 1 worker (req/s against its own GET /healthz):")
    for label, key, goal in (("list/healthz", "list", 0.25), ("chat/healthz", "chat", 0.15)):
        r = cpu1[f"{key}_cpu1_w1"]
        ratio = div(r["rps"], base["rps"]) if r and base else NA
        verdict = "n/a" if math.isnan(ratio) else ("MET" if ratio >= goal else "below the goal")
        print(f"  {label:13} {x(ratio, 6)}   goal >= {goal:.2f}x: {verdict}")

failed = [label for label, key in rows if res[key] and res[key]["errors"]]
failed += [key for key, r in cpu1.items() if r and r["errors"]]
if failed:
    print(f"\nNOTE: failed requests during: {', '.join(failed)} (see the errors column)")
if missing:
    print(f"\nNOTE: no figures for: {', '.join(missing)} (the run failed; see the log above)")
PY
