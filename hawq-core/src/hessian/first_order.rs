//! The first backward pass of a Hessian-vector product on one batch: the loss and
//! `s = Σ_l sum(g_l ⊙ v_l)` on the inner autodiff level, in the probed or the general form.

use burn::backend::Autodiff;
use burn::prelude::*;

use super::block::scalar;
use super::hvp::no_grad;
use super::{Hvp, LayerBlock, Outer};
use crate::error::Result;
use crate::layers::from_host;
use crate::mlp::QuantMlp;

impl<B: Backend> Hvp<B> {
    /// The first backward pass of a product on one batch: the loss, and `s = Σ_l sum(g_l ⊙ v_l)`
    /// on the inner level, whose inner gradient is `H v`.
    ///
    /// `probed`: each selected layer's pre-activation `y_l = h_l W_l + b_l` gets `+ z_l` with
    /// `z_l = 0` tracked at the outer level, and `outer` tracks nothing else, so the outer
    /// backward computes only the errors `δ_l = ∂L/∂z_l` (no weight gradient). The weight
    /// gradient is `g_l = h_lᵀ δ_l` (the bias gradient `Σ_rows δ_l`), so
    /// `s = Σ_l sum(δ_l ⊙ (h_l v_l)) (+ Σ_rows δ_l · v_l^b)`: the same `s` for about `8F − 5F₁`
    /// of matrix products instead of `9F − 5F₁` (`F` one forward pass, `F₁` its first layer).
    /// Straight-through quantizers keep `∂y_l/∂W_l = h_l`, so this holds in quantized mode too;
    /// a folded batch norm does not. Otherwise (general form) `outer` tracks the selected
    /// blocks and their gradients `g_l` (tensors of the inner level, still tracked) are read.
    pub(super) fn first_order(
        &self,
        outer: &QuantMlp<Outer<B>>,
        x: Tensor<Outer<B>, 2>,
        labels: &[usize],
        layers: &[usize],
        v: &[LayerBlock<Autodiff<B>>],
        probed: bool,
    ) -> Result<FirstOrder<B>> {
        let (n, device) = (labels.len(), self.device());
        let mut probes: Vec<Option<Tensor<Outer<B>, 2>>> = vec![None; self.num_layers()];
        if probed {
            for &l in layers {
                // `vec![0.0; _]` is a zeroed allocation: far cheaper than `Tensor::zeros`,
                // which fills element by element.
                let d = self.weight_shape(l)[1];
                let z = Tensor::<Autodiff<B>, 2>::from_inner(from_host::<B, 2>(vec![0.0; n * d], [n, d], &device));
                probes[l] = Some(Tensor::from_inner(z).require_grad());
            }
        }
        let mut inputs: Vec<Option<Tensor<Outer<B>, 2>>> = vec![None; self.num_layers()];
        let logits = outer.forward_hooked(x, false, &mut |l, input, y| match &probes[l] {
            Some(z) => {
                inputs[l] = Some(input.clone());
                y + z.clone()
            }
            None => y,
        });
        let loss = self.loss().compute(logits, labels);
        let value = scalar(loss.clone().inner().inner());
        let grads = loss.backward();
        let mut s: Option<Tensor<Autodiff<B>, 1>> = None;
        let mut add = |term: Tensor<Autodiff<B>, 1>| s = Some(s.take().map_or(term.clone(), |s| s + term));
        let kind = if probed {
            let mut pairs = Vec::with_capacity(layers.len());
            for (k, &l) in layers.iter().enumerate() {
                let (Some(z), Some(h)) = (&probes[l], &inputs[l]) else { return Err(no_grad(l)) };
                let delta = z.grad(&grads).ok_or_else(|| no_grad(l))?;
                let h = h.clone().inner();
                let mut term = (delta.clone() * h.clone().matmul(v[k].weight.clone())).sum();
                if let Some(vb) = &v[k].bias {
                    term = term + (delta.clone().sum_dim(0) * vb.clone().unsqueeze_dim(0)).sum();
                }
                add(term);
                pairs.push(ProbePair { input: h, error: delta });
            }
            FirstOrderKind::Probes { pairs, bias: self.include_bias() }
        } else {
            let mut gs = Vec::with_capacity(layers.len());
            for (k, &l) in layers.iter().enumerate() {
                let layer = &outer.layers[l];
                let weight = layer.weight.val().grad(&grads).ok_or_else(|| no_grad(l))?;
                let mut term = (weight.clone() * v[k].weight.clone()).sum();
                let bias = match &v[k].bias {
                    Some(vb) => {
                        let gb = layer.bias.val().grad(&grads).ok_or_else(|| no_grad(l))?;
                        term = term + (gb.clone() * vb.clone()).sum();
                        Some(gb)
                    }
                    None => None,
                };
                add(term);
                gs.push(LayerBlock { weight, bias });
            }
            FirstOrderKind::Blocks(gs)
        };
        Ok(FirstOrder { loss: value, s, kind })
    }
}

/// The first backward pass of a product on one batch.
pub(super) struct FirstOrder<B: Backend> {
    /// The batch's loss.
    pub(super) loss: f64,
    /// `Σ_l sum(g_l ⊙ v_l)` on the inner level (`None` when no layer is selected).
    pub(super) s: Option<Tensor<Autodiff<B>, 1>>,
    /// What the gradient is read from.
    kind: FirstOrderKind<B>,
}

/// Where [`FirstOrder`] keeps the gradient.
pub(super) enum FirstOrderKind<B: Backend> {
    /// The gradient blocks themselves.
    Blocks(Vec<LayerBlock<Autodiff<B>>>),
    /// Per selected layer its input `h` and error `δ` (`g = hᵀδ`, bias `Σ_rows δ`).
    Probes { pairs: Vec<ProbePair<B>>, bias: bool },
}

/// A selected layer's input `h` and error `δ = ∂L/∂y` from the probed first backward pass.
pub(super) struct ProbePair<B: Backend> {
    input: Tensor<Autodiff<B>, 2>,
    error: Tensor<Autodiff<B>, 2>,
}

impl<B: Backend> FirstOrder<B> {
    /// The gradient blocks of the selected layers on the plain backend.
    pub(super) fn gradient(&self) -> Vec<LayerBlock<B>> {
        match &self.kind {
            FirstOrderKind::Blocks(gs) => gs
                .iter()
                .map(|g| LayerBlock { weight: g.weight.clone().inner(), bias: g.bias.clone().map(Tensor::inner) })
                .collect(),
            FirstOrderKind::Probes { pairs, bias } => pairs
                .iter()
                .map(|p| {
                    let (h, delta) = (p.input.clone().inner(), p.error.clone().inner());
                    LayerBlock {
                        weight: h.transpose().matmul(delta.clone()),
                        bias: bias.then(|| delta.sum_dim(0).squeeze_dim(0)),
                    }
                })
                .collect(),
        }
    }
}
