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

    /// The QONNX datatype of the range's integers (`BIPOLAR`, `BINARY`, `INTn` or `UINTn`; a
    /// narrow range has the datatype of its full range).
    pub fn datatype(&self) -> DataType {
        if self.is_bipolar() {
            DataType::Bipolar
        } else if self.bits == 1 {
            DataType::Binary
        } else if self.signed {
            DataType::Int(self.bits)
        } else {
            DataType::UInt(self.bits)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_and_their_qonnx_datatypes() {
        let r = |b, s, n| IntRange::new(b, s, n);
        assert_eq!((r(8, true, false).min(), r(8, true, false).max()), (-128, 127));
        assert_eq!((r(8, true, true).min(), r(8, true, true).max()), (-127, 127));
        assert_eq!((r(4, false, true).min(), r(4, false, true).max()), (0, 14));
        assert_eq!((r(1, true, false).min(), r(1, true, false).max()), (-1, 1));
        assert_eq!(r(1, true, false).datatype(), DataType::Bipolar);
        assert_eq!(r(1, false, false).datatype(), DataType::Binary);
        assert_eq!(r(6, true, true).datatype(), DataType::Int(6));
        assert_eq!(r(6, false, false).datatype(), DataType::UInt(6));
    }
}
