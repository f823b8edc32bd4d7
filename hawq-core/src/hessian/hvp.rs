//! The double-backward engine: [`Hvp`], its products on selected layers and their checks. The
//! data it averages over is in [`super::data`], the per-layer blocks of parameter-shaped vectors
//! in [`super::block`], the first backward pass of a product in [`super::first_order`].

use burn::backend::Autodiff;
use burn::module::{AutodiffModule, ModuleMapper, Param, ParamId};
use burn::prelude::*;

use super::block::scalar;
use super::{HessianData, LayerBlock, Loss, Outer, layer_name};
use crate::error::{Error, Result};
use crate::layers::from_host;
use crate::mlp::QuantMlp;
use crate::rng::SplitMix64;

/// Exact Hessian-vector products of a [`QuantMlp`]'s loss with respect to its layers' weights
/// (and biases), by double backward. See the [module documentation](super) for what is
/// differentiated.
///
/// ```
/// use hawq_core::backend::{Cpu, CpuTrain};
/// use hawq_core::hessian::{HessianData, Hvp};
/// use hawq_core::{Dataset, QuantConfig};
/// # fn main() -> Result<(), hawq_core::Error> {
/// let device = Default::default();
/// let model = QuantConfig::float(&[4, 8, 3]).init::<CpuTrain>(&device, 1)?;
/// let data = Dataset::synthetic_blobs(64, 4, 3, 1.0, 2)?;
/// let hvp = Hvp::<Cpu>::new(model);
/// let batches = HessianData::new(&data, 32, &device)?;
/// let v = vec![1.0; hvp.num_params()];
/// let hv = hvp.hvp_flat(&batches, &v)?;
/// assert_eq!(hv.len(), 4 * 8 + 8 * 3);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Hvp<B: Backend> {
    model: QuantMlp<Autodiff<B>>,
    loss: Loss,
    include_bias: bool,
}

impl<B: Backend> Hvp<B> {
    /// The engine for `model` (frozen here, so that forward passes do not move activation
    /// ranges), cross-entropy loss, weight blocks only.
    pub fn new(model: QuantMlp<Autodiff<B>>) -> Hvp<B> {
        Hvp { model: model.freeze(), loss: Loss::CrossEntropy, include_bias: false }
    }

    /// The engine for a model on the plain backend (for example after `valid()`), lifted to
    /// `Autodiff<B>` with its parameter ids kept.
    pub fn from_valid(model: QuantMlp<B>) -> Hvp<B> {
        Hvp::new(QuantMlp::<Autodiff<B>>::from_inner(model))
    }

    /// The engine for the float version of `model`: the same weights, every quantizer off. Its
    /// products are true Hessian-vector products (no straight-through estimator).
    pub fn float_of(model: QuantMlp<Autodiff<B>>) -> Hvp<B> {
        let mut model = model;
        model.config.quantize = false;
        model.input_act.config.enabled = false;
        for layer in &mut model.layers {
            layer.config.enabled = false;
        }
        for act in &mut model.acts {
            act.config.enabled = false;
        }
        Hvp::new(model)
    }

    /// Sets the loss.
    pub fn with_loss(mut self, loss: Loss) -> Hvp<B> {
        self.loss = loss;
        self
    }

    /// Whether each layer's block includes its bias (default: weights only, as HAWQ).
    pub fn with_bias(mut self, include_bias: bool) -> Hvp<B> {
        self.include_bias = include_bias;
        self
    }

    /// The (frozen) model.
    pub fn model(&self) -> &QuantMlp<Autodiff<B>> {
        &self.model
    }

    /// The loss.
    pub fn loss(&self) -> Loss {
        self.loss
    }

    /// Whether blocks include biases.
    pub fn include_bias(&self) -> bool {
        self.include_bias
    }

    /// Number of layers.
    pub fn num_layers(&self) -> usize {
        self.model.layers.len()
    }

    /// `[d_in, d_out]` of layer `l`'s weight.
    pub fn weight_shape(&self, l: usize) -> [usize; 2] {
        let c = &self.model.layers[l].config;
        [c.d_input, c.d_output]
    }

    /// Number of parameters in layer `l`'s block.
    pub fn block_len(&self, l: usize) -> usize {
        let [i, o] = self.weight_shape(l);
        i * o + if self.include_bias { o } else { 0 }
    }

    /// Number of parameters in all blocks (the length of a flat vector).
    pub fn num_params(&self) -> usize {
        (0..self.num_layers()).map(|l| self.block_len(l)).sum()
    }

    pub(super) fn device(&self) -> B::Device {
        self.model.layers[0].weight.val().inner().device()
    }

