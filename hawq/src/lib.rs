//! `hawq`: the co-design chain in one dependency. It owns nothing itself; it re-exports the four
//! libraries under their own names so that one `Cargo.toml` line brings the whole chain:
//! [`hawq_core`] (quantization-aware training on burn, Hessian traces and sensitivities, the
//! integer-only engine, QONNX export), [`hawq_ilp`] (the bit allocation under BOPs, size and
//! latency budgets), [`qonnx_ir`] (the QONNX IR, executor and cost analysis) and [`hls_backend`]
//! (fixed-point lowering, the bit-accurate emulator, HLS C++ projects).
//!
//! The whole chain on a small MLP — train, Hessian traces, ILP under a BOPs budget, mixed-precision
//! fine-tuning, QONNX, HLS — with the firmware model checked against the integer engine and the
//! exact QONNX executor on 1,000 inputs (this is `examples/chain.rs`, run as a doctest):
//!
//! ```
#![doc = include_str!("../examples/chain.rs")]
//! ```
#![deny(missing_docs)]

pub use hawq_core;
pub use hawq_ilp;
pub use hls_backend;
pub use qonnx_ir;
