//! Tensors: ndarray-backed values of the element types the IR models, and their conversion to
//! and from `TensorProto`.

use ndarray::{ArrayD, IxDyn};

use crate::error::{Error, Result};
use crate::proto::{self, data_type};

/// The element types the IR models.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DType {
    /// 32-bit float (`FLOAT`).
    F32,
    /// 64-bit float (`DOUBLE`).
    F64,
    /// 64-bit signed integer (`INT64`).
    I64,
    /// 32-bit signed integer (`INT32`).
    I32,
    /// 8-bit signed integer (`INT8`).
    I8,
    /// 8-bit unsigned integer (`UINT8`).
    U8,
    /// Boolean (`BOOL`).
    Bool,
}

impl DType {
    /// The ONNX `TensorProto.DataType` code.
    pub fn onnx_code(self) -> i32 {
        match self {
            DType::F32 => data_type::FLOAT,
            DType::F64 => data_type::DOUBLE,
            DType::I64 => data_type::INT64,
            DType::I32 => data_type::INT32,
            DType::I8 => data_type::INT8,
            DType::U8 => data_type::UINT8,
            DType::Bool => data_type::BOOL,
        }
    }

    /// The element type for an ONNX `TensorProto.DataType` code, if the IR models it.
    pub fn from_onnx_code(code: i32) -> Option<DType> {
        Some(match code {
            data_type::FLOAT => DType::F32,
            data_type::DOUBLE => DType::F64,
            data_type::INT64 => DType::I64,
            data_type::INT32 => DType::I32,
            data_type::INT8 => DType::I8,
            data_type::UINT8 => DType::U8,
            data_type::BOOL => DType::Bool,
            _ => return None,
        })
    }

    /// Bytes per element in `raw_data`.
    pub fn size(self) -> usize {
        match self {
            DType::F64 | DType::I64 => 8,
            DType::F32 | DType::I32 => 4,
            DType::I8 | DType::U8 | DType::Bool => 1,
        }
    }
}

/// A dense tensor of one of the modelled element types.
#[derive(Debug, Clone, PartialEq)]
pub enum Tensor {
    /// 32-bit float.
    F32(ArrayD<f32>),
    /// 64-bit float.
    F64(ArrayD<f64>),
    /// 64-bit signed integer.
    I64(ArrayD<i64>),
    /// 32-bit signed integer.
    I32(ArrayD<i32>),
    /// 8-bit signed integer.
    I8(ArrayD<i8>),
    /// 8-bit unsigned integer.
    U8(ArrayD<u8>),
    /// Boolean.
    Bool(ArrayD<bool>),
}

/// Applies `$body` to the array inside any variant.
macro_rules! each {
    ($t:expr, $a:ident => $body:expr) => {
        match $t {
            Tensor::F32($a) => $body,
            Tensor::F64($a) => $body,
            Tensor::I64($a) => $body,
            Tensor::I32($a) => $body,
            Tensor::I8($a) => $body,
            Tensor::U8($a) => $body,
            Tensor::Bool($a) => $body,
        }
    };
}
pub(crate) use each;

impl Tensor {
    /// The element type.
    pub fn dtype(&self) -> DType {
        match self {
            Tensor::F32(_) => DType::F32,
            Tensor::F64(_) => DType::F64,
            Tensor::I64(_) => DType::I64,
            Tensor::I32(_) => DType::I32,
            Tensor::I8(_) => DType::I8,
            Tensor::U8(_) => DType::U8,
            Tensor::Bool(_) => DType::Bool,
        }
    }

    /// The shape.
    pub fn shape(&self) -> &[usize] {
        each!(self, a => a.shape())
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        each!(self, a => a.len())
    }

    /// Whether the tensor has no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A float32 scalar.
    pub fn scalar_f32(v: f32) -> Tensor {
        Tensor::F32(ArrayD::from_elem(IxDyn(&[]), v))
    }

