//! Backend configuration: target part, clock, reuse factor, strategy, I/O type, precisions and
//! per-layer overrides; from a TOML/JSON file (serde) or built in code.

use std::collections::BTreeMap;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::fixed::{FixedType, Overflow, Rounding};

/// How the final Softmax is implemented.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum SoftmaxImpl {
    /// Exponential and inverse lookup tables.
    #[default]
    Lut,
    /// Only the index of the largest logit.
    Argmax,
    /// Leave it out: the model outputs logits.
    Skip,
}

/// Interface type of the top function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum IoType {
    /// Arrays, fully partitioned.
    #[default]
    IoParallel,
}

/// Implementation strategy of dense layers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// Fully parallel multipliers, limited by the reuse factor.
    #[default]
    Latency,
}

/// Per-layer overrides.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct LayerConfig {
    /// Reuse factor of this layer.
    pub reuse_factor: Option<u32>,
    /// Output precision (e.g. `ap_fixed<16,6,AP_RND_CONV,AP_SAT>`); the exact accumulator is cast
    /// to it, with its rounding and overflow modes.
    pub result_precision: Option<String>,
    /// Precision for float (unquantized) weights of this layer.
    pub weight_precision: Option<String>,
}

/// The whole configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HlsConfig {
    /// Project and top-function name.
    pub name: String,
    /// FPGA part.
    pub part: String,
    /// Clock period in ns.
    pub clock_period_ns: f64,
    /// Default reuse factor.
    pub reuse_factor: u32,
    /// Dense strategy.
    pub strategy: Strategy,
    /// I/O type.
    pub io_type: IoType,
    /// Precision of the input when the model's input is not quantized. An input that goes
    /// straight into a QONNX `Quant` takes that quantizer's type instead, so the firmware's input
    /// conversion rounds and saturates exactly as the `Quant` does.
    pub input_precision: String,
    /// Precision for float weights, biases and results of float layers.
    pub default_precision: String,
    /// Softmax implementation.
    pub softmax: SoftmaxImpl,
    /// Per-layer overrides, by layer name (the `HlsModel` layer names: each layer takes its node's name, e.g. `layer0` for the first dense layer of a hawq-core export, `MatMul_0` in the QKeras tagger).
    pub layers: BTreeMap<String, LayerConfig>,
}

impl Default for HlsConfig {
    fn default() -> HlsConfig {
        HlsConfig {
            name: "myproject".into(),
            part: "xcvu9p-flga2104-2L-e".into(),
            clock_period_ns: 5.0,
            reuse_factor: 1,
            strategy: Strategy::Latency,
            io_type: IoType::IoParallel,
            input_precision: "ap_fixed<16,6>".into(),
            default_precision: "ap_fixed<16,6>".into(),
            softmax: SoftmaxImpl::Lut,
            layers: BTreeMap::new(),
        }
    }
}

impl HlsConfig {
    /// Reads a configuration from TOML (`.toml`) or JSON (anything else).
    pub fn from_file(path: &std::path::Path) -> Result<HlsConfig> {
        let text = std::fs::read_to_string(path).map_err(|error| Error::Io { path: path.to_path_buf(), error })?;
        let cfg: HlsConfig = if path.extension().is_some_and(|e| e == "toml") {
            toml::from_str(&text).map_err(|e| {
                // toml's own message spans several lines (a source snippet): one line instead,
                // `file:line:column: message`.
                let at = e.span().map_or(0, |s| s.start.min(text.len()));
                let before = text.get(..at).unwrap_or(&text);
                let line = before.matches('\n').count() + 1;
                let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
                Error::Config(format!("{}:{line}:{column}: {}", path.display(), e.message().trim().replace('\n', " ")))
            })?
        } else {
            serde_json::from_str(&text).map_err(|e| Error::Config(format!("{}: {e}", path.display())))?
        };
        cfg.validate()?;
        Ok(cfg)
    }

