//! `hls-backend` will own lowering any QONNX graph to an HLS model with fixed-point types, the
//! bit-accurate emulator, the HLS C++ project writer and resource/latency estimates.
//!
//! Not built yet: this crate is a placeholder in the workspace (see the issue tracker).
