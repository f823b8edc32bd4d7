#!/usr/bin/env bash
# Every test of the workspace, on a fresh machine: installs the Python reference tools
# (qonnx, onnx, onnxruntime, hls4ml) into .venv-ref, then runs `cargo test` for all crates.
# The interop tests find the reference tools through QONNX_REF_PYTHON; in CI (CI=true) a
# missing tool fails the run instead of skipping.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
bash scripts/setup-python.sh
export QONNX_REF_PYTHON="$root/.venv-ref/bin/python"
cargo test --workspace --all-targets
cargo test --workspace --doc
