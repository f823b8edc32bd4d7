//! The IR: model, graph, node, initializer and value info, with lossless conversion to and from
//! the ONNX protobuf.
//!
//! What the IR does not model itself (training info, functions, sparse initializers, node
//! metadata, non-tensor types) is carried as the protobuf message it came in, so a model that was
//! not changed is written back byte for byte.

//!
//! The node is in [`node`], the graph in [`graph`], initializers and value infos in [`value`].

mod graph;
mod node;
mod value;

use std::path::Path;

use prost::Message;

use crate::error::{Error, Result};
use crate::proto;

pub use graph::Graph;
pub use node::Node;
pub use value::{Dim, Initializer, ValueInfo};

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
