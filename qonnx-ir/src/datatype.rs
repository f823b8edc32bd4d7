//! QONNX datatypes (`finn_datatype` annotations): arbitrary-precision integers, bipolar and
//! ternary values, fixed point, scaled integers and floats.

use std::fmt;
use std::str::FromStr;

use crate::error::Error;

/// A QONNX datatype, as written in a `finn_datatype` quantization annotation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DataType {
    /// `BINARY`: {0, 1}.
    Binary,
    /// `BIPOLAR`: {−1, +1}.
    Bipolar,
    /// `TERNARY`: {−1, 0, +1}.
    Ternary,
    /// `UINTn`: [0, 2^n − 1].
    UInt(u32),
    /// `INTn`: [−2^(n−1), 2^(n−1) − 1].
    Int(u32),
    /// `FIXED<W,I>`: signed fixed point with W bits in all and I integer bits (sign included).
    Fixed {
        /// Total bits.
        width: u32,
        /// Integer bits, sign included.
        int_bits: u32,
    },
    /// `SCALEDINT<n>`: an n-bit integer times a (non-unit) scale.
    ScaledInt(u32),
    /// `FLOAT32`.
    Float32,
    /// `FLOAT16`.
    Float16,
}

impl DataType {
    /// Bits per value.
    pub fn bitwidth(self) -> u32 {
        match self {
            DataType::Binary | DataType::Bipolar => 1,
            DataType::Ternary => 2,
            DataType::UInt(n) | DataType::Int(n) | DataType::ScaledInt(n) => n,
            DataType::Fixed { width, .. } => width,
            DataType::Float32 => 32,
            DataType::Float16 => 16,
        }
    }

    /// Whether values are integers (no scale, no fraction).
    pub fn is_integer(self) -> bool {
        matches!(self, DataType::Binary | DataType::Bipolar | DataType::Ternary | DataType::UInt(_) | DataType::Int(_))
    }

    /// Whether negative values are allowed.
    pub fn signed(self) -> bool {
        !matches!(self, DataType::Binary | DataType::UInt(_))
    }

    /// Smallest representable value (for floats, the most negative finite value).
    pub fn min(self) -> f64 {
        match self {
            DataType::Binary | DataType::UInt(_) => 0.0,
            DataType::Bipolar | DataType::Ternary => -1.0,
            DataType::Int(n) | DataType::ScaledInt(n) => -(2f64.powi(n as i32 - 1)),
            DataType::Fixed { width, int_bits } => {
                -(2f64.powi(width as i32 - 1)) * 2f64.powi(int_bits as i32 - width as i32)
            }
            DataType::Float32 => f32::MIN as f64,
            DataType::Float16 => -65504.0,
        }
    }

    /// Largest representable value.
    pub fn max(self) -> f64 {
        match self {
            DataType::Binary | DataType::Bipolar | DataType::Ternary => 1.0,
            DataType::UInt(n) => 2f64.powi(n as i32) - 1.0,
            DataType::Int(n) | DataType::ScaledInt(n) => 2f64.powi(n as i32 - 1) - 1.0,
            DataType::Fixed { width, int_bits } => {
                (2f64.powi(width as i32 - 1) - 1.0) * 2f64.powi(int_bits as i32 - width as i32)
            }
            DataType::Float32 => f32::MAX as f64,
            DataType::Float16 => 65504.0,
        }
    }

    /// Whether `v` is a value of this type.
    pub fn allowed(self, v: f64) -> bool {
        match self {
            DataType::Float32 | DataType::Float16 | DataType::ScaledInt(_) => v.is_finite() || v.is_nan(),
            DataType::Bipolar => v == 1.0 || v == -1.0,
            DataType::Fixed { width, int_bits } => {
                let q = v * 2f64.powi(width as i32 - int_bits as i32);
                q.fract() == 0.0 && v >= self.min() && v <= self.max()
            }
            _ => v.fract() == 0.0 && v >= self.min() && v <= self.max(),
        }
    }

