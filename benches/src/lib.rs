//! Criterion benches that measure the workspace next to the Python reference tools
//! (onnxruntime, qonnx, hls4ml) in the same run and print the ratio. See `benches/benches/`.
