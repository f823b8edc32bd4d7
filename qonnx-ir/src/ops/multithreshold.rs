//! QONNX `MultiThreshold`: counts how many of a channel's thresholds a value reaches,
//! `y = out_scale · #{t : x ≥ t} + out_bias`.

use ndarray::Axis;

use super::{OpContext, input_f32};
use crate::datatype::DataType;
use crate::error::Result;
use crate::model::{Graph, Node};
use crate::tensor::Tensor;

pub(crate) struct MultiThreshold;

impl super::Op for MultiThreshold {
    fn run(&self, node: &Node, inputs: &[Option<&Tensor>], _ctx: &OpContext) -> Result<Vec<Tensor>> {
        let v = input_f32(node, inputs, 0)?;
        let t = input_f32(node, inputs, 1)?;
        if t.ndim() != 2 {
            return Err(node.error(format!("thresholds must be 2-D [channels, steps], got {:?}", t.shape())));
        }
        let layout = node.attr_string("data_layout", "");
        // Without a layout, qonnx guesses one from the rank: NC, NWC, NCHW.
        let cdim = match (layout.is_empty(), v.ndim()) {
            (true, 3) => 2,
            (true, _) => 1,
            (false, _) => layout.find('C').unwrap_or(1),
        };
        if v.ndim() > 0 && cdim >= v.ndim() {
            return Err(node.error(format!("data_layout {layout:?} does not fit rank {}", v.ndim())));
        }
        let channels = if v.ndim() > 1 { v.shape()[cdim] } else { 1 };
        if t.shape()[0] != channels && t.shape()[0] != 1 {
            return Err(node.error(format!("{} threshold rows for {channels} channels", t.shape()[0])));
        }
        let scale = node.attr_float("out_scale", 1.0);
        let bias = node.attr_float("out_bias", 0.0);
        let mut out = v.clone();
        for (idx, y) in out.indexed_iter_mut() {
            let c = if t.shape()[0] == 1 || v.ndim() <= 1 { 0 } else { idx[cdim] };
            let row = t.index_axis(Axis(0), c);
            let count = row.iter().filter(|&&th| *y >= th).count() as f32;
            *y = scale * count + bias;
        }
        Ok(vec![Tensor::F32(out)])
    }

    fn output_datatype(&self, node: &Node, _graph: &Graph, _inputs: &[Option<DataType>]) -> Option<DataType> {
        node.attr_string("out_dtype", "").parse().ok()
    }
}