    /// The smallest integer type holding every value in `[min, max]`.
    pub fn smallest_int(min: i64, max: i64) -> DataType {
        if min >= 0 {
            if max <= 1 {
                return DataType::Binary;
            }
            let bits = 64 - (max as u64).leading_zeros();
            DataType::UInt(bits)
        } else {
            let need =
                |v: i64| if v < 0 { 64 - (!v as u64).leading_zeros() + 1 } else { 64 - (v as u64).leading_zeros() + 1 };
            DataType::Int(need(min).max(need(max)))
        }
    }
}

impl fmt::Display for DataType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DataType::Binary => write!(f, "BINARY"),
            DataType::Bipolar => write!(f, "BIPOLAR"),
            DataType::Ternary => write!(f, "TERNARY"),
            DataType::UInt(n) => write!(f, "UINT{n}"),
            DataType::Int(n) => write!(f, "INT{n}"),
            DataType::Fixed { width, int_bits } => write!(f, "FIXED<{width},{int_bits}>"),
            DataType::ScaledInt(n) => write!(f, "SCALEDINT<{n}>"),
            DataType::Float32 => write!(f, "FLOAT32"),
            DataType::Float16 => write!(f, "FLOAT16"),
        }
    }
}

impl FromStr for DataType {
    type Err = Error;

    fn from_str(s: &str) -> Result<DataType, Error> {
        let bad = || Error::DataType(s.to_string());
        let bits = |t: &str| -> Result<u32, Error> {
            let n: u32 = t.trim().parse().map_err(|_| bad())?;
            if (1..=64).contains(&n) { Ok(n) } else { Err(bad()) }
        };
        let u = s.trim().to_ascii_uppercase();
        Ok(match u.as_str() {
            "BINARY" => DataType::Binary,
            "BIPOLAR" => DataType::Bipolar,
            "TERNARY" => DataType::Ternary,
            "FLOAT32" => DataType::Float32,
            "FLOAT16" => DataType::Float16,
            _ => {
                if let Some(r) = u.strip_prefix("UINT") {
                    DataType::UInt(bits(r)?)
                } else if let Some(r) = u.strip_prefix("INT") {
                    DataType::Int(bits(r)?)
                } else if let Some(r) = u.strip_prefix("SCALEDINT<").and_then(|r| r.strip_suffix('>')) {
                    DataType::ScaledInt(bits(r)?)
                } else if let Some(r) = u.strip_prefix("FIXED<").and_then(|r| r.strip_suffix('>')) {
                    let (w, i) = r.split_once(',').ok_or_else(bad)?;
                    let (width, int_bits) = (bits(w)?, bits(i)?);
                    if int_bits > width {
                        return Err(bad());
                    }
                    DataType::Fixed { width, int_bits }
                } else {
                    return Err(bad());
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_print() {
        for s in ["BINARY", "BIPOLAR", "TERNARY", "UINT6", "INT16", "FIXED<8,3>", "SCALEDINT<6>", "FLOAT32"] {
            assert_eq!(s.parse::<DataType>().unwrap().to_string(), s);
        }
        assert!("INT0".parse::<DataType>().is_err());
        assert!("FIXED<4,8>".parse::<DataType>().is_err());
        assert!("QUUX".parse::<DataType>().is_err());
    }

    #[test]
    fn ranges() {
        assert_eq!((DataType::Int(6).min(), DataType::Int(6).max()), (-32.0, 31.0));
        assert_eq!((DataType::UInt(6).min(), DataType::UInt(6).max()), (0.0, 63.0));
        let f = DataType::Fixed { width: 8, int_bits: 3 };
        assert_eq!((f.min(), f.max()), (-4.0, 3.96875));
        assert!(f.allowed(0.03125) && !f.allowed(0.01));
        assert_eq!(DataType::smallest_int(-5, 100), DataType::Int(8));
        assert_eq!(DataType::smallest_int(0, 255), DataType::UInt(8));
        assert_eq!(DataType::smallest_int(-128, 127), DataType::Int(8));
    }
}
