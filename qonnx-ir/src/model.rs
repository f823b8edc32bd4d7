//! The IR: model, graph, node, initializer and value info, with lossless conversion to and from
//! the ONNX protobuf.
//!
//! What the IR does not model itself (training info, functions, sparse initializers, node
//! metadata, non-tensor types) is carried as the protobuf message it came in, so a model that was
//! not changed is written back byte for byte.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use prost::Message;

use crate::attr;
use crate::datatype::DataType;
use crate::error::{Error, Result};
use crate::proto;
use crate::tensor::Tensor;

/// The domain that QONNX's custom ops live in today.
pub const QONNX_DOMAIN: &str = "qonnx.custom_op.general";
/// Older names of [`QONNX_DOMAIN`], read as aliases of it.
pub const QONNX_DOMAIN_ALIASES: [&str; 3] = ["finn.custom_op.general", "finn", "onnx.brevitas"];

/// Whether `domain` is the QONNX domain or one of its old aliases.
pub fn is_qonnx_domain(domain: &str) -> bool {
    domain == QONNX_DOMAIN || QONNX_DOMAIN_ALIASES.contains(&domain)
}

/// An ONNX model.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    /// ONNX IR version.
    pub ir_version: Option<i64>,
    /// Operator set imports (domain and version).
    pub opset_imports: Vec<proto::OperatorSetIdProto>,
    /// Producer name.
    pub producer_name: Option<String>,
    /// Producer version.
    pub producer_version: Option<String>,
    /// Model domain.
    pub domain: Option<String>,
    /// Model version.
    pub model_version: Option<i64>,
    /// Documentation.
    pub doc_string: Option<String>,
    /// The main graph.
    pub graph: Graph,
    /// Model metadata (key/value).
    pub metadata_props: Vec<proto::StringStringEntryProto>,
    /// Training information, carried unchanged.
    pub training_info: Vec<proto::TrainingInfoProto>,
    /// Model-local functions, carried unchanged.
    pub functions: Vec<proto::FunctionProto>,
    /// Device configurations, carried unchanged.
    pub configuration: Vec<proto::DeviceConfigurationProto>,
}

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

/// A constant tensor of the graph.
#[derive(Debug, Clone, PartialEq)]
pub struct Initializer {
    /// Tensor name.
    pub name: String,
    /// The value.
    pub value: Tensor,
    /// Whether it is stored in `raw_data` (else in the typed field).
    pub raw: bool,
    /// Documentation.
    pub doc_string: Option<String>,
    /// Tensor metadata.
    pub metadata_props: Vec<proto::StringStringEntryProto>,
}

impl Initializer {
    /// A new initializer stored in `raw_data`.
    pub fn new(name: impl Into<String>, value: Tensor) -> Initializer {
        Initializer { name: name.into(), value, raw: true, doc_string: None, metadata_props: Vec::new() }
    }
}

/// A dimension of a value's shape.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Dim {
    /// A known size.
    Value(i64),
    /// A symbolic size (`dim_param`), such as a batch dimension `N`.
    Param(String),
    /// Neither known nor named.
    Unknown,
}

impl std::fmt::Display for Dim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Dim::Value(v) => write!(f, "{v}"),
            Dim::Param(p) => write!(f, "{p}"),
            Dim::Unknown => write!(f, "?"),
        }
    }
}

/// A named value's type information. The ONNX `TypeProto` is kept as it came, so nothing is lost;
/// the accessors read and write its tensor element type and shape.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ValueInfo {
    /// Value name.
    pub name: String,
    /// The type, as in the file.
    pub ty: Option<proto::TypeProto>,
    /// Documentation.
    pub doc_string: Option<String>,
    /// Metadata.
    pub metadata_props: Vec<proto::StringStringEntryProto>,
}

impl ValueInfo {
    /// A tensor value of element type `elem_type` (ONNX code) and the given shape.
    pub fn tensor(name: impl Into<String>, elem_type: i32, shape: &[Dim]) -> ValueInfo {
        let mut v = ValueInfo { name: name.into(), ..Default::default() };
        v.set_tensor_type(Some(elem_type), Some(shape));
        v
    }

    fn tensor_type(&self) -> Option<&proto::type_proto::Tensor> {
        match self.ty.as_ref()?.value.as_ref()? {
            proto::type_proto::Value::TensorType(t) => Some(t),
            _ => None,
        }
    }

    /// The ONNX element type code, if this is a tensor with a known element type.
    pub fn elem_type(&self) -> Option<i32> {
        self.tensor_type()?.elem_type
    }

    /// The shape, if this is a tensor with a known rank.
    pub fn shape(&self) -> Option<Vec<Dim>> {
        let s = self.tensor_type()?.shape.as_ref()?;
        Some(
            s.dim
                .iter()
                .map(|d| match &d.value {
                    Some(proto::tensor_shape_proto::dimension::Value::DimValue(v)) => Dim::Value(*v),
                    Some(proto::tensor_shape_proto::dimension::Value::DimParam(p)) => Dim::Param(p.clone()),
                    None => Dim::Unknown,
                })
                .collect(),
        )
    }

