//! Initializers (constant tensors), shape dimensions and value infos (a tensor's name, type and
//! shape), and value infos' conversion to and from the protobuf.

use crate::proto;
use crate::tensor::Tensor;

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

pub(super) fn value_info_from(p: proto::ValueInfoProto) -> ValueInfo {
    ValueInfo {
        name: p.name.unwrap_or_default(),
        ty: p.r#type,
        doc_string: p.doc_string,
        metadata_props: p.metadata_props,
    }
}

pub(super) fn value_info_to(v: &ValueInfo) -> proto::ValueInfoProto {
    proto::ValueInfoProto {
        name: Some(v.name.clone()),
        r#type: v.ty.clone(),
        doc_string: v.doc_string.clone(),
        metadata_props: v.metadata_props.clone(),
    }
}
