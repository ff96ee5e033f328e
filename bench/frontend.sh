#!/usr/bin/env bash
# `make bench` (frontend): the production bundle per route (First Load JS, as `next build`
# reports it), build time and shipped sizes, and the latency the /api proxy adds.
set -euo pipefail
source "$(dirname "$0")/../tests/env/lib.sh"
fe=$ROOT/frontend
export NEXT_TELEMETRY_DISABLED=1 NEXT_IGNORE_INCORRECT_LOCKFILE=1
"$ROOT/tests/env/frontend-deps.sh"

out=$(mktemp) logs=$(mktemp)
pid=
cleanup() { [[ -n $pid ]] && { kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; }; rm -f "$out" "$logs"; }
trap cleanup EXIT

start=$SECONDS
(cd "$fe" && npm run --silent build) >"$out" 2>&1 || { cat "$out"; die "next build failed"; }
build_s=$((SECONDS - start))

echo "| route | size | First Load JS |"
echo "| --- | ---: | ---: |"
# Route rows look like "┌ ○ /   7.25 kB   110 kB"; the shared row "+ First Load JS shared by all  103 kB".
sed -n '/^Route (app)/,/^+ First Load JS/p' "$out" | awk '
  /^Route/ {next}
  /^\+ First Load JS shared by all/ {printf "| (shared by all) | | %s %s |\n", $(NF-1), $NF; next}
  { n=NF; printf "| %s | %s %s | %s %s |\n", $(n-4), $(n-3), $(n-2), $(n-1), $n }'
echo
static_js=$(find "$fe/.next/static" -name '*.js' -print0 | xargs -0 cat | wc -c)
static_gz=$(find "$fe/.next/static" -name '*.js' -print0 | xargs -0 cat | gzip -9 | wc -c)
echo "| measure | value |"
echo "| --- | ---: |"
echo "| next build (2 cores, warm npm cache) | ${build_s} s |"
echo "| every JS chunk in .next/static, loaded or not (raw / gzip) | $((static_js / 1024)) KiB / $((static_gz / 1024)) KiB |"
echo "| standalone server (what the image ships in /app) | $(du -sk "$fe/.next/standalone" | cut -f1) KiB |"
echo

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
bport=$(free_port) fport=$(free_port)
(cd "$fe" && exec env BACKEND_URL="http://127.0.0.1:$bport" PORT="$fport" LISTEN_HOSTNAME=127.0.0.1 \
  node scripts/start-standalone.mjs) >"$logs" 2>&1 &
pid=$!
for _ in $(seq 100); do curl -fs -o /dev/null "http://127.0.0.1:$fport/api/healthz" && break; sleep 0.2; done
node "$ROOT/bench/frontend-proxy.mjs" "http://127.0.0.1:$fport" "$bport"