    /// Checks values that serde cannot: names, clock, reuse factors, precision strings.
    pub fn validate(&self) -> Result<()> {
        if self.name.is_empty()
            || !self.name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            || self.name.starts_with(|c: char| c.is_ascii_digit())
        {
            return Err(Error::Config(format!("name {:?} is not a C identifier", self.name)));
        }
        if !(self.clock_period_ns > 0.0 && self.clock_period_ns.is_finite()) {
            return Err(Error::Config(format!("clock period {} ns", self.clock_period_ns)));
        }
        if self.reuse_factor == 0 {
            return Err(Error::Config("reuse factor 0".into()));
        }
        self.input_precision.parse::<FixedType>()?;
        self.default_precision.parse::<FixedType>()?;
        for (name, l) in &self.layers {
            if l.reuse_factor == Some(0) {
                return Err(Error::Config(format!("layer {name}: reuse factor 0")));
            }
            for p in [&l.result_precision, &l.weight_precision].into_iter().flatten() {
                p.parse::<FixedType>().map_err(|e| Error::Config(format!("layer {name}: {e}")))?;
            }
        }
        Ok(())
    }

    /// The reuse factor of layer `name`.
    pub fn reuse(&self, name: &str) -> u32 {
        self.layers.get(name).and_then(|l| l.reuse_factor).unwrap_or(self.reuse_factor)
    }
}

impl FromStr for FixedType {
    type Err = Error;

    /// Parses `ap_fixed<W,I[,Q[,O]]>`, `ap_ufixed<…>`, `ap_int<W>`, `ap_uint<W>`.
    fn from_str(s: &str) -> Result<FixedType> {
        let bad = || Error::Precision(format!("cannot parse {s:?} (expected e.g. ap_fixed<16,6>)"));
        let t = s.replace(' ', "");
        let (base, rest) = t.split_once('<').ok_or_else(bad)?;
        let args: Vec<&str> = rest.strip_suffix('>').ok_or_else(bad)?.split(',').collect();
        let num = |k: usize| -> Result<i64> { args.get(k).ok_or_else(bad)?.parse::<i64>().map_err(|_| bad()) };
        let w = num(0)?;
        if !(1..=i64::from(crate::fixed::MAX_WIDTH)).contains(&w) {
            return Err(Error::Precision(format!("{s}: width {w} is outside 1..={}", crate::fixed::MAX_WIDTH)));
        }
        let (signed, int_bits, extra) = match base {
            "ap_fixed" => (true, num(1)?, &args[2.min(args.len())..]),
            "ap_ufixed" => (false, num(1)?, &args[2.min(args.len())..]),
            "ap_int" => (true, w, &args[1.min(args.len())..]),
            "ap_uint" => (false, w, &args[1.min(args.len())..]),
            _ => return Err(bad()),
        };
        let rounding = match extra.first().copied() {
            None | Some("AP_TRN") => Rounding::Trn,
            Some("AP_TRN_ZERO") => Rounding::TrnZero,
            Some("AP_RND") => Rounding::Rnd,
            Some("AP_RND_ZERO") => Rounding::RndZero,
            Some("AP_RND_MIN_INF") => Rounding::RndMinInf,
            Some("AP_RND_INF") => Rounding::RndInf,
            Some("AP_RND_CONV") => Rounding::RndConv,
            Some(_) => return Err(bad()),
        };
        let overflow = match extra.get(1).copied() {
            None | Some("AP_WRAP") => Overflow::Wrap,
            Some("AP_SAT") => Overflow::Sat,
            Some("AP_SAT_ZERO") => Overflow::SatZero,
            Some("AP_SAT_SYM") => Overflow::SatSym,
            Some(_) => return Err(bad()),
        };
        if extra.len() > 3 {
            return Err(bad());
        }
        let max_i = crate::fixed::MAX_INT_BITS;
        let int_bits = i32::try_from(int_bits).ok().filter(|i| (-max_i..=max_i).contains(i)).ok_or_else(|| {
            Error::Precision(format!("{s}: integer bits {int_bits} are outside {}..={max_i}", -max_i))
        })?;
        Ok(FixedType { width: w as u32, int_bits, signed, rounding, overflow })
    }
}
