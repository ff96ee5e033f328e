#!/usr/bin/env python3
"""Where a `go build` spends its time, from its -debug-trace file.

    bench/gobuild-trace.py TRACE.json [TOP]

Sums the wall time of each package's compile action ("Executing action (build PKG)") and
the link, groups packages by the module family they come from, and prints the TOP groups
with their share of the summed compile time. Used by bench/infra.sh on the cold build the
Go language host runs (see there).
"""

import json
import re
import sys
from collections import defaultdict

ACTION = re.compile(r"^Executing action \((build|link) (?!check cache )(.+)\)$")

# Module families worth naming on their own; anything else is grouped by its first three
# path elements (host/owner/repo) or, for the standard library, as "std".
FAMILIES = [
    (
        "pulumi-kubernetes API groups (via helm/v3 -> kubernetes/yaml)",
        "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/",
    ),
    (
        "pulumi-kubernetes provider package",
        "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes",
    ),
    ("pulumi-docker SDK", "github.com/pulumi/pulumi-docker/"),
    ("pulumi SDK", "github.com/pulumi/pulumi/"),
    ("the program (main + infra/)", "github.com/todo-chatbot/"),
    ("go-git (pulumi SDK's git helpers)", "github.com/go-git/"),
    ("grpc + protobuf", "google.golang.org/"),
    ("opentelemetry", "go.opentelemetry.io/"),
    ("golang.org/x", "golang.org/x/"),
]


def family(pkg: str) -> str:
    for name, prefix in FAMILIES:
        if pkg.startswith(prefix):
            return name
    first = pkg.split("/")[0]
    if "." not in first:
        return "Go standard library"
    return "/".join(pkg.split("/")[:3])


def main() -> None:
    path = sys.argv[1]
    top = int(sys.argv[2]) if len(sys.argv) > 2 else 8
    with open(path) as f:
        text = f.read().rstrip().rstrip(",")
    if not text.endswith("]"):
        text += "]"  # the trace of an interrupted build has no closing bracket
    events = json.loads(text)
    begin = {}
    per_pkg = defaultdict(float)
    link = 0.0
    for ev in events:
        m = ACTION.match(ev.get("name", ""))
        if not m or ev.get("ph") not in ("B", "E"):
            continue
        key = (ev.get("tid"), ev["name"])
        if ev["ph"] == "B":
            begin[key] = ev["ts"]
        elif key in begin:
            secs = (ev["ts"] - begin.pop(key)) / 1e6
            if m.group(1) == "link":
                link += secs
            else:
                per_pkg[m.group(2)] += secs
    groups = defaultdict(lambda: [0.0, 0])
    for pkg, secs in per_pkg.items():
        g = groups[family(pkg)]
        g[0] += secs
        g[1] += 1
    total = sum(per_pkg.values())
    print(
        f"{'where the cold build goes (compile actions, summed)':<64} {'pkgs':>5} {'s':>7} {'share':>6}"
    )
    for name, (secs, n) in sorted(groups.items(), key=lambda kv: -kv[1][0])[:top]:
        print(f"{name:<64} {n:>5} {secs:>7.1f} {100 * secs / total:>5.0f}%")
    rest = sorted(groups.items(), key=lambda kv: -kv[1][0])[top:]
    if rest:
        print(
            f"{'(everything else)':<64} {sum(v[1] for _, v in rest):>5} {sum(v[0] for _, v in rest):>7.1f} "
            f"{100 * sum(v[0] for _, v in rest) / total:>5.0f}%"
        )
    print(f"{'all compile actions':<64} {len(per_pkg):>5} {total:>7.1f}")
    print(f"{'link':<64} {'':>5} {link:>7.1f}")
    biggest = sorted(per_pkg.items(), key=lambda kv: -kv[1])[:5]
    print(
        "slowest packages: "
        + ", ".join(f"{p.rsplit('/go/', 1)[-1]} {s:.0f}s" for p, s in biggest)
    )


if __name__ == "__main__":
    main()
