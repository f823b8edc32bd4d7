//! A computation node: op type, domain, inputs, outputs and attributes.
//!
//! Attributes and the fields the IR carries unchanged are the ONNX schema's own messages
//! ([`crate::proto`], generated from `onnx.proto3` in this crate, not a third-party type): an
//! attribute can hold any ONNX value (tensors, graphs, sparse tensors, type protos), and keeping
//! the message is what makes a load → save round trip byte for byte. Code that reads or makes
//! attributes does not need the message's fields: [`Node::attr_int`], [`Node::attr_float`],
//! [`Node::attr_string`], [`Node::attr_ints`] read them and [`crate::attr`] makes them.

use super::is_qonnx_domain;
use crate::attr;
use crate::error::Error;
use crate::proto;

/// A computation node.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Node {
    /// Node name (unique in a cleaned-up graph).
    pub name: Option<String>,
    /// Op type, such as `MatMul` or `Quant`.
    pub op_type: String,
    /// Op domain (absent or empty: the ONNX default domain).
    pub domain: Option<String>,
    /// Input tensor names; an empty name is an omitted optional input.
    pub inputs: Vec<String>,
    /// Output tensor names.
    pub outputs: Vec<String>,
    /// Attributes, as ONNX `AttributeProto`s (see [`crate::attr`] to make and read them).
    pub attributes: Vec<proto::AttributeProto>,
    /// Documentation.
    pub doc_string: Option<String>,
    /// Function overload, carried unchanged.
    pub overload: Option<String>,
    /// Node metadata, carried unchanged.
    pub metadata_props: Vec<proto::StringStringEntryProto>,
    /// Device configurations, carried unchanged.
    pub device_configurations: Vec<proto::NodeDeviceConfigurationProto>,
}

impl Node {
    /// A node with the given op type, inputs and outputs, in the default domain.
    pub fn new(op_type: impl Into<String>, inputs: &[&str], outputs: &[&str]) -> Node {
        Node {
            op_type: op_type.into(),
            inputs: inputs.iter().map(|s| s.to_string()).collect(),
            outputs: outputs.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        }
    }

    /// The name, or `""`.
    pub fn name(&self) -> &str {
        self.name.as_deref().unwrap_or("")
    }

    /// The domain, or `""` (the ONNX default domain).
    pub fn domain(&self) -> &str {
        self.domain.as_deref().unwrap_or("")
    }

    /// Whether this node is a QONNX custom op (any alias of the QONNX domain).
    pub fn is_qonnx(&self) -> bool {
        is_qonnx_domain(self.domain())
    }

    /// A label for messages: the name, or `op_type` with the first output when unnamed.
    pub fn label(&self) -> String {
        match &self.name {
            Some(n) if !n.is_empty() => n.clone(),
            _ => format!("{}→{}", self.op_type, self.outputs.first().map(String::as_str).unwrap_or("?")),
        }
    }

    /// The attribute called `name`.
    pub fn attr(&self, name: &str) -> Option<&proto::AttributeProto> {
        self.attributes.iter().find(|a| a.name.as_deref() == Some(name))
    }

    /// Sets (adds or replaces) an attribute.
    pub fn set_attr(&mut self, a: proto::AttributeProto) {
        match self.attributes.iter_mut().find(|x| x.name == a.name) {
            Some(x) => *x = a,
            None => self.attributes.push(a),
        }
    }

    /// An integer attribute, or `default` when absent.
    pub fn attr_int(&self, name: &str, default: i64) -> i64 {
        self.attr(name).and_then(attr::as_int).unwrap_or(default)
    }

    /// A float attribute, or `default` when absent.
    pub fn attr_float(&self, name: &str, default: f32) -> f32 {
        self.attr(name).and_then(attr::as_float).unwrap_or(default)
    }

    /// A string attribute, or `default` when absent.
    pub fn attr_string(&self, name: &str, default: &str) -> String {
        self.attr(name).and_then(attr::as_string).unwrap_or_else(|| default.to_string())
    }

    /// An integer-list attribute, if present.
    pub fn attr_ints(&self, name: &str) -> Option<Vec<i64>> {
        self.attr(name).map(|a| a.ints.clone())
    }

    /// An error about this node.
    pub fn error(&self, message: impl Into<String>) -> Error {
        Error::Node { node: self.label(), op: self.op_type.clone(), message: message.into() }
    }

    pub(super) fn from_proto(p: proto::NodeProto) -> Node {
        Node {
            name: p.name,
            op_type: p.op_type.unwrap_or_default(),
            domain: p.domain,
            inputs: p.input,
            outputs: p.output,
            attributes: p.attribute,
            doc_string: p.doc_string,
            overload: p.overload,
            metadata_props: p.metadata_props,
            device_configurations: p.device_configurations,
        }
    }

    pub(super) fn to_proto(&self) -> proto::NodeProto {
        proto::NodeProto {
            input: self.inputs.clone(),
            output: self.outputs.clone(),
            name: self.name.clone(),
            op_type: Some(self.op_type.clone()),
            attribute: self.attributes.clone(),
            doc_string: self.doc_string.clone(),
            domain: self.domain.clone(),
            overload: self.overload.clone(),
            metadata_props: self.metadata_props.clone(),
            device_configurations: self.device_configurations.clone(),
        }
    }
}
