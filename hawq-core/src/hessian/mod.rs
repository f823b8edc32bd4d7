//! Exact Hessian-vector products of the training loss by double backward (reverse over reverse,
//! `Autodiff<Autodiff<B>>`), through the same [`QuantMlp`](crate::QuantMlp) definition that
//! trains; Hutchinson estimates of each layer's Hessian trace; the top eigenvalue of each layer's
//! Hessian block by power iteration (HAWQ-V1); and the sensitivity table
//! `Ω_l(b) = Tr̄(H_l) · ‖Q_b(W_l) − W_l‖²` in the layout that `hawq-ilp` reads.
//!
//! # What is differentiated
//!
//! The loss ([`Loss`], cross-entropy by default, mean over the batch) of
//! [`QuantMlp::forward_fake_quant`](crate::QuantMlp::forward_fake_quant) with every activation
//! quantizer frozen ([`Hvp::new`] freezes the model), with respect to each layer's weight
//! (and bias, with [`Hvp::with_bias`]). In float mode that is the plain MLP and the products are
//! exact Hessian-vector products. In quantized mode the graph is the straight-through one
//! (`W + (Ŵ − W).detach()`, `x + (round(x) − x).detach()` inside the activation clamps): double
//! backward then returns `Jᵀv` where `J` is the Jacobian of the straight-through gradient. `J`
//! is not symmetric across layers, so it is not a Hessian; its diagonal blocks' traces are still
//! what Hutchinson estimates (`vᵀJᵀv = vᵀJv`), but power iteration on such a block need not find
//! a real top eigenvalue. Use a float-mode model (or the float weights of a quantized one, see
//! [`Hvp::float_of`]) for eigenvalues.
//!
//! # Cost
//!
//! The first backward pass of a product runs through zero probes added to each selected
//! layer's pre-activation (tracked at the outer level, the weights only at the inner one), so it
//! forms the layers' errors `δ_l` and no weight gradient; the product contracts
//! `s = Σ_l sum(δ_l ⊙ (h_l v_l))`, which equals `Σ_l sum(g_l ⊙ v_l)` because a linear layer's
//! weight gradient is `g_l = h_lᵀ δ_l`. That saves one forward pass's worth of matrix products
//! (`8F − 5F₁` instead of `9F − 5F₁`, against `3F − F₁` for a gradient). A layer with a folded
//! batch norm is not linear in its weight that way; a selection that holds one takes the
//! general pass (outer weight gradients, then `Σ_l sum(g_l ⊙ v_l)`).
//!
//! # Backend
//!
//! `B` is a plain backend (for example [`Cpu`](crate::backend::Cpu)); the model lives on
//! `Autodiff<B>` (the training backend, [`CpuTrain`](crate::backend::CpuTrain)) and is lifted to
//! `Autodiff<Autodiff<B>>` for each product. Keep one float precision per process (see the crate
//! documentation).

#[cfg(feature = "ilp")]
mod allocation;
mod block;
mod data;
mod eigen;
mod first_order;
mod hvp;
mod sensitivity;
mod trace;

pub use block::LayerBlock;
pub use data::{HessianData, Loss};
pub use eigen::{EigenConfig, EigenProgress, LayerEigen, top_eigenvalues};
pub use hvp::Hvp;
pub use sensitivity::{
    CandidateSensitivity, LayerSensitivity, SensitivityOptions, SensitivityTable, sensitivity_table,
};
pub use trace::{LayerTrace, TraceConfig, TraceProgress, TraceResult, hutchinson_trace};

/// The backend a model lives on for Hessian work: one level of autodiff over `B`.
pub type Inner<B> = burn::backend::Autodiff<B>;
/// The backend a product runs on: two levels of autodiff over `B`.
pub type Outer<B> = burn::backend::Autodiff<burn::backend::Autodiff<B>>;

pub use crate::bits::layer_name;
