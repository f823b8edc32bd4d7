//! QONNX `BipolarQuant`: `y = s · (x/s ≥ 0 ? +1 : −1)`.

use ndarray::Zip;

use super::{OpContext, broadcast_to, input_f32, param_f32};
use crate::datatype::DataType;
use crate::error::Result;
use crate::model::{Graph, Node};
use crate::tensor::Tensor;

/// Bipolar quantization of one value with scale `s`, in float32.
pub fn bipolar_quant(x: f32, s: f32) -> f32 {
    let y = x / s;
    (if y >= 0.0 { 1.0 } else { -1.0 }) * s
}

pub(crate) struct BipolarQuant;

impl super::Op for BipolarQuant {
    fn run(&self, node: &Node, inputs: &[Option<&Tensor>], _ctx: &OpContext) -> Result<Vec<Tensor>> {
        let x = input_f32(node, inputs, 0)?;
        let s = param_f32(node, inputs, 1)?;
        let shape = super::broadcast_shape(node, x.shape(), s.shape())?;
        if shape != x.shape() {
            return Err(node.error(format!("scale shape {:?} enlarges the input {:?}", s.shape(), x.shape())));
        }
        let sv = broadcast_to(node, &s, &shape)?;
        Ok(vec![Tensor::F32(Zip::from(x).and(&sv).map_collect(|&v, &s| bipolar_quant(v, s)))])
    }

    fn output_datatype(&self, node: &Node, graph: &Graph, _inputs: &[Option<DataType>]) -> Option<DataType> {
        let s = graph.initializer(node.inputs.get(1)?)?.to_f64();
        Some(if s.iter().all(|&v| v == 1.0) { DataType::Bipolar } else { DataType::ScaledInt(1) })
    }
}