    /// A float32 tensor from a shape and row-major data.
    pub fn from_f32(shape: &[usize], data: Vec<f32>) -> Result<Tensor> {
        ArrayD::from_shape_vec(IxDyn(shape), data)
            .map(Tensor::F32)
            .map_err(|e| Error::Tensor { tensor: String::new(), message: e.to_string() })
    }

    /// An all-zero tensor of the given type and shape.
    pub fn zeros(dtype: DType, shape: &[usize]) -> Tensor {
        let s = IxDyn(shape);
        match dtype {
            DType::F32 => Tensor::F32(ArrayD::zeros(s)),
            DType::F64 => Tensor::F64(ArrayD::zeros(s)),
            DType::I64 => Tensor::I64(ArrayD::zeros(s)),
            DType::I32 => Tensor::I32(ArrayD::zeros(s)),
            DType::I8 => Tensor::I8(ArrayD::zeros(s)),
            DType::U8 => Tensor::U8(ArrayD::zeros(s)),
            DType::Bool => Tensor::Bool(ArrayD::from_elem(s, false)),
        }
    }

    /// The float32 array, if this is a float32 tensor.
    pub fn as_f32(&self) -> Option<&ArrayD<f32>> {
        match self {
            Tensor::F32(a) => Some(a),
            _ => None,
        }
    }

    /// The values as float64 (exact for every modelled type but large i64).
    pub fn to_f64(&self) -> ArrayD<f64> {
        match self {
            Tensor::F32(a) => a.mapv(f64::from),
            Tensor::F64(a) => a.clone(),
            Tensor::I64(a) => a.mapv(|v| v as f64),
            Tensor::I32(a) => a.mapv(f64::from),
            Tensor::I8(a) => a.mapv(f64::from),
            Tensor::U8(a) => a.mapv(f64::from),
            Tensor::Bool(a) => a.mapv(|v| if v { 1.0 } else { 0.0 }),
        }
    }

    /// The values converted to float32 (as a C cast would).
    pub fn to_f32(&self) -> ArrayD<f32> {
        match self {
            Tensor::F32(a) => a.clone(),
            Tensor::F64(a) => a.mapv(|v| v as f32),
            Tensor::I64(a) => a.mapv(|v| v as f32),
            Tensor::I32(a) => a.mapv(|v| v as f32),
            Tensor::I8(a) => a.mapv(f32::from),
            Tensor::U8(a) => a.mapv(f32::from),
            Tensor::Bool(a) => a.mapv(|v| if v { 1.0 } else { 0.0 }),
        }
    }

    /// The values as i64 (floats truncated toward zero, as a C cast would).
    pub fn to_i64(&self) -> ArrayD<i64> {
        match self {
            Tensor::F32(a) => a.mapv(|v| v as i64),
            Tensor::F64(a) => a.mapv(|v| v as i64),
            Tensor::I64(a) => a.clone(),
            Tensor::I32(a) => a.mapv(i64::from),
            Tensor::I8(a) => a.mapv(i64::from),
            Tensor::U8(a) => a.mapv(i64::from),
            Tensor::Bool(a) => a.mapv(i64::from),
        }
    }

    /// Converts to another element type with C-cast semantics (float→int truncates toward zero and
    /// saturates; anything→bool is `!= 0`).
    pub fn cast(&self, to: DType) -> Tensor {
        if self.dtype() == to {
            return self.clone();
        }
        let f = self.to_f64();
        match to {
            DType::F32 => Tensor::F32(self.to_f32()),
            DType::F64 => Tensor::F64(f),
            DType::I64 => Tensor::I64(self.to_i64()),
            DType::I32 => Tensor::I32(f.mapv(|v| v as i32)),
            DType::I8 => Tensor::I8(f.mapv(|v| v as i8)),
            DType::U8 => Tensor::U8(f.mapv(|v| v as u8)),
            DType::Bool => Tensor::Bool(f.mapv(|v| v != 0.0)),
        }
    }

