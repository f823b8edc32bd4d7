#!/usr/bin/env bash
# make-venv.sh DIR "PINS" [PIP-OPTION...]: creates the Python environment DIR with exactly the
# pinned packages PINS (pip requirement strings). Idempotent: reuses DIR when its stamp file
# records the same pins. Used by setup-python.sh and setup-simulator.sh.
set -euo pipefail
venv="$1"; pins="$2"; shift 2
stamp="$venv/.pins"
if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$pins" ]; then
  exit 0
fi
python3 -m venv "$venv"
# shellcheck disable=SC2086 # the pins are separate words
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$@" $pins
echo "$pins" > "$stamp"
