#!/usr/bin/env bash
# The main job: the LHC jet-tagging study, `jet-tagging reproduce`, on the built-in simulated jets
# (or `--data PATH` for a real data set). Sets up what its checks need first (the Python reference
# tools for the QONNX check and the ap_types headers for the C simulation; as root, Debian's
# fonts for the plots), then runs the binary with the arguments given (default:
# `reproduce --out study`, the paper's full grid; add `--quick` for the few-minute version).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
t0=$SECONDS
bash scripts/setup-python.sh
bash scripts/setup-system.sh
echo "== set-up: $((SECONDS - t0)) s"
if [ $# -eq 0 ]; then
  set -- reproduce --out study
fi
cargo run --release -q -p jet-tagging-example -- "$@"
echo "== jet-tagging $1: $((SECONDS - t0)) s since start"