    /// Checks a layer selection: non-empty, each index a layer with trainable parameters.
    pub fn check_layers(&self, layers: &[usize]) -> Result<()> {
        if layers.is_empty() {
            return Err(Error::InvalidSetting {
                setting: "Hessian layers".into(),
                message: "no layer selected".into(),
            });
        }
        for &l in layers {
            let Some(layer) = self.model.layers.get(l) else {
                return Err(Error::NoParameters {
                    layer: layer_name(l),
                    reason: format!("the model has {} parameterised layers", self.num_layers()),
                });
            };
            let tracked =
                layer.weight.val().is_require_grad() && (!self.include_bias || layer.bias.val().is_require_grad());
            if !tracked {
                return Err(Error::NoParameters {
                    layer: layer_name(l),
                    reason: "its parameters do not require gradients".into(),
                });
            }
        }
        Ok(())
    }

    fn check_data(&self, data: &HessianData<B>) -> Result<()> {
        let (d_in, d_out) = (self.model.config.widths[0], *self.model.config.widths.last().unwrap_or(&0));
        if data.n_features() != d_in || data.n_classes() > d_out {
            return Err(Error::Shape {
                what: "Hessian data".into(),
                message: format!(
                    "{} features and labels up to {} for a model with {d_in} inputs and {d_out} outputs",
                    data.n_features(),
                    data.n_classes().saturating_sub(1)
                ),
            });
        }
        Ok(())
    }

    /// A block for layer `l` filled by `draw`.
    pub(crate) fn block_from(&self, l: usize, draw: &mut dyn FnMut() -> f32) -> LayerBlock<B> {
        let [i, o] = self.weight_shape(l);
        let device = self.device();
        let weight = from_host::<B, 2>((0..i * o).map(|_| draw()).collect(), [i, o], &device);
        let bias = self.include_bias.then(|| from_host::<B, 1>((0..o).map(|_| draw()).collect(), [o], &device));
        LayerBlock { weight, bias }
    }

    /// A Rademacher (±1) block for layer `l`.
    pub fn rademacher(&self, l: usize, rng: &mut SplitMix64) -> LayerBlock<B> {
        self.block_from(l, &mut || if rng.next_u64() >> 63 == 1 { 1.0 } else { -1.0 })
    }

    /// The loss and its gradient (one block per layer) on the data, with a single level of
    /// autodiff: the baseline that a product is compared with. Like the products, it computes
    /// only the blocks' derivatives (with `with_bias(true)` that is every parameter of a plain
    /// MLP, the training gradient).
    pub fn gradient(&self, data: &HessianData<B>) -> Result<(f64, Vec<LayerBlock<B>>)> {
        self.check_data(data)?;
        let layers: Vec<usize> = (0..self.num_layers()).collect();
        self.check_layers(&layers)?;
        let model = self.product_model(&layers);
        let total = data.num_samples() as f64;
        let mut loss_sum = 0.0;
        let mut acc: Option<Vec<LayerBlock<B>>> = None;
        for (x, labels) in &data.batches {
            let w = labels.len() as f64 / total;
            let x = Tensor::<Autodiff<B>, 2>::from_inner(x.clone());
            let loss = self.loss.compute(model.forward_fake_quant(x, false), labels);
            let value = scalar(loss.clone().inner());
            check_value(value, "loss", "the whole model", 0)?;
            loss_sum += w * value;
            let grads = loss.backward();
            let mut blocks = Vec::with_capacity(layers.len());
            for &l in &layers {
                let layer = &model.layers[l];
                let weight = layer.weight.val().grad(&grads).ok_or_else(|| no_grad(l))?;
                let bias = match self.include_bias {
                    true => Some(layer.bias.val().grad(&grads).ok_or_else(|| no_grad(l))?),
                    false => None,
                };
                let block = LayerBlock { weight, bias };
                blocks.push(if data.batches.len() == 1 { block } else { block.scale(w) });
            }
            acc = Some(accumulate(acc, blocks));
        }
        Ok((loss_sum, acc.unwrap_or_default()))
    }

    /// `H · v` over all of `data` (sample-weighted mean of the batches' products), one block per
    /// layer; `v` holds one block per layer.
    pub fn hvp(&self, data: &HessianData<B>, v: &[LayerBlock<B>]) -> Result<Vec<LayerBlock<B>>> {
        let layers: Vec<usize> = (0..self.num_layers()).collect();
        let batches: Vec<usize> = (0..data.num_batches()).collect();
        Ok(self.hvp_selected(data, &batches, &layers, v, 0, false)?.hv)
    }

