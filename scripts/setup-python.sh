#!/usr/bin/env bash
# Creates the Python environment of the reference tools that the interop tests and benches compare
# against (qonnx, onnx, onnxruntime, hls4ml; h5py and liac-arff write the data-format fixtures),
# in .venv-ref (reused when it already holds the pinned versions).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bash "$root/scripts/make-venv.sh" "$root/.venv-ref" \
  "numpy==2.4.6 onnx==1.23.2 onnxruntime==1.32.0 qonnx==1.0.0 hls4ml==1.3.0 tqdm==4.70.1 h5py==3.16.0 liac-arff==2.5.0"
