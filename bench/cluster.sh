#!/usr/bin/env bash
# `make bench` part: times the real-cluster test's phases (control-plane start, chart
# install to ready, upgrades, the failing upgrade's timeout + rollback, uninstall, stop) from
# one run of TestChartOnRealControlPlane, and prints them as a table. The control plane is
# real (etcd, kube-apiserver, kube-controller-manager, kube-scheduler); kubelets are
# simulated by kwok, so "ready" means scheduled, admitted and reported Ready, not a
# container start.
set -euo pipefail
source "$(dirname "$0")/../tests/env/lib.sh"

KUBE_BIN_DIR=$("$ROOT/tests/env/kube-build.sh")
export KUBE_BIN_DIR
out=$(mktemp)
trap 'rm -f "$out"' EXIT
start=$SECONDS
(cd "$ROOT/tests" && go test -tags cluster -count=1 -timeout 20m -v -run '^TestChartOnRealControlPlane$' ./cluster/) >"$out" 2>&1 \
  || { tail -40 "$out"; die "the cluster test failed; no timings"; }
total=$((SECONDS - start))

python3 - "$out" "$total" <<'EOF'
import re, sys
text = open(sys.argv[1]).read()
rows = []
for label, pattern in [
    ("control plane start (5 processes + node)", r"control plane started in (\S+)"),
    ("dev stack install --wait", r"dev stack: chart installed and ready .*? in (\S+)"),
    ("external stack install --wait", r"external stack: chart installed and ready .*? in (\S+)"),
]:
    m = re.search(pattern, text)
    rows.append((label, m.group(1) if m else "?"))
what = {"2": "unchanged values", "3": "new Gemini key, both roll", "4": "new backend image ID", "5": "chart edit (chartDigest)"}
for rev, t in re.findall(r"upgraded to revision (\d+), ready in (\S+)", text):
    rows.append((f"upgrade to rev {rev} --wait: {what.get(rev, '')}", t))
m = re.search(r"failing upgrade returned after (\S+) \(timeout (\S+)\)", text)
if m:
    rows.append((f"failing upgrade: timeout {m.group(2)} + atomic rollback", m.group(1)))
for i, t in enumerate(re.findall(r"helm uninstall --wait took (\S+)", text)):
    rows.append((f"uninstall --wait ({['dev', 'external'][i] if i < 2 else i})", t))
m = re.search(r"control plane stopped in ([^;\s]+)", text)
rows.append(("control plane stop", m.group(1) if m else "?"))
rows.append(("whole test incl. go build", sys.argv[2] + "s"))
w = max(len(r[0]) for r in rows)
print(f"{'phase':<{w}}  time")
print(f"{'-' * w}  --------")
for label, t in rows:
    print(f"{label:<{w}}  {t}")
EOF
