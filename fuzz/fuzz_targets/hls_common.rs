//! What the `hls-backend` targets share: an [`HlsConfig`] drawn from the fuzz input (precisions
//! often at the edges of what `ap_fixed` allows, or not parseable at all; reuse factors; softmax
//! forms; per-layer overrides for the layers the model really has) and the lowering of a mutated
//! test model ([`crate::mutations`]) with it. Any panic in here (or below it) is a bug.

use hls_backend::config::{LayerConfig, SoftmaxImpl};
use hls_backend::{HlsConfig, HlsModel, lower::lower};

use crate::mutations::{Cursor, mutated_model};

/// Base names of precision strings, one of them not a type.
const BASES: [&str; 5] = ["ap_fixed", "ap_ufixed", "ap_int", "ap_uint", "ap_float"];

/// Rounding modes as the parser spells them, one of them wrong.
const ROUNDING: [&str; 8] =
    ["AP_TRN", "AP_TRN_ZERO", "AP_RND", "AP_RND_ZERO", "AP_RND_MIN_INF", "AP_RND_INF", "AP_RND_CONV", "AP_ROUND"];

/// Overflow modes as the parser spells them, one of them wrong.
const OVERFLOW: [&str; 5] = ["AP_WRAP", "AP_SAT", "AP_SAT_ZERO", "AP_SAT_SYM", "AP_SATURATE"];

/// A bit count for a precision string: mostly 0..=64, sometimes far outside.
fn bits(c: &mut Cursor<'_>) -> Option<i64> {
    let b = c.byte()?;
    Some(match b {
        0..=200 => i64::from(b % 66),
        201..=250 => -i64::from(b - 200),
        251 => i64::from(i32::MAX) + 1,
        252 => i64::from(i32::MIN),
        253 => i64::MAX,
        254 => 1 << 32,
        _ => i64::from(u32::MAX),
    })
}

/// A precision string: usually well formed (`ap_fixed<W,I,Q,O>` with 0–2 modes), sometimes a
/// base name alone or with too many arguments.
pub fn precision(c: &mut Cursor<'_>) -> Option<String> {
    let base = BASES[usize::from(c.byte()?) % BASES.len()];
    let shape = c.byte()?;
    let (w, i) = (bits(c)?, bits(c)?);
    Some(match shape % 8 {
        0 => format!("{base}<{w}>"),
        1 => format!("{base}<{w},{i}>"),
        2 | 3 => format!("{base}<{w},{i},{}>", ROUNDING[usize::from(c.byte()?) % ROUNDING.len()]),
        4 | 5 => format!(
            "{base}<{w},{i},{},{}>",
            ROUNDING[usize::from(c.byte()?) % ROUNDING.len()],
            OVERFLOW[usize::from(c.byte()?) % OVERFLOW.len()]
        ),
        6 => format!("{base}<{w},{i},AP_RND,AP_SAT,3>"),
        _ => base.to_string(),
    })
}

/// An optional precision (absent for an even byte).
fn maybe_precision(c: &mut Cursor<'_>) -> Option<Option<String>> {
    Some(if c.byte()? % 2 == 0 { None } else { Some(precision(c)?) })
}

/// A reuse factor: 1–4, sometimes 0 (invalid) or very large.
fn reuse(c: &mut Cursor<'_>) -> Option<u32> {
    let b = c.byte()?;
    Some(match b {
        0 => 0,
        255 => u32::MAX,
        _ => 1 + u32::from(b % 4),
    })
}

/// The global settings of a configuration.
fn base_config(c: &mut Cursor<'_>) -> Option<HlsConfig> {
    let softmax = [SoftmaxImpl::Lut, SoftmaxImpl::Argmax, SoftmaxImpl::Skip][usize::from(c.byte()?) % 3];
    let mut cfg = HlsConfig { softmax, reuse_factor: reuse(c)?, ..HlsConfig::default() };
    let k = c.byte()?;
    if k % 16 == 0 {
        cfg.name = ["", "9lives", "a-b", "_x", "jet_tagger"][usize::from(k / 16) % 5].to_string();
    }
    if k % 16 == 1 {
        cfg.clock_period_ns = [0.0, -1.0, f64::NAN, f64::INFINITY, 1e-300, 1e300][usize::from(k / 16) % 6];
    }
    if c.byte()? % 2 == 1 {
        cfg.input_precision = precision(c)?;
    }
    if c.byte()? % 2 == 1 {
        cfg.default_precision = precision(c)?;
    }
    Some(cfg)
}

/// A configuration drawn from `c` and the model lowered with it. Per-layer overrides are chosen
/// among the layers of a first lowering with the global settings (and one name no layer has).
/// `None` when the input runs out or either lowering fails (an error, which is fine).
pub fn lowered(data: &[u8]) -> Option<(HlsModel, HlsConfig, Cursor<'_>)> {
    let (model, rest) = mutated_model(data)?;
    let mut c = Cursor { bytes: rest, pos: 0 };
    let mut cfg = base_config(&mut c)?;
    let first = lower(&model, &cfg).ok()?;
    let n_overrides = c.byte()? % 4;
    if n_overrides == 0 {
        return Some((first, cfg, c));
    }
    let mut names: Vec<String> = first.layers.iter().map(|l| l.name.clone()).collect();
    names.push("no_such_layer".into());
    for _ in 0..n_overrides {
        let name = names[c.index(names.len())?].clone();
        let lc = LayerConfig {
            reuse_factor: if c.byte()? % 2 == 0 { None } else { Some(reuse(&mut c)?) },
            result_precision: maybe_precision(&mut c)?,
            weight_precision: maybe_precision(&mut c)?,
        };
        cfg.layers.insert(name, lc);
    }
    let hls = lower(&model, &cfg).ok()?;
    Some((hls, cfg, c))
}

/// Float inputs for `n` features: 1 to 40 samples (across the emulator's 32-sample tiles), values
/// from the input, often at the edges of the input type.
pub fn inputs(c: &mut Cursor<'_>, n: usize) -> Option<Vec<f64>> {
    if n == 0 || n > 4096 {
        return None;
    }
    let batch = (1 + usize::from(c.byte()? % 40)).min(4096 / n).max(1);
    let mut x = Vec::with_capacity(batch * n);
    for _ in 0..batch * n {
        let b = c.byte().unwrap_or(0);
        x.push(match b {
            0 => 0.0,
            1 => -0.0,
            2 => 1e30,
            3 => -1e30,
            4 => f64::from(f32::MIN_POSITIVE),
            5 => 0.5,
            6 => -0.5,
            _ => f64::from(b.wrapping_sub(128) as i8) / 4.0,
        });
    }
    Some(x)
}