    /// Decodes a `TensorProto` (raw or typed fields). The data length is checked against the dims,
    /// so a malformed file gives an error, never a panic.
    pub fn from_proto(t: &proto::TensorProto) -> Result<Tensor> {
        let name = t.name.clone().unwrap_or_default();
        let err = |message: String| Error::Tensor { tensor: name.clone(), message };
        if t.data_location == Some(1) || !t.external_data.is_empty() {
            return Err(err("external data is not supported".into()));
        }
        let code = t.data_type.unwrap_or(0);
        let dtype = DType::from_onnx_code(code).ok_or_else(|| err(format!("element type {code} is not supported")))?;
        let mut shape = Vec::with_capacity(t.dims.len());
        let mut n: usize = 1;
        for &d in &t.dims {
            let d = usize::try_from(d).map_err(|_| err(format!("negative dimension {d}")))?;
            n = n.checked_mul(d).ok_or_else(|| err("dimensions overflow".into()))?;
            shape.push(d);
        }
        let shape = IxDyn(&shape);
        if let Some(raw) = &t.raw_data {
            if raw.len() != n.saturating_mul(dtype.size()) {
                return Err(err(format!(
                    "raw_data holds {} bytes, dims {:?} need {}",
                    raw.len(),
                    t.dims,
                    n.saturating_mul(dtype.size())
                )));
            }
            let v = decode_raw(dtype, raw);
            return Ok(v.reshape(shape));
        }
        let typed_len = match dtype {
            DType::F32 => t.float_data.len(),
            DType::F64 => t.double_data.len(),
            DType::I64 => t.int64_data.len(),
            DType::I32 | DType::I8 | DType::U8 | DType::Bool => t.int32_data.len(),
        };
        if typed_len != n {
            return Err(err(format!("holds {typed_len} values, dims {:?} need {n}", t.dims)));
        }
        let flat = match dtype {
            DType::F32 => Tensor::F32(ArrayD::from_shape_vec(IxDyn(&[n]), t.float_data.clone()).unwrap_or_default()),
            DType::F64 => Tensor::F64(ArrayD::from_shape_vec(IxDyn(&[n]), t.double_data.clone()).unwrap_or_default()),
            DType::I64 => Tensor::I64(ArrayD::from_shape_vec(IxDyn(&[n]), t.int64_data.clone()).unwrap_or_default()),
            DType::I32 => Tensor::I32(vec1(t.int32_data.clone())),
            DType::I8 => Tensor::I8(vec1(t.int32_data.iter().map(|&v| v as i8).collect())),
            DType::U8 => Tensor::U8(vec1(t.int32_data.iter().map(|&v| v as u8).collect())),
            DType::Bool => Tensor::Bool(vec1(t.int32_data.iter().map(|&v| v != 0).collect())),
        };
        Ok(flat.reshape(shape))
    }

    /// Encodes as a `TensorProto` named `name`, in `raw_data` or in the typed field.
    pub fn to_proto(&self, name: &str, raw: bool) -> proto::TensorProto {
        let mut t = proto::TensorProto {
            dims: self.shape().iter().map(|&d| d as i64).collect(),
            data_type: Some(self.dtype().onnx_code()),
            name: Some(name.to_string()),
            ..Default::default()
        };
        if raw {
            t.raw_data = Some(encode_raw(self));
            return t;
        }
        match self {
            Tensor::F32(a) => t.float_data = a.iter().copied().collect(),
            Tensor::F64(a) => t.double_data = a.iter().copied().collect(),
            Tensor::I64(a) => t.int64_data = a.iter().copied().collect(),
            Tensor::I32(a) => t.int32_data = a.iter().copied().collect(),
            Tensor::I8(a) => t.int32_data = a.iter().map(|&v| i32::from(v)).collect(),
            Tensor::U8(a) => t.int32_data = a.iter().map(|&v| i32::from(v)).collect(),
            Tensor::Bool(a) => t.int32_data = a.iter().map(|&v| i32::from(v)).collect(),
        }
        t
    }

