//! `BatchNormalization` in inference mode: `(x − mean) / √(var + ε) · scale + bias`, channels
//! on axis 1.

use ndarray::{Axis, Zip};

use super::{OpContext, input_f32};
use crate::error::Result;
use crate::model::Node;
use crate::tensor::Tensor;

pub(crate) struct BatchNormalization;

impl super::Op for BatchNormalization {
    fn run(&self, node: &Node, inputs: &[Option<&Tensor>], _ctx: &OpContext) -> Result<Vec<Tensor>> {
        let x = input_f32(node, inputs, 0)?;
        if x.ndim() < 2 {
            return Err(node.error(format!("input must have rank ≥ 2, got {:?}", x.shape())));
        }
        let c = x.shape()[1];
        let p: Vec<&ndarray::ArrayD<f32>> = (1..5).map(|i| input_f32(node, inputs, i)).collect::<Result<_>>()?;
        for (i, t) in p.iter().enumerate() {
            if t.len() != c {
                return Err(node.error(format!("parameter {} has {} values for {c} channels", i + 1, t.len())));
            }
        }
        let eps = node.attr_float("epsilon", 1e-5);
        let v: Vec<Vec<f32>> = p.iter().map(|t| t.iter().copied().collect()).collect();
        let (scale, bias, mean, var) = (&v[0], &v[1], &v[2], &v[3]);
        let mut out = x.clone();
        for (ch, mut lane) in out.axis_iter_mut(Axis(1)).enumerate() {
            let inv = 1.0 / (var[ch] + eps).sqrt();
            Zip::from(&mut lane).for_each(|y| *y = (*y - mean[ch]) * inv * scale[ch] + bias[ch]);
        }
        Ok(vec![Tensor::F32(out)])
    }
}
