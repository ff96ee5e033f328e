#!/usr/bin/env python3
"""Prints the one summary of `make test`: per part, what its JUnit XML files report.

usage: summarize.py RESULTS_DIR PART...   (exit status 1 if anything failed)

A part whose command exited non-zero counts as failed even if its XML says otherwise (a
crash before the report was written must not look green), and every skip is listed with
its reason, loudly, so a skip can never hide. A part whose every test was skipped tested
nothing: it is reported SKIPPED, not ok, and with CI=true (set by CI services) it fails the
run, since CI has everything a part needs.
"""
import os
import sys
import xml.etree.ElementTree as ET
from pathlib import Path


def count(part_dir: Path):
    passed = failed = skipped = 0
    skips = []
    for xml in sorted(part_dir.rglob("*.xml")):
        try:
            root = ET.parse(xml).getroot()
        except ET.ParseError as err:
            failed += 1
            skips.append(f"unreadable report {xml.name}: {err}")
            continue
        for case in root.iter("testcase"):
            name = f"{case.get('classname', '')} {case.get('name', '')}".strip()
            if case.find("failure") is not None or case.find("error") is not None:
                failed += 1
            elif case.find("skipped") is not None:
                skipped += 1
                reason = case.find("skipped").get("message") or (case.find("skipped").text or "")
                skips.append(f"SKIPPED {name}: {reason.strip()[:300]}")
            else:
                passed += 1
    return passed, failed, skipped, skips


def main() -> int:
    results, parts = Path(sys.argv[1]), sys.argv[2:]
    rows, notes = [], []
    tp = tf = ts = 0
    bad = False
    for part in parts:
        d = results / part
        status = (d / ".status").read_text().split() if (d / ".status").exists() else ["-1", "0"]
        rc, secs = int(status[0]), int(status[1])
        p, f, s, skips = count(d)
        verdict = "ok"
        if rc != 0 or f:
            verdict = f"FAILED (exit {rc})"
            bad = True
        if rc != 0 and f == 0:
            f = 1  # the command failed without a report of the failure: count it
        if p + f + s == 0:
            verdict, bad = "FAILED (ran no test)", True
        elif verdict == "ok" and p == 0:
            verdict = "SKIPPED (every test)"
            if os.environ.get("CI") == "true":
                verdict, bad = "FAILED (every test skipped, CI=true)", True
        rows.append((part, p, f, s, f"{secs}s", verdict))
        notes += [f"[{part}] {line}" for line in skips]
        tp, tf, ts = tp + p, tf + f, ts + s

    print("\n" + "=" * 64 + "\nTest summary (from the runners' JUnit reports)\n" + "=" * 64)
    print(f"{'part':<10}{'passed':>8}{'failed':>8}{'skipped':>9}{'time':>8}   result")
    for part, p, f, s, t, v in rows:
        print(f"{part:<10}{p:>8}{f:>8}{s:>9}{t:>8}   {v}")
    if notes:
        print("\n!!! SKIPS AND PROBLEMS (read these) !!!")
        for line in notes:
            print("  " + line)
    print(f"\n{tp} passed, {tf} failed, {ts} skipped")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