    /// Reshapes a tensor whose element count matches `shape`.
    fn reshape(self, shape: IxDyn) -> Tensor {
        each!(self, a => {
            let v: Vec<_> = a.into_iter().collect();
            let r = ArrayD::from_shape_vec(shape, v).unwrap_or_else(|_| ArrayD::from_shape_vec(IxDyn(&[0]), Vec::new()).unwrap_or_default());
            r.into()
        })
    }
}

fn vec1<T>(v: Vec<T>) -> ArrayD<T> {
    let n = v.len();
    ArrayD::from_shape_vec(IxDyn(&[n]), v).unwrap_or_else(|_| unreachable!("1-d shape matches"))
}

fn decode_raw(dtype: DType, raw: &[u8]) -> Tensor {
    fn le<const N: usize, T>(raw: &[u8], f: impl Fn([u8; N]) -> T) -> ArrayD<T> {
        vec1(raw.chunks_exact(N).map(|c| f(c.try_into().unwrap_or([0; N]))).collect())
    }
    match dtype {
        DType::F32 => Tensor::F32(le(raw, f32::from_le_bytes)),
        DType::F64 => Tensor::F64(le(raw, f64::from_le_bytes)),
        DType::I64 => Tensor::I64(le(raw, i64::from_le_bytes)),
        DType::I32 => Tensor::I32(le(raw, i32::from_le_bytes)),
        DType::I8 => Tensor::I8(le(raw, i8::from_le_bytes)),
        DType::U8 => Tensor::U8(le(raw, u8::from_le_bytes)),
        DType::Bool => Tensor::Bool(le(raw, |b: [u8; 1]| b[0] != 0)),
    }
}

fn encode_raw(t: &Tensor) -> Vec<u8> {
    let mut out = Vec::with_capacity(t.len() * t.dtype().size());
    match t {
        Tensor::F32(a) => a.iter().for_each(|v| out.extend_from_slice(&v.to_le_bytes())),
        Tensor::F64(a) => a.iter().for_each(|v| out.extend_from_slice(&v.to_le_bytes())),
        Tensor::I64(a) => a.iter().for_each(|v| out.extend_from_slice(&v.to_le_bytes())),
        Tensor::I32(a) => a.iter().for_each(|v| out.extend_from_slice(&v.to_le_bytes())),
        Tensor::I8(a) => a.iter().for_each(|v| out.extend_from_slice(&v.to_le_bytes())),
        Tensor::U8(a) => out.extend(a.iter().copied()),
        Tensor::Bool(a) => out.extend(a.iter().map(|&v| u8::from(v))),
    }
    out
}

macro_rules! from_array {
    ($t:ty, $v:ident) => {
        impl From<ArrayD<$t>> for Tensor {
            fn from(a: ArrayD<$t>) -> Tensor {
                Tensor::$v(a)
            }
        }
    };
}
from_array!(f32, F32);
from_array!(f64, F64);
from_array!(i64, I64);
from_array!(i32, I32);
from_array!(i8, I8);
from_array!(u8, U8);
from_array!(bool, Bool);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_and_typed_round_trip() {
        let t = Tensor::from_f32(&[2, 3], vec![1.0, -0.0, 2.5, f32::MIN_POSITIVE, 7.0, -3.0]).unwrap();
        for raw in [true, false] {
            let p = t.to_proto("w", raw);
            let back = Tensor::from_proto(&p).unwrap();
            assert_eq!(back, t);
            assert_eq!(back.as_f32().unwrap()[[0, 1]].to_bits(), (-0.0f32).to_bits());
        }
    }

    #[test]
    fn length_mismatch_is_an_error() {
        let mut p = Tensor::from_f32(&[4], vec![1.0; 4]).unwrap().to_proto("x", true);
        p.dims = vec![5];
        assert!(matches!(Tensor::from_proto(&p), Err(Error::Tensor { .. })));
        p.dims = vec![-1];
        assert!(Tensor::from_proto(&p).is_err());
        p.dims = vec![i64::MAX, i64::MAX];
        assert!(Tensor::from_proto(&p).is_err());
    }
}