    /// The loss, its gradient and `H · v` over all of `data` in one pass: the gradient is read
    /// from the product's first backward pass (as PyHessian's `dataloader_hv_product` keeps it),
    /// at the cost of one matrix product per layer (`g = hᵀδ` from the layer's input and
    /// error, which the product itself does not form). One block per layer each; `v` holds
    /// one block per layer.
    #[allow(clippy::type_complexity)]
    pub fn gradient_and_hvp(
        &self,
        data: &HessianData<B>,
        v: &[LayerBlock<B>],
    ) -> Result<(f64, Vec<LayerBlock<B>>, Vec<LayerBlock<B>>)> {
        let layers: Vec<usize> = (0..self.num_layers()).collect();
        let batches: Vec<usize> = (0..data.num_batches()).collect();
        let p = self.hvp_selected(data, &batches, &layers, v, 0, true)?;
        Ok((p.loss, p.gradient.unwrap_or_default(), p.hv))
    }

    /// `H · v` with flat host vectors (layer by layer: weight row-major, then bias when
    /// included), over all of `data`.
    pub fn hvp_flat(&self, data: &HessianData<B>, v: &[f64]) -> Result<Vec<f64>> {
        if v.len() != self.num_params() {
            return Err(Error::Shape {
                what: "Hessian-vector product".into(),
                message: format!("vector of {} values for {} parameters", v.len(), self.num_params()),
            });
        }
        let device = self.device();
        let mut off = 0;
        let mut blocks = Vec::with_capacity(self.num_layers());
        for l in 0..self.num_layers() {
            let n = self.block_len(l);
            blocks.push(LayerBlock::from_f64(&v[off..off + n], self.weight_shape(l), self.include_bias, &device));
            off += n;
        }
        Ok(self.hvp(data, &blocks)?.iter().flat_map(LayerBlock::to_f64).collect())
    }

    /// The gradient over all of `data` as a flat host vector (layout of [`Hvp::hvp_flat`]).
    pub fn gradient_flat(&self, data: &HessianData<B>) -> Result<Vec<f64>> {
        Ok(self.gradient(data)?.1.iter().flat_map(LayerBlock::to_f64).collect())
    }

    /// The loss over all of `data`.
    pub fn loss_value(&self, data: &HessianData<B>) -> Result<f64> {
        let mut sum = 0.0;
        for (x, labels) in &data.batches {
            let x = Tensor::<Autodiff<B>, 2>::from_inner(x.clone());
            let loss = self.loss.compute(self.model.forward_fake_quant(x, false).inner(), labels);
            sum += scalar(loss) * labels.len() as f64;
        }
        Ok(sum / data.num_samples() as f64)
    }

    /// A copy of the engine whose model has `delta` (flat layout) added to its parameters (for
    /// finite-difference checks in tests; not used by any estimator).
    pub fn perturbed(&self, delta: &[f64]) -> Result<Hvp<B>> {
        if delta.len() != self.num_params() {
            return Err(Error::Shape {
                what: "parameter perturbation".into(),
                message: format!("{} values for {} parameters", delta.len(), self.num_params()),
            });
        }
        let device = self.device();
        let mut model = self.model.clone();
        let mut off = 0;
        for l in 0..self.num_layers() {
            let n = self.block_len(l);
            let d = LayerBlock::<B>::from_f64(&delta[off..off + n], self.weight_shape(l), self.include_bias, &device);
            off += n;
            let layer = &mut model.layers[l];
            let w = layer.weight.val().inner() + d.weight;
            layer.weight = burn::module::Param::initialized(layer.weight.id, Tensor::from_inner(w).require_grad());
            if let Some(db) = d.bias {
                let b = layer.bias.val().inner() + db;
                layer.bias = burn::module::Param::initialized(layer.bias.id, Tensor::from_inner(b).require_grad());
            }
        }
        Ok(Hvp { model, loss: self.loss, include_bias: self.include_bias })
    }

    /// The model that products and gradients run on: the same values and parameter ids, with
    /// gradients required only where they are read (the weights of `layers`, and their biases
    /// when blocks include them); every other parameter (other layers, biases, batch norms) is a
    /// constant, which costs nothing in either backward pass.
    fn product_model(&self, layers: &[usize]) -> QuantMlp<Autodiff<B>> {
        let mut keep = Vec::with_capacity(2 * layers.len());
        for &l in layers {
            let layer = &self.model.layers[l];
            keep.push(layer.weight.id);
            if self.include_bias {
                keep.push(layer.bias.id);
            }
        }
        self.model.clone().map(&mut KeepGradients { keep })
    }

