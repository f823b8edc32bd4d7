//! `hawq-core` will own quantization-aware training on burn: HAWQ quantizers and QAT layers,
//! training, Hessian trace estimation, the sensitivity Ω, the integer-only (dyadic) engine and
//! export to `qonnx-ir`.
//!
//! Not built yet: this crate is a placeholder in the workspace (see the issue tracker).
