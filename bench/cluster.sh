#!/usr/bin/env bash
# `make bench` part: times the real-node test's phases (node start to Ready with DNS and
# storage, chart install to ready with real pods, upgrades and their rolls, the failing
# upgrade's timeout + rollback, the PostgreSQL pod's replacement, uninstall, teardown) from
# one run of TestChartOnRealNode, and prints them as a table. Everything is real (containers
# run the images built from the Dockerfiles on the stand-in bases). Needs root; waits while
# another run holds the node (tests/env/node.sh takes its locks).
set -euo pipefail
source "$(dirname "$0")/../tests/env/lib.sh"
source "$ROOT/tests/env/node.sh"

# The test's full output stays beside the results, to see where a slow phase spent its time.
mkdir -p "$ROOT/build/bench"
out=$ROOT/build/bench/cluster.log
trap node_env_down EXIT
node_env_up
start=$SECONDS
(cd "$ROOT/tests" && go test -tags cluster -count=1 -timeout 30m -v -run '^TestChartOnRealNode$' ./cluster/) >"$out" 2>&1 \
  || { tail -40 "$out"; die "the cluster test failed; no timings"; }
total=$((SECONDS - start))

python3 - "$out" "$total" <<'EOF'
import re, sys
text = open(sys.argv[1]).read()
rows = []
for label, pattern in [
    ("node start: control plane + node Ready + DNS + storage", r"node ready in (\S+)"),
    ("app images: docker build (BuildKit cache) + load into the node", r"app images built .*? loaded in (\S+)"),
    ("dev stack install --wait", r"dev stack: chart installed and ready .*? in (\S+)"),
    ("external stack install --wait", r"external stack: chart installed and ready .*? in (\S+)"),
]:
    m = re.search(pattern, text)
    rows.append((label, m.group(1) if m else "?"))
what = {"2": "unchanged values", "3": "new Gemini key: both Deployments roll", "4": "new backend image ID: backend rolls",
        "5": "chart edit (chartDigest)"}
for rev, t in re.findall(r"upgraded to revision (\d+), ready in (\S+)", text):
    rows.append((f"upgrade to rev {rev} --wait: {what.get(rev, '')}", t))
m = re.search(r"failing upgrade returned after (\S+) \(timeout (\S+)\)", text)
if m:
    rows.append((f"failing upgrade: timeout {m.group(2)} + atomic rollback", m.group(1)))
m = re.search(r"helm test: \d+ test pod\(s\) succeeded in (\S+)", text)
if m:
    rows.append(("helm test (real test pod)", m.group(1)))
m = re.search(r"PostgreSQL pod deleted and replaced \(Ready\) in (\S+)", text)
if m:
    rows.append(("PostgreSQL pod deleted to Ready again", m.group(1)))
for i, t in enumerate(re.findall(r"helm uninstall --wait took (\S+)", text)):
    rows.append((f"uninstall --wait ({['dev', 'external'][i] if i < 2 else i})", t))
m = re.search(r"node stopped and removed in ([^;\s]+)", text)
rows.append(("node stop + teardown", m.group(1) if m else "?"))
rows.append(("whole test incl. go build", sys.argv[2] + "s"))
w = max(len(r[0]) for r in rows)
print(f"{'phase':<{w}}  time    (full test output: build/bench/cluster.log)")
print(f"{'-' * w}  --------")
for label, t in rows:
    print(f"{label:<{w}}  {t}")
EOF
