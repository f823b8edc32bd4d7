#!/usr/bin/env bash
# The most complete workflow that runs today (until `jet-tagging reproduce` exists): the QKeras
# jet tagger through qonnx-ir (cleanup, inspect, cost, QCDQ conversion, execution on the
# simulated jets in both forms), then hawq-ilp's bit allocation for a jet MLP with a BOPs sweep.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
data="$root/../shared/testdata"
out="$root/target/workflow"
mkdir -p "$out"
cargo build --release -q -p qonnx-ir -p hawq-ilp
q="$root/target/release/qonnx"
"$q" cleanup "$data/models/qkeras_jettagging.onnx" "$out/jet_clean.onnx"
"$q" inspect "$out/jet_clean.onnx"
"$q" cost "$out/jet_clean.onnx"
"$q" convert --to qcdq "$out/jet_clean.onnx" "$out/jet_qcdq.onnx"
n=$(python3 -c "import struct;h=open('$data/simulated-jets/X_test.npy','rb').read(256);print(h[h.index(b'(')+1:].split(b',')[0].decode())")
"$q" exec "$out/jet_clean.onnx" --input "$data/simulated-jets/X_test.npy" --output "$out/y_qonnx.npy" --batch "$n" --exact
"$q" exec "$out/jet_qcdq.onnx" --input "$data/simulated-jets/X_test.npy" --output "$out/y_qcdq.npy" --batch "$n"
cmp "$out/y_qonnx.npy" "$out/y_qcdq.npy" && echo "QONNX and QCDQ forms agree bit for bit on $n simulated jets"
cargo run --release -q -p hawq-ilp --example jet_mlp
