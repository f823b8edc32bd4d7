//! Building graphs in code: named inputs, initializers, nodes and outputs, with QONNX quantizers
//! as one call.
//!
//! ```
//! use qonnx_ir::builder::GraphBuilder;
//! use qonnx_ir::ops::RoundingMode;
//! use qonnx_ir::{Dim, IntRange, Tensor};
//! # fn main() -> Result<(), qonnx_ir::Error> {
//! let mut b = GraphBuilder::new("dense");
//! let x = b.input_f32("x", &[Dim::Param("N".into()), Dim::Value(4)]);
//! let w = b.initializer("w", Tensor::from_f32(&[4, 2], vec![0.5; 8])?);
//! let wq = b.quant(&w, 0.125, 0.0, IntRange::new(4, true, false), RoundingMode::Round);
//! let y = b.named_node("layer0", "MatMul", &[&x, &wq], &[]);
//! let y = b.node("Relu", &[&y], &[]);
//! b.output_f32(&y);
//! let model = b.build();
//! assert_eq!(model.graph.nodes.len(), 3);
//! assert_eq!(model.graph.nodes[1].name(), "layer0");
//! # Ok(()) }
//! ```

use crate::attr;
use crate::int_range::IntRange;
use crate::model::{Dim, Graph, Initializer, Model, Node, QONNX_DOMAIN, ValueInfo};
use crate::ops::RoundingMode;
use crate::proto::{AttributeProto, data_type};
use crate::tensor::Tensor;

/// Builds a [`Model`] step by step. Tensor names are returned as `String`s to wire nodes.
#[derive(Debug, Clone)]
pub struct GraphBuilder {
    graph: Graph,
    counter: usize,
    onnx_opset: i64,
    uses_qonnx: bool,
}

impl GraphBuilder {
    /// An empty graph called `name`, for ONNX opset 13.
    pub fn new(name: &str) -> GraphBuilder {
        GraphBuilder {
            graph: Graph { name: Some(name.to_string()), ..Default::default() },
            counter: 0,
            onnx_opset: 13,
            uses_qonnx: false,
        }
    }

    /// Sets the ONNX default-domain opset (13 unless changed).
    pub fn opset(mut self, version: i64) -> GraphBuilder {
        self.onnx_opset = version;
        self
    }

    /// Adds a float32 graph input.
    pub fn input_f32(&mut self, name: &str, shape: &[Dim]) -> String {
        self.graph.inputs.push(ValueInfo::tensor(name, data_type::FLOAT, shape));
        name.to_string()
    }

    /// Adds an initializer.
    pub fn initializer(&mut self, name: &str, value: Tensor) -> String {
        self.graph.initializers.push(Initializer::new(name, value));
        name.to_string()
    }

    /// Adds a node of the default domain with one output, named `<op>_<k>`; returns the output.
    pub fn node(&mut self, op: &str, inputs: &[&str], attrs: &[AttributeProto]) -> String {
        self.node_in("", op, inputs, attrs)
    }

    /// Adds a node of the default domain called `name`, with one output `<name>_out`; returns
    /// the output. Names must be unique in the graph (the caller's responsibility).
    pub fn named_node(&mut self, name: &str, op: &str, inputs: &[&str], attrs: &[AttributeProto]) -> String {
        self.push("", name, op, inputs, attrs)
    }

    /// Adds a node of `domain` with one output, named `<op>_<k>`; returns the output.
    pub fn node_in(&mut self, domain: &str, op: &str, inputs: &[&str], attrs: &[AttributeProto]) -> String {
        let name = format!("{op}_{}", self.counter);
        self.push(domain, &name, op, inputs, attrs)
    }

    fn push(&mut self, domain: &str, name: &str, op: &str, inputs: &[&str], attrs: &[AttributeProto]) -> String {
        self.counter += 1;
        let out = format!("{name}_out");
        let mut n = Node::new(op, inputs, &[&out]);
        n.name = Some(name.to_string());
        if !domain.is_empty() {
            n.domain = Some(domain.to_string());
        }
        n.attributes = attrs.to_vec();
        self.graph.nodes.push(n);
        out
    }

    /// Adds a QONNX `Quant` of `x` with a scalar scale and zero-point, onto the integers of
    /// `range`; returns its output.
    pub fn quant(&mut self, x: &str, scale: f32, zeropt: f32, range: IntRange, rounding: RoundingMode) -> String {
        self.quant_tensor(x, Tensor::scalar_f32(scale), zeropt, range, rounding)
    }

    /// Adds a QONNX `Quant` with a scale tensor (per channel: broadcastable to `x`).
    pub fn quant_tensor(
        &mut self,
        x: &str,
        scale: Tensor,
        zeropt: f32,
        range: IntRange,
        rounding: RoundingMode,
    ) -> String {
        let name = format!("Quant_{}", self.counter);
        self.named_quant(&name, x, scale, zeropt, range, rounding)
    }

    /// [`quant_tensor`](Self::quant_tensor) with the node called `name`, its parameters
    /// `<name>_scale`, `<name>_zeropt` and `<name>_bitwidth`.
    pub fn named_quant(
        &mut self,
        name: &str,
        x: &str,
        scale: Tensor,
        zeropt: f32,
        range: IntRange,
        rounding: RoundingMode,
    ) -> String {
        self.uses_qonnx = true;
        let (s, z, b) = (format!("{name}_scale"), format!("{name}_zeropt"), format!("{name}_bitwidth"));
        self.initializer(&s, scale);
        self.initializer(&z, Tensor::scalar_f32(zeropt));
        self.initializer(&b, Tensor::scalar_f32(range.bits as f32));
        let attrs = [
            attr::int("signed", i64::from(range.signed)),
            attr::int("narrow", i64::from(range.narrow)),
            attr::string("rounding_mode", rounding.name()),
        ];
        self.push(QONNX_DOMAIN, name, "Quant", &[x, &s, &z, &b], &attrs)
    }

    /// Marks `name` a float32 graph output (shape left to inference).
    pub fn output_f32(&mut self, name: &str) {
        self.graph.outputs.push(ValueInfo::tensor(name, data_type::FLOAT, &[]));
        if let Some(o) = self.graph.outputs.last_mut() {
            o.set_tensor_type(Some(data_type::FLOAT), None);
        }
    }

    /// The model, with opset imports for the default domain and (if used) the QONNX domain.
    pub fn build(self) -> Model {
        let mut opsets = vec![("", self.onnx_opset)];
        if self.uses_qonnx || self.graph.nodes.iter().any(|n| n.is_qonnx()) {
            opsets.push((QONNX_DOMAIN, 1));
        }
        Model::new(self.graph, &opsets)
    }
}
