#!/usr/bin/env bash
# Creates .venv-da4ml with da4ml (distributed-arithmetic Verilog for neural networks, PyPI), the
# peer that the RTL bench (benches/benches/rtl_synth.rs) puts through the same Yosys flow as our
# RTL writer. Kept apart from .venv-ref so that its pins never move the reference tools'.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bash "$root/scripts/make-venv.sh" "$root/.venv-da4ml" "da4ml==0.6.0 numpy==2.4.6 quantizers==1.2.2"