    /// `H · v` restricted to `layers` (the rows of those blocks), with `v` non-zero only on those
    /// blocks (`v[k]` belongs to `layers[k]`), averaged over the given batches. Returns the
    /// (sample-weighted) loss, the gradient of those blocks when `want_gradient` (taken from the
    /// first backward pass) and one product block per selected layer. `iteration` names errors.
    /// Layers without a folded batch norm take the probed first pass
    /// (see `first_order`), a selection with one the general one.
    pub(crate) fn hvp_selected(
        &self,
        data: &HessianData<B>,
        batches: &[usize],
        layers: &[usize],
        v: &[LayerBlock<B>],
        iteration: usize,
        want_gradient: bool,
    ) -> Result<Product<B>> {
        self.check_data(data)?;
        self.check_layers(layers)?;
        if v.len() != layers.len() {
            return Err(Error::Shape {
                what: "Hessian-vector product".into(),
                message: format!("{} vector blocks for {} layers", v.len(), layers.len()),
            });
        }
        let work = self.product_model(layers);
        // Probes need every selected layer to be `input · W + b` (no batch norm folded in).
        let probed = layers.iter().all(|&l| self.model.batch_norm(l).is_none());
        let outer = match probed {
            // Nothing tracked at the outer level but the probes.
            true => QuantMlp::<Outer<B>>::from_inner(work.clone()).map(&mut KeepGradients { keep: Vec::new() }),
            false => QuantMlp::<Outer<B>>::from_inner(work.clone()),
        };
        let v: Vec<LayerBlock<Autodiff<B>>> = v.iter().map(LayerBlock::lift).collect();
        let total: usize = batches.iter().map(|&b| data.batches[b].1.len()).sum();
        let single = batches.len() == 1;
        let mut loss_sum = 0.0;
        let mut hv_acc: Option<Vec<LayerBlock<B>>> = None;
        let mut g_acc: Option<Vec<LayerBlock<B>>> = None;
        for &b in batches {
            let (x, labels) = &data.batches[b];
            let w = labels.len() as f64 / total as f64;
            let x = Tensor::<Outer<B>, 2>::from_inner(Tensor::from_inner(x.clone()));
            let first = self.first_order(&outer, x, labels, layers, &v, probed)?;
            check_value(first.loss, "loss", "the whole model", iteration)?;
            loss_sum += w * first.loss;
            let Some(s) = first.s.clone() else { break };
            // A non-finite gradient entry makes `s` non-finite (`inf · 0` is NaN too): only
            // then look for the layer.
            if !scalar(s.clone().inner()).is_finite() {
                for (&l, g) in layers.iter().zip(first.gradient()) {
                    let mut t = g.weight.sum();
                    if let Some(gb) = g.bias {
                        t = t + gb.sum();
                    }
                    check_value(scalar(t), "gradient", &layer_name(l), iteration)?;
                }
            }
            if want_gradient {
                let blocks: Vec<LayerBlock<B>> =
                    first.gradient().into_iter().map(|block| if single { block } else { block.scale(w) }).collect();
                g_acc = Some(accumulate(g_acc, blocks));
            }
            drop(first);
            let grads2 = s.backward();
            let mut blocks = Vec::with_capacity(layers.len());
            for &l in layers {
                let layer = &work.layers[l];
                let [i, o] = self.weight_shape(l);
                let device = self.device();
                let weight = layer.weight.val().grad(&grads2).unwrap_or_else(|| Tensor::zeros([i, o], &device));
                let bias = self
                    .include_bias
                    .then(|| layer.bias.val().grad(&grads2).unwrap_or_else(|| Tensor::zeros([o], &device)));
                let block = LayerBlock { weight, bias };
                blocks.push(if single { block } else { block.scale(w) });
            }
            hv_acc = Some(accumulate(hv_acc, blocks));
        }
        let hv = hv_acc.unwrap_or_default();
        for (&l, block) in layers.iter().zip(&hv) {
            let mut t = block.weight.clone().sum();
            if let Some(b) = &block.bias {
                t = t + b.clone().sum();
            }
            check_value(scalar(t), "Hessian-vector product", &layer_name(l), iteration)?;
        }
        Ok(Product { loss: loss_sum, gradient: g_acc, hv })
    }
}

/// What [`Hvp::hvp_selected`] returns.
pub(crate) struct Product<B: Backend> {
    /// The sample-weighted loss.
    pub(crate) loss: f64,
    /// The gradient blocks, when asked for.
    pub(crate) gradient: Option<Vec<LayerBlock<B>>>,
    /// The product blocks.
    pub(crate) hv: Vec<LayerBlock<B>>,
}