    /// Sets the tensor element type and shape (`None` leaves that part unknown).
    pub fn set_tensor_type(&mut self, elem_type: Option<i32>, shape: Option<&[Dim]>) {
        use proto::tensor_shape_proto::{Dimension, dimension::Value};
        let shape = shape.map(|dims| proto::TensorShapeProto {
            dim: dims
                .iter()
                .map(|d| Dimension {
                    value: match d {
                        Dim::Value(v) => Some(Value::DimValue(*v)),
                        Dim::Param(p) => Some(Value::DimParam(p.clone())),
                        Dim::Unknown => None,
                    },
                    denotation: None,
                })
                .collect(),
        });
        let ty = self.ty.get_or_insert_with(Default::default);
        ty.value = Some(proto::type_proto::Value::TensorType(proto::type_proto::Tensor { elem_type, shape }));
    }
}

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

    fn from_proto(p: proto::NodeProto) -> Node {
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

    fn to_proto(&self) -> proto::NodeProto {
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

fn value_info_from(p: proto::ValueInfoProto) -> ValueInfo {
    ValueInfo {
        name: p.name.unwrap_or_default(),
        ty: p.r#type,
        doc_string: p.doc_string,
        metadata_props: p.metadata_props,
    }
}

fn value_info_to(v: &ValueInfo) -> proto::ValueInfoProto {
    proto::ValueInfoProto {
        name: Some(v.name.clone()),
        r#type: v.ty.clone(),
        doc_string: v.doc_string.clone(),
        metadata_props: v.metadata_props.clone(),
    }
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

impl Model {
    /// A model around `graph` with the given opset imports, IR version 8 and this crate as producer.
    pub fn new(graph: Graph, opsets: &[(&str, i64)]) -> Model {
        Model {
            ir_version: Some(8),
            opset_imports: opsets
                .iter()
                .map(|(d, v)| proto::OperatorSetIdProto { domain: Some(d.to_string()), version: Some(*v) })
                .collect(),
            producer_name: Some("qonnx-ir".into()),
            producer_version: Some(env!("CARGO_PKG_VERSION").into()),
            domain: None,
            model_version: None,
            doc_string: None,
            graph,
            metadata_props: Vec::new(),
            training_info: Vec::new(),
            functions: Vec::new(),
            configuration: Vec::new(),
        }
    }

    /// Decodes a model from ONNX protobuf bytes. `context` names the source in errors.
    pub fn from_bytes(bytes: &[u8], context: &str) -> Result<Model> {
        let p =
            proto::ModelProto::decode(bytes).map_err(|error| Error::Decode { context: context.to_string(), error })?;
        Model::from_proto(p)
    }

    /// Loads a model from an `.onnx` file.
    pub fn load(path: impl AsRef<Path>) -> Result<Model> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|error| Error::Io { path: path.to_path_buf(), error })?;
        Model::from_bytes(&bytes, &path.display().to_string())
    }

    /// Encodes as ONNX protobuf bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.to_proto().encode_to_vec()
    }

    /// Saves to an `.onnx` file.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        std::fs::write(path, self.to_bytes()).map_err(|error| Error::Io { path: path.to_path_buf(), error })
    }

    /// Decodes a `ModelProto`.
    pub fn from_proto(p: proto::ModelProto) -> Result<Model> {
        let graph = p.graph.ok_or_else(|| Error::Model("the model has no graph".into()))?;
        Ok(Model {
            ir_version: p.ir_version,
            opset_imports: p.opset_import,
            producer_name: p.producer_name,
            producer_version: p.producer_version,
            domain: p.domain,
            model_version: p.model_version,
            doc_string: p.doc_string,
            graph: Graph::from_proto(graph)?,
            metadata_props: p.metadata_props,
            training_info: p.training_info,
            functions: p.functions,
            configuration: p.configuration,
        })
    }

    /// Encodes as a `ModelProto`.
    pub fn to_proto(&self) -> proto::ModelProto {
        proto::ModelProto {
            ir_version: self.ir_version,
            producer_name: self.producer_name.clone(),
            producer_version: self.producer_version.clone(),
            domain: self.domain.clone(),
            model_version: self.model_version,
            doc_string: self.doc_string.clone(),
            graph: Some(self.graph.to_proto()),
            opset_import: self.opset_imports.clone(),
            metadata_props: self.metadata_props.clone(),
            training_info: self.training_info.clone(),
            functions: self.functions.clone(),
            configuration: self.configuration.clone(),
        }
    }

    /// The imported version of `domain` (`""` is the ONNX default domain).
    pub fn opset_version(&self, domain: &str) -> Option<i64> {
        self.opset_imports.iter().find(|o| o.domain.as_deref().unwrap_or("") == domain).and_then(|o| o.version)
    }

    /// The imported version of the QONNX domain (under its current name or an alias); 1 when the
    /// model does not import it, as qonnx assumes.
    pub fn qonnx_opset_version(&self) -> i64 {
        self.opset_imports
            .iter()
            .find(|o| is_qonnx_domain(o.domain.as_deref().unwrap_or("")))
            .and_then(|o| o.version)
            .unwrap_or(1)
    }

    /// Sets (adds or replaces) the imported version of `domain`.
    pub fn set_opset_version(&mut self, domain: &str, version: i64) {
        match self.opset_imports.iter_mut().find(|o| o.domain.as_deref().unwrap_or("") == domain) {
            Some(o) => o.version = Some(version),
            None => self
                .opset_imports
                .push(proto::OperatorSetIdProto { domain: Some(domain.to_string()), version: Some(version) }),
        }
    }

    /// A metadata value.
    pub fn metadata(&self, key: &str) -> Option<&str> {
        self.metadata_props.iter().find(|e| e.key.as_deref() == Some(key)).and_then(|e| e.value.as_deref())
    }

    /// Sets a metadata value.
    pub fn set_metadata(&mut self, key: &str, value: &str) {
        let e = proto::StringStringEntryProto { key: Some(key.into()), value: Some(value.into()) };
        match self.metadata_props.iter_mut().find(|x| x.key.as_deref() == Some(key)) {
            Some(x) => *x = e,
            None => self.metadata_props.push(e),
        }
    }
}
