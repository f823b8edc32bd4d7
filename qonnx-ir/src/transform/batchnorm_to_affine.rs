//! `BatchNormalization` (inference, constant parameters) → `Mul` + `Add` with per-channel
//! constants `a = scale/√(var+ε)` and `b = bias − mean·a`, shaped to broadcast over axis 1.

use ndarray::{ArrayD, IxDyn};

use crate::error::{Error, Result};
use crate::model::{Model, Node};
use crate::tensor::Tensor;

/// Rewrites every BatchNormalization whose parameters are initializers; needs the input's rank
/// (run [`super::infer_shapes`] first). Returns how many were rewritten.
pub fn batchnorm_to_affine(model: &mut Model) -> Result<usize> {
    let mut count = 0;
    let mut i = 0;
    while i < model.graph.nodes.len() {
        let node = &model.graph.nodes[i];
        if node.op_type != "BatchNormalization" || !node.domain().is_empty() {
            i += 1;
            continue;
        }
        let param = |k: usize| -> Result<Vec<f32>> {
            let name = node.inputs.get(k).ok_or_else(|| node.error(format!("input {k} is missing")))?;
            let t = model.graph.initializer(name).ok_or_else(|| Error::Transform {
                pass: "batchnorm_to_affine",
                message: format!("node `{}`: parameter `{name}` is not constant", node.label()),
            })?;
            Ok(t.to_f32().iter().copied().collect())
        };
        let (scale, bias, mean, var) = (param(1)?, param(2)?, param(3)?, param(4)?);
        let c = scale.len();
        if [bias.len(), mean.len(), var.len()].iter().any(|&l| l != c) {
            return Err(node.error("parameters differ in length"));
        }
        let rank =
            model.graph.value_info_of(&node.inputs[0]).and_then(|v| v.shape()).map(|s| s.len()).ok_or_else(|| {
                Error::Transform {
                    pass: "batchnorm_to_affine",
                    message: format!("node `{}`: the rank of its input is unknown (infer shapes first)", node.label()),
                }
            })?;
        let eps = node.attr_float("epsilon", 1e-5);
        let a: Vec<f32> = (0..c).map(|k| scale[k] / (var[k] + eps).sqrt()).collect();
        let b: Vec<f32> = (0..c).map(|k| bias[k] - mean[k] * a[k]).collect();
        let mut shape = vec![c];
        shape.extend(std::iter::repeat_n(1, rank.saturating_sub(2)));
        let base = if node.name().is_empty() { format!("BatchNormalization{count}") } else { node.name().to_string() };
        let (x, y) = (node.inputs[0].clone(), node.outputs[0].clone());
        let (an, bn, mid) = (format!("{base}_mul_param"), format!("{base}_add_param"), format!("{base}_scaled"));
        let mk = |v: Vec<f32>| ArrayD::from_shape_vec(IxDyn(&shape), v).map(Tensor::F32);
        let at = mk(a).map_err(|e| Error::Model(e.to_string()))?;
        let bt = mk(b).map_err(|e| Error::Model(e.to_string()))?;
        model.graph.set_initializer(&an, at);
        model.graph.set_initializer(&bn, bt);
        let mut mul = Node::new("Mul", &[&x, &an], &[&mid]);
        mul.name = Some(format!("{base}_mul"));
        let mut add = Node::new("Add", &[&mid, &bn], &[&y]);
        add.name = Some(format!("{base}_add"));
        model.graph.nodes.splice(i..=i, [mul, add]);
        i += 2;
        count += 1;
    }
    Ok(count)
}
