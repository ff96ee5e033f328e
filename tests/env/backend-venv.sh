#!/usr/bin/env bash
# Creates backend/.venv with python3.11 and installs requirements-dev.txt into it.
# Idempotent and fast when nothing changed: it reinstalls only when the hash of the
# requirements files differs from the stamp left inside the venv by the last install.
set -euo pipefail
here=$(cd "$(dirname "$0")/../../backend" && pwd)
venv=$here/.venv
stamp=$venv/.requirements.sha256
want=$(cat "$here/requirements.txt" "$here/requirements-dev.txt" | sha256sum | cut -d' ' -f1)

if [[ -x $venv/bin/python3 && -f $stamp && $(cat "$stamp") == "$want" ]]; then
  exit 0
fi
command -v python3.11 >/dev/null || {
  echo "ERROR: python3.11 not found: sudo apt-get install -y python3.11 python3.11-venv" >&2
  exit 1
}
[[ -x $venv/bin/python3 ]] || python3.11 -m venv "$venv"
echo "==> installing backend Python dependencies into $venv" >&2
"$venv/bin/python3" -m pip install --quiet --disable-pip-version-check -r "$here/requirements-dev.txt"
echo "$want" >"$stamp"
