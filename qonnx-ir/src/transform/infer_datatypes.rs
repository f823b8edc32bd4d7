//! QONNX datatype inference: annotates every node output with its `finn_datatype`.

use crate::datatype::DataType;
use crate::error::Result;
use crate::model::Model;
use crate::ops;

/// Ops whose output holds the same values as their first input, so keeps its datatype.
const VALUE_PRESERVING: [&str; 7] = ["Reshape", "Flatten", "Transpose", "Identity", "Squeeze", "Unsqueeze", "Dropout"];

/// Annotates node outputs: quantizers report their integer or scaled-integer type, shape ops pass
/// their input's type through, everything else is FLOAT32.
pub fn infer_datatypes(model: &mut Model) -> Result<()> {
    let order = model.graph.topological_order()?;
    for i in order {
        let node = model.graph.nodes[i].clone();
        let input_dts: Vec<Option<DataType>> = node.inputs.iter().map(|n| model.graph.tensor_datatype(n)).collect();
        let dt = if VALUE_PRESERVING.contains(&node.op_type.as_str()) && !node.is_qonnx() {
            input_dts.first().copied().flatten()
        } else {
            ops::lookup(&node).and_then(|op| op.output_datatype(&node, &model.graph, &input_dts))
        };
        let dt = dt.unwrap_or(DataType::Float32);
        if let Some(out) = node.outputs.first().filter(|o| !o.is_empty()) {
            model.graph.set_tensor_datatype(out, dt);
        }
    }
    Ok(())
}