/// `acc + blocks` block by block (`blocks` when `acc` is empty).
fn accumulate<B: Backend>(acc: Option<Vec<LayerBlock<B>>>, blocks: Vec<LayerBlock<B>>) -> Vec<LayerBlock<B>> {
    match acc {
        None => blocks,
        Some(a) => a.iter().zip(&blocks).map(|(p, q)| p.add(q)).collect(),
    }
}

/// Stops tracking every float parameter not in `keep`.
struct KeepGradients {
    keep: Vec<ParamId>,
}

impl<B: Backend> ModuleMapper<B> for KeepGradients {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<B, D>>) -> Param<Tensor<B, D>> {
        if self.keep.contains(&param.id) { param } else { param.set_require_grad(false) }
    }
}

pub(super) fn no_grad(l: usize) -> Error {
    Error::NoParameters { layer: layer_name(l), reason: "the loss gave its parameters no gradient".into() }
}

/// [`Error::HessianNonFinite`] unless `value` is finite.
pub(crate) fn check_value(value: f64, quantity: &str, layer: &str, iteration: usize) -> Result<()> {
    if value.is_finite() {
        Ok(())
    } else {
        Err(Error::HessianNonFinite { quantity: quantity.to_string(), layer: layer.to_string(), iteration, value })
    }
}

#[cfg(test)]
mod tests {
    //! The probed first backward pass against the general one, on the blocks where both apply:
    //! a 3-5-4-2 MLP whose middle layer has a folded batch norm, so a product of every layer
    //! takes the general form and a product of layer 0 or layer 2 alone takes the probed form.
    //! float64 is the only precision of this test binary that touches burn.

    use super::*;
    use crate::backend::Cpu64;
    use crate::bits::{HiddenActivation, QuantConfig};

    type B = Cpu64;

    fn close(a: &[f64], b: &[f64]) -> f64 {
        let num: f64 = a.iter().zip(b).map(|(x, y)| (x - y).powi(2)).sum::<f64>().sqrt();
        let den: f64 = b.iter().map(|y| y * y).sum::<f64>().sqrt();
        assert!(den > 0.0);
        num / den
    }

    fn check(config: QuantConfig, include_bias: bool) {
        let device = Default::default();
        let data = crate::Dataset::synthetic_blobs(96, 3, 2, 1.0, 5).unwrap();
        let model = config.init::<Autodiff<B>>(&device, 3).unwrap();
        let x = from_host::<Autodiff<B>, 2>(data.features.clone(), [96, 3], &device);
        model.calibrate(x);
        let hvp = Hvp::<B>::new(model).with_bias(include_bias);
        let batches = HessianData::<B>::new(&data, 40, &device).unwrap();
        let all: Vec<usize> = (0..batches.num_batches()).collect();
        let mut rng = SplitMix64::new(9);
        let v: Vec<LayerBlock<B>> = (0..3).map(|l| hvp.rademacher(l, &mut rng)).collect();
        let (_, grad) = hvp.gradient(&batches).unwrap();
        for l in [0, 2] {
            // General form: every layer selected (layer 1 has a batch norm), `v` only on block l.
            let mut only = v.iter().map(|b| b.scale(0.0)).collect::<Vec<_>>();
            only[l] = v[l].clone();
            let general = hvp.hvp_selected(&batches, &all, &[0, 1, 2], &only, 0, true).unwrap();
            // Probed form: layer l alone.
            let probed = hvp.hvp_selected(&batches, &all, &[l], std::slice::from_ref(&v[l]), 0, true).unwrap();
            let err = close(&probed.hv[0].to_f64(), &general.hv[l].to_f64());
            assert!(err < 1e-12, "layer {l} product: {err:e}");
            let g = probed.gradient.unwrap();
            let err = close(&g[0].to_f64(), &grad[l].to_f64());
            assert!(err < 1e-12, "layer {l} gradient: {err:e}");
            assert!((probed.loss - general.loss).abs() <= 1e-14 * general.loss.abs());
        }
    }

    #[test]
    fn probed_and_general_first_backward_passes_give_the_same_products() {
        let widths = [3, 5, 4, 2];
        let bn = [false, true, false];
        for include_bias in [false, true] {
            check(QuantConfig::float(&widths).with_batch_norm(&bn), include_bias);
            check(
                QuantConfig::float(&widths).with_batch_norm(&bn).with_hidden_activation(HiddenActivation::Tanh),
                include_bias,
            );
            // Straight-through quantizers: `∂y/∂W = h` still holds.
            check(QuantConfig::uniform(&widths, 6).with_batch_norm(&bn), include_bias);
        }
    }
}
