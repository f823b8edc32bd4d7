#!/usr/bin/env bash
# The most complete workflow that runs today (until `jet-tagging reproduce` exists):
#  1. the QKeras jet tagger through qonnx-ir (cleanup, inspect, cost, QCDQ conversion, execution
#     on the simulated jets in both forms, compared bit for bit);
#  2. hls-backend: the same model to an HLS C++ project with estimates, compiled by g++ against
#     the ap_types headers when they are installed (scripts/setup-python.sh);
#  3. hawq-core: a 16-64-32-32-5 QuantMlp trained on the simulated jets, checked against its
#     integer-only engine and exported to QONNX, which qonnx-ir then inspects and costs;
#  4. hawq-core's Hessian traces of that MLP (per layer, Hutchinson) give the sensitivity table,
#     and hawq-ilp picks each layer's weight bits under a model-size budget;
#  5. hawq-ilp: bit allocation for a jet MLP with a BOPs sweep.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
models="$root/testdata/models"
out="$root/target/workflow"
mkdir -p "$out"
# The built-in jets (the shipped simulated sample), unpacked for the CLI.
gunzip -c "$root/jet-data/sample/X_test.npy.gz" > "$out/X_test.npy"
cargo build --release -q -p qonnx-ir -p hawq-ilp -p hls-backend
q="$root/target/release/qonnx"
"$q" cleanup "$models/qkeras_jettagging.onnx" "$out/jet_clean.onnx"
"$q" inspect "$out/jet_clean.onnx"
"$q" cost "$out/jet_clean.onnx"
"$q" convert --to qcdq "$out/jet_clean.onnx" "$out/jet_qcdq.onnx"
n=$(python3 -c "import struct;h=open('$out/X_test.npy','rb').read(256);print(h[h.index(b'(')+1:].split(b',')[0].decode())")
"$q" exec "$out/jet_clean.onnx" --input "$out/X_test.npy" --output "$out/y_qonnx.npy" --batch "$n" --exact
"$q" exec "$out/jet_qcdq.onnx" --input "$out/X_test.npy" --output "$out/y_qcdq.npy" --batch "$n"
cmp "$out/y_qonnx.npy" "$out/y_qcdq.npy" && echo "QONNX and QCDQ forms agree bit for bit on $n simulated jets"
"$root/target/release/qonnx2hls" "$out/jet_clean.onnx" "$out/hls_jet"
ap=$(ls -d "$root"/.venv-ref/lib/python3*/site-packages/hls4ml/templates/vivado/ap_types 2>/dev/null | head -1 || true)
if [ -n "$ap" ]; then
  (cd "$out/hls_jet" && g++ -std=c++14 -O1 -w -I"$ap" -Ifirmware myproject_test.cpp firmware/myproject.cpp -o csim)
  echo "HLS project compiled with g++ against $ap"
fi
cargo run --release -q -p hawq-core --example jets -- 3 "$out/hawq_jets.onnx"
"$q" inspect "$out/hawq_jets.onnx"
"$q" cost "$out/hawq_jets.onnx"
cargo run --release -q -p hawq-core --example hessian -- 3 10000 "$out/sensitivity.json"
"$root/target/release/hawq-ilp" solve "$out/sensitivity.json" --budget size=20000
cargo run --release -q -p hawq-ilp --example jet_mlp
