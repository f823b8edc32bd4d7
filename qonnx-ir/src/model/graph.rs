//! The graph: nodes in order, initializers, inputs, outputs and quantization annotations, with
//! lookups (producer, consumers, initializers, datatypes) and topological ordering.

use std::collections::{HashMap, HashSet};

use super::value::{value_info_from, value_info_to};
use super::{Initializer, Node, ValueInfo};
use crate::datatype::DataType;
use crate::error::{Error, Result};
use crate::proto;
use crate::tensor::Tensor;

/// A graph: nodes in order, initializers, inputs, outputs and annotations.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Graph {
    /// Graph name.
    pub name: Option<String>,
    /// Nodes (topologically sorted in a valid model).
    pub nodes: Vec<Node>,
    /// Constant tensors.
    pub initializers: Vec<Initializer>,
    /// Sparse initializers, carried unchanged.
    pub sparse_initializers: Vec<proto::SparseTensorProto>,
    /// Documentation.
    pub doc_string: Option<String>,
    /// Graph inputs (old models also list initializers here).
    pub inputs: Vec<ValueInfo>,
    /// Graph outputs.
    pub outputs: Vec<ValueInfo>,
    /// Types and shapes of intermediate tensors.
    pub value_info: Vec<ValueInfo>,
    /// Quantization annotations; QONNX keeps datatypes here under `finn_datatype`.
    pub quantization_annotation: Vec<proto::TensorAnnotation>,
    /// Graph metadata.
    pub metadata_props: Vec<proto::StringStringEntryProto>,
}

