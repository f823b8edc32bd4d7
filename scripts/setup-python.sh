#!/usr/bin/env bash
# Creates the Python environment of the reference tools (qonnx, onnx, onnxruntime, hls4ml)
# that the interop tests and benches compare against. Idempotent: reuses .venv-ref when it
# already holds the pinned versions.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$root/.venv-ref"
pins="numpy==2.4.6 onnx==1.23.2 onnxruntime==1.32.0 qonnx==1.0.0 hls4ml==1.3.0 tqdm==4.70.1"
stamp="$venv/.pins"
if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$pins" ]; then
  exit 0
fi
python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check $pins
echo "$pins" > "$stamp"
