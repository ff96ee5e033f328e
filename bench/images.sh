#!/usr/bin/env bash
# `make bench` (images): for the real multi-stage Dockerfiles and the seed plan's naive
# single-stage ones (tests/images/naive), built side by side on the same STAND-IN bases:
# size above the base, total size, cold build time (--no-cache) and warm rebuild time after a
# one-line source change; then the ratios naive / real. Prints a table.
set -euo pipefail
source "$(dirname "$0")/../tests/env/lib.sh"
cd "$ROOT"

eval "$("$ROOT/tests/env/dockerd.sh" start)"
work=$(mktemp -d /tmp/todo-bench-images.XXXXXX)
# At the end, also on failure: the cold builds leave gigabytes of build cache; keep a bounded
# amount (what the image tests reuse is the most recent), then stop the engine.
finish() {
  "$TODO_DOCKER" image prune -f >/dev/null 2>&1 || true
  "$TODO_DOCKER" builder prune -f --keep-storage 4GB >/dev/null 2>&1 || true
  "$ROOT/tests/env/dockerd.sh" stop
  rm -rf "$work"
}
trap finish EXIT
# A signal exits through the EXIT trap too.
trap 'exit 130' INT
trap 'exit 143' TERM
use_standin_bases
py_base=$TODO_STANDIN_PYTHON
node_base=$TODO_STANDIN_NODE
D=$TODO_DOCKER

# Build contexts and Dockerfiles as the Pulumi program uses them (infra/paths.go).
declare -A context=([backend]=backend [frontend]=frontend)
declare -A base=([backend]=$py_base [frontend]=$node_base)
declare -A source_file=([backend]=app/main.py [frontend]=src/app/page.tsx)
declare -A comment=([backend]='#' [frontend]='//')

now() { date +%s.%N; }
size() { "$D" image inspect -f '{{.Size}}' "$1"; }
mb() { awk -v b="$1" 'BEGIN { printf "%.0f MB", b / 1e6 }'; }
secs() { awk -v s="$1" 'BEGIN { printf "%.1f s", s }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1fx", a / b; else print "n/a" }'; }

# bench COMPONENT VARIANT DOCKERFILE -> sets R_above R_total R_cold R_warm
bench() {
  local comp=$1 variant=$2 dockerfile=$3
  local dir=$work/$comp-$variant tag=todo-bench/$comp:$variant t0 file
  mkdir -p "$dir"
  # A copy of the context, so the one-line change never touches the working tree.
  tar -C "${context[$comp]}" --exclude=node_modules --exclude=.venv --exclude=.next -cf - . | tar -C "$dir" -xf -
  [[ $dockerfile == /* ]] || dockerfile=$ROOT/$dockerfile
  log "$comp ($variant): cold build (--no-cache) on ${base[$comp]}"
  t0=$(now)
  "$D" build --no-cache --progress=plain -t "$tag" -f "$dockerfile" --build-arg "BASE_IMAGE=${base[$comp]}" "$dir" \
    >"$work/$comp-$variant-cold.log" 2>&1 || { tail -n 30 "$work/$comp-$variant-cold.log" >&2; die "cold build of $comp ($variant) failed"; }
  R_cold=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { print b - a }')
  file=$dir/${source_file[$comp]}
  [[ -f $file ]] || die "$comp: ${source_file[$comp]} not found for the one-line change"
  printf '\n%s benchmark change %s\n' "${comment[$comp]}" "$RANDOM" >>"$file"
  log "$comp ($variant): warm rebuild after a one-line change in ${source_file[$comp]}"
  t0=$(now)
  "$D" build --progress=plain -t "$tag" -f "$dockerfile" --build-arg "BASE_IMAGE=${base[$comp]}" "$dir" \
    >"$work/$comp-$variant-warm.log" 2>&1 || { tail -n 30 "$work/$comp-$variant-warm.log" >&2; die "warm rebuild of $comp ($variant) failed"; }
  R_warm=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { print b - a }')
  R_total=$(size "$tag")
  R_above=$((R_total - $(size "${base[$comp]}")))
  "$D" rmi -f "$tag" >/dev/null
}

rows=()
for comp in backend frontend; do
  bench "$comp" real "$ROOT/${context[$comp]}/Dockerfile"
  ra=$R_above rt=$R_total rc=$R_cold rw=$R_warm
  bench "$comp" naive "tests/images/naive/$comp.Dockerfile"
  rows+=("$(printf '| %-8s | %-12s | %9s | %9s | %7s | %7s |' "$comp" "multi-stage" "$(mb "$ra")" "$(mb "$rt")" "$(secs "$rc")" "$(secs "$rw")")")
  rows+=("$(printf '| %-8s | %-12s | %9s | %9s | %7s | %7s |' "$comp" "naive" "$(mb "$R_above")" "$(mb "$R_total")" "$(secs "$R_cold")" "$(secs "$R_warm")")")
  rows+=("$(printf '| %-8s | %-12s | %9s | %9s | %7s | %7s |' "$comp" "naive / real" "$(ratio "$R_above" "$ra")" "$(ratio "$R_total" "$rt")" "$(ratio "$R_cold" "$rc")" "$(ratio "$R_warm" "$rw")")")
done

echo
echo "Images on STAND-IN bases $py_base and $node_base (Debian bookworm packages, not the official images)"
printf '| %-8s | %-12s | %9s | %9s | %7s | %7s |\n' image dockerfile "abv base" total cold warm
printf '|%s|%s|%s|%s|%s|%s|\n' ---------- -------------- ----------- ----------- --------- ---------
printf '%s\n' "${rows[@]}"
echo "cold: docker build --no-cache; warm: rebuild after a one-line change in the app's source (build cache kept)"
