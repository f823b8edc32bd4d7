//! Making and reading node attributes (ONNX `AttributeProto`).

use crate::proto::{AttributeProto, attribute_type as ty};
use crate::tensor::Tensor;

fn named(name: &str, t: i32) -> AttributeProto {
    AttributeProto { name: Some(name.to_string()), r#type: Some(t), ..Default::default() }
}

/// An integer attribute.
pub fn int(name: &str, v: i64) -> AttributeProto {
    AttributeProto { i: Some(v), ..named(name, ty::INT) }
}

/// A float attribute.
pub fn float(name: &str, v: f32) -> AttributeProto {
    AttributeProto { f: Some(v), ..named(name, ty::FLOAT) }
}

/// A string attribute.
pub fn string(name: &str, v: &str) -> AttributeProto {
    AttributeProto { s: Some(v.as_bytes().to_vec()), ..named(name, ty::STRING) }
}

/// An integer-list attribute.
pub fn ints(name: &str, v: &[i64]) -> AttributeProto {
    AttributeProto { ints: v.to_vec(), ..named(name, ty::INTS) }
}

/// A float-list attribute.
pub fn floats(name: &str, v: &[f32]) -> AttributeProto {
    AttributeProto { floats: v.to_vec(), ..named(name, ty::FLOATS) }
}

/// A tensor attribute (stored in `raw_data`).
pub fn tensor(name: &str, v: &Tensor) -> AttributeProto {
    AttributeProto { t: Some(v.to_proto("", true)), ..named(name, ty::TENSOR) }
}

/// The integer value, if the attribute holds one.
pub fn as_int(a: &AttributeProto) -> Option<i64> {
    a.i
}

/// The float value, if the attribute holds one.
pub fn as_float(a: &AttributeProto) -> Option<f32> {
    a.f.or(a.i.map(|i| i as f32))
}

/// The string value (UTF-8, lossy), if the attribute holds one.
pub fn as_string(a: &AttributeProto) -> Option<String> {
    a.s.as_ref().map(|s| String::from_utf8_lossy(s).into_owned())
}

/// A short human-readable rendering of the value, for tables.
pub fn render(a: &AttributeProto) -> String {
    if let Some(s) = as_string(a) {
        return format!("{s:?}");
    }
    if let Some(i) = a.i {
        return i.to_string();
    }
    if let Some(f) = a.f {
        return f.to_string();
    }
    if !a.ints.is_empty() {
        return format!("{:?}", a.ints);
    }
    if !a.floats.is_empty() {
        return format!("{:?}", a.floats);
    }
    if let Some(t) = &a.t {
        return format!("tensor{:?}", t.dims);
    }
    "…".to_string()
}