impl Graph {
    /// Decodes a `GraphProto`.
    pub fn from_proto(g: proto::GraphProto) -> Result<Graph> {
        let initializers = g
            .initializer
            .into_iter()
            .map(|t| {
                let value = Tensor::from_proto(&t)?;
                Ok(Initializer {
                    name: t.name.unwrap_or_default(),
                    value,
                    raw: t.raw_data.is_some(),
                    doc_string: t.doc_string,
                    metadata_props: t.metadata_props,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Graph {
            name: g.name,
            nodes: g.node.into_iter().map(Node::from_proto).collect(),
            initializers,
            sparse_initializers: g.sparse_initializer,
            doc_string: g.doc_string,
            inputs: g.input.into_iter().map(value_info_from).collect(),
            outputs: g.output.into_iter().map(value_info_from).collect(),
            value_info: g.value_info.into_iter().map(value_info_from).collect(),
            quantization_annotation: g.quantization_annotation,
            metadata_props: g.metadata_props,
        })
    }

    /// Encodes as a `GraphProto`.
    pub fn to_proto(&self) -> proto::GraphProto {
        proto::GraphProto {
            node: self.nodes.iter().map(Node::to_proto).collect(),
            name: self.name.clone(),
            initializer: self
                .initializers
                .iter()
                .map(|i| {
                    let mut t = i.value.to_proto(&i.name, i.raw);
                    t.doc_string = i.doc_string.clone();
                    t.metadata_props = i.metadata_props.clone();
                    t
                })
                .collect(),
            doc_string: self.doc_string.clone(),
            input: self.inputs.iter().map(value_info_to).collect(),
            output: self.outputs.iter().map(value_info_to).collect(),
            value_info: self.value_info.iter().map(value_info_to).collect(),
            quantization_annotation: self.quantization_annotation.clone(),
            sparse_initializer: self.sparse_initializers.clone(),
            metadata_props: self.metadata_props.clone(),
        }
    }

    /// The initializer called `name`.
    pub fn initializer(&self, name: &str) -> Option<&Tensor> {
        self.initializers.iter().find(|i| i.name == name).map(|i| &i.value)
    }

    /// Adds or replaces an initializer.
    pub fn set_initializer(&mut self, name: &str, value: Tensor) {
        match self.initializers.iter_mut().find(|i| i.name == name) {
            Some(i) => i.value = value,
            None => self.initializers.push(Initializer::new(name, value)),
        }
    }

    /// Graph inputs that are real inputs (not also initializers, as old exports list them).
    pub fn real_inputs(&self) -> Vec<&ValueInfo> {
        let inits: HashSet<&str> = self.initializers.iter().map(|i| i.name.as_str()).collect();
        self.inputs.iter().filter(|v| !inits.contains(v.name.as_str())).collect()
    }

    /// Value info (input, output or intermediate) of tensor `name`.
    pub fn value_info_of(&self, name: &str) -> Option<&ValueInfo> {
        self.inputs.iter().chain(&self.outputs).chain(&self.value_info).find(|v| v.name == name)
    }

    /// The node that produces tensor `name`.
    pub fn producer(&self, name: &str) -> Option<usize> {
        self.nodes.iter().position(|n| n.outputs.iter().any(|o| o == name))
    }

    /// The nodes that read tensor `name`.
    pub fn consumers(&self, name: &str) -> Vec<usize> {
        (0..self.nodes.len()).filter(|&i| self.nodes[i].inputs.iter().any(|x| x == name)).collect()
    }

    /// The QONNX datatype annotation of tensor `name`.
    pub fn tensor_datatype(&self, name: &str) -> Option<DataType> {
        self.quantization_annotation
            .iter()
            .filter(|a| a.tensor_name.as_deref() == Some(name))
            .flat_map(|a| &a.quant_parameter_tensor_names)
            .find(|e| e.key.as_deref() == Some("finn_datatype"))
            .and_then(|e| e.value.as_deref()?.parse().ok())
    }

    /// Sets the QONNX datatype annotation of tensor `name`.
    pub fn set_tensor_datatype(&mut self, name: &str, dt: DataType) {
        let entry = proto::StringStringEntryProto { key: Some("finn_datatype".into()), value: Some(dt.to_string()) };
        for a in &mut self.quantization_annotation {
            if a.tensor_name.as_deref() == Some(name) {
                match a.quant_parameter_tensor_names.iter_mut().find(|e| e.key.as_deref() == Some("finn_datatype")) {
                    Some(e) => *e = entry,
                    None => a.quant_parameter_tensor_names.push(entry),
                }
                return;
            }
        }
        self.quantization_annotation.push(proto::TensorAnnotation {
            tensor_name: Some(name.to_string()),
            quant_parameter_tensor_names: vec![entry],
        });
    }

    /// The order in which nodes can run: every node after the producers of its inputs. Checks
    /// that every input is produced (by a node, a graph input or an initializer), that no tensor
    /// has two producers, and that there is no cycle.
    pub fn topological_order(&self) -> Result<Vec<usize>> {
        let mut producer: HashMap<&str, usize> = HashMap::new();
        for (i, n) in self.nodes.iter().enumerate() {
            for o in n.outputs.iter().filter(|o| !o.is_empty()) {
                if producer.insert(o.as_str(), i).is_some() {
                    return Err(Error::Model(format!("tensor `{o}` is produced by two nodes")));
                }
            }
        }
        let available: HashSet<&str> = self
            .inputs
            .iter()
            .map(|v| v.name.as_str())
            .chain(self.initializers.iter().map(|i| i.name.as_str()))
            .collect();
        let mut deps: Vec<Vec<usize>> = Vec::with_capacity(self.nodes.len());
        for n in &self.nodes {
            let mut d = Vec::new();
            for inp in n.inputs.iter().filter(|s| !s.is_empty()) {
                match producer.get(inp.as_str()) {
                    Some(&p) => d.push(p),
                    None if available.contains(inp.as_str()) => {}
                    None => {
                        return Err(Error::MissingInput { node: n.label(), op: n.op_type.clone(), input: inp.clone() });
                    }
                }
            }
            deps.push(d);
        }
        // Depth-first post-order; keeps the original order where it is already valid.
        let mut state = vec![0u8; self.nodes.len()]; // 0 new, 1 on stack, 2 done
        let mut order = Vec::with_capacity(self.nodes.len());
        for root in 0..self.nodes.len() {
            if state[root] != 0 {
                continue;
            }
            let mut stack = vec![(root, 0usize)];
            state[root] = 1;
            while let Some((v, k)) = stack.pop() {
                if k < deps[v].len() {
                    stack.push((v, k + 1));
                    let w = deps[v][k];
                    match state[w] {
                        0 => {
                            state[w] = 1;
                            stack.push((w, 0));
                        }
                        1 => return Err(Error::Cycle { node: self.nodes[w].label() }),
                        _ => {}
                    }
                } else {
                    state[v] = 2;
                    order.push(v);
                }
            }
        }
        Ok(order)
    }

    /// Reorders the nodes topologically (see [`Graph::topological_order`]).
    pub fn sort(&mut self) -> Result<()> {
        let order = self.topological_order()?;
        let mut old: Vec<Option<Node>> = std::mem::take(&mut self.nodes).into_iter().map(Some).collect();
        self.nodes = order.into_iter().filter_map(|i| old[i].take()).collect();
        Ok(())
    }
}
