#!/usr/bin/env bash
# The benchmark report in one command: installs the peers (the reference tools in .venv-ref, da4ml
# in .venv-da4ml, JAX and PuLP + CBC in .venv-peers, Yosys and Icarus), runs every bench of
# benches/ with its peers on the same inputs in the same run (`cargo bench -p benches`), then
# writes docs/src/benchmarks.md from the results this run saved (`bench-report --since`), with the
# machine, the date and the commit. Prints each step's time. Takes about half an hour on 2 cores;
# for steady figures run it on a quiet machine.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
# shellcheck source=scripts/lib.sh
. "$root/scripts/lib.sh"
step "system packages" bash scripts/setup-system.sh
step "reference tools (.venv-ref)" bash scripts/setup-python.sh
step "da4ml (.venv-da4ml)" bash scripts/setup-da4ml.sh
step "JAX, PuLP + CBC (.venv-peers)" bash scripts/setup-bench-peers.sh
export QONNX_REF_PYTHON="$root/.venv-ref/bin/python"
since=$(date +%s)
step "every bench with its peers" cargo bench -p benches
step "docs/src/benchmarks.md" cargo run --profile bench -q -p benches --bin bench-report -- --since "$since"
