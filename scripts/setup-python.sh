#!/usr/bin/env bash
# Creates the Python environment of the reference tools (qonnx, onnx, onnxruntime, hls4ml)
# that the interop tests and benches compare against, in .venv-ref (reused when it already holds
# the pinned versions).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bash "$root/scripts/make-venv.sh" "$root/.venv-ref" \
  "numpy==2.4.6 onnx==1.23.2 onnxruntime==1.32.0 qonnx==1.0.0 hls4ml==1.3.0 tqdm==4.70.1"
