//! The integer range of a quantizer ([`IntRange`]): bit width, sign and narrow range, with QONNX's
//! meanings. The one integer-type description of the workspace: `hawq-core`'s quantizers,
//! [`QuantParams`](crate::ops::QuantParams) and `hls-backend`'s fixed-point types (by an explicit
//! conversion) all use it.

use serde::{Deserialize, Serialize};

use crate::datatype::DataType;

/// The integer range of a quantizer, with QONNX's `signed` and `narrow` meanings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntRange {
    /// Bit width, 1..=32.
    pub bits: u32,
    /// Signed (two's complement) range.
    pub signed: bool,
    /// Narrow range: drops the most negative value (signed) or the largest one (unsigned).
    pub narrow: bool,
}

impl IntRange {
    /// A range of `bits` bits.
    pub fn new(bits: u32, signed: bool, narrow: bool) -> IntRange {
        IntRange { bits, signed, narrow }
    }

    /// Signed 1-bit ranges are bipolar: values −1 and +1.
    pub fn is_bipolar(&self) -> bool {
        self.bits == 1 && self.signed
    }

    /// The smallest integer.
    pub fn min(&self) -> i64 {
        if self.is_bipolar() {
            -1
        } else if self.signed {
            -(1i64 << (self.bits - 1)) + i64::from(self.narrow)
        } else {
            0
        }
    }

    /// The largest integer.
    pub fn max(&self) -> i64 {
        if self.is_bipolar() {
            1
        } else if self.signed {
            (1i64 << (self.bits - 1)) - 1
        } else {
            (1i64 << self.bits) - 1 - i64::from(self.narrow)
        }
    }

    /// Clamps `v` into the range (bipolar: the sign, with 0 → +1).
    pub fn clamp(&self, v: i64) -> i64 {
        if self.is_bipolar() { if v >= 0 { 1 } else { -1 } } else { v.clamp(self.min(), self.max()) }
    }

    /// The largest magnitude used to derive a scale: `2^(b−1) − 1` signed (1 for bipolar),
    /// `2^b − 1` unsigned.
    pub fn scale_denominator(&self) -> f32 {
        if self.signed { ((1i64 << (self.bits - 1)) - 1).max(1) as f32 } else { ((1i64 << self.bits) - 1) as f32 }
    }

    /// The QONNX datatype of the range's integers (`BIPOLAR`, `INTn` or `UINTn`; a narrow range
    /// has the datatype of its full range).
    pub fn datatype(&self) -> DataType {
        if self.is_bipolar() {
            DataType::Bipolar
        } else if self.signed {
            DataType::Int(self.bits)
        } else {
            DataType::UInt(self.bits)
        }
    }
}
