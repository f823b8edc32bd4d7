//! Helpers shared by the fuzz targets: input synthesis from declared graph inputs, and the
//! run-everything driver. Any panic in here (or in `qonnx-ir` below it) is a bug.

use qonnx_ir::exec::{ExecOptions, Executor};
use qonnx_ir::transform::cleanup;
use qonnx_ir::{Dim, Model, Tensor};

/// The most elements a synthesized input tensor may hold, so that each fuzz iteration stays fast.
pub const MAX_INPUT_ELEMENTS: usize = 4096;

/// ONNX element type code of FLOAT.
const ONNX_FLOAT: i32 = 1;

/// Values that often reach corner cases in quantizers and arithmetic.
const SPECIAL: [f32; 16] = [
    0.0,
    -0.0,
    1.0,
    -1.0,
    0.5,
    -0.5,
    2.5,
    -128.5,
    f32::NAN,
    f32::INFINITY,
    f32::NEG_INFINITY,
    f32::MAX,
    f32::MIN,
    f32::MIN_POSITIVE,
    1.0e-45,
    1.0e30,
];

/// A source of values drawn from the fuzz input, read from its end backwards (so the bytes that
/// feed the values are also bytes of the model, and libFuzzer can steer both). Cycles when it
/// runs out; yields zeros for empty input.
pub struct ValueSource<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> ValueSource<'a> {
    /// A source over `bytes`.
    pub fn new(bytes: &'a [u8]) -> ValueSource<'a> {
        ValueSource { bytes, pos: 0 }
    }

    /// The next byte.
    pub fn byte(&mut self) -> u8 {
        if self.bytes.is_empty() {
            return 0;
        }
        let b = self.bytes[self.bytes.len() - 1 - (self.pos % self.bytes.len())];
        self.pos = self.pos.wrapping_add(1);
        b
    }

    /// The next value: a special value for bytes below 16, otherwise a multiple of 1/8 in
    /// [-16, 16) or, for bytes of 0xF0 and above, raw float bits from the next four bytes.
    pub fn value(&mut self) -> f32 {
        let b = self.byte();
        if (b as usize) < SPECIAL.len() {
            SPECIAL[b as usize]
        } else if b >= 0xF0 {
            f32::from_bits(u32::from_le_bytes([self.byte(), self.byte(), self.byte(), self.byte()]))
        } else {
            f32::from(b.wrapping_sub(128) as i8) / 8.0
        }
    }

    /// A size for a symbolic or unknown dimension, 1 to 4.
    pub fn small_dim(&mut self) -> usize {
        1 + (self.byte() % 4) as usize
    }
}

/// Float inputs for every real graph input of `model`, shaped as declared (symbolic and unknown
/// dimensions become 1..4; a declared first dimension too large for the element cap becomes
/// 1..4 and `any_batch` is set). Returns `None` when an input is not float or cannot be made
/// within [`MAX_INPUT_ELEMENTS`].
pub fn synthesize_inputs(model: &Model, src: &mut ValueSource<'_>) -> Option<(Vec<(String, Tensor)>, bool)> {
    let mut any_batch = false;
    let mut out = Vec::new();
    for vi in model.graph.real_inputs() {
        if vi.elem_type().is_some_and(|t| t != ONNX_FLOAT) {
            return None;
        }
        let dims = vi.shape().unwrap_or_else(|| vec![Dim::Unknown]);
        let mut shape = Vec::with_capacity(dims.len());
        for (i, d) in dims.iter().enumerate() {
            let s = match d {
                Dim::Value(v) if *v >= 0 && (*v as usize) <= MAX_INPUT_ELEMENTS => *v as usize,
                Dim::Value(_) if i == 0 => {
                    any_batch = true;
                    src.small_dim()
                }
                Dim::Value(_) => return None,
                Dim::Param(_) | Dim::Unknown => src.small_dim(),
            };
            shape.push(s);
        }
        let n = shape.iter().try_fold(1usize, |acc, &s| acc.checked_mul(s))?;
        if n > MAX_INPUT_ELEMENTS {
            return None;
        }
        let data = (0..n).map(|_| src.value()).collect();
        out.push((vi.name.clone(), Tensor::from_f32(&shape, data).ok()?));
    }
    Some((out, any_batch))
}

/// Runs `model` on synthesized inputs with `exact` off and on, ignoring errors.
pub fn execute_all_ways(model: &Model, src: &mut ValueSource<'_>) {
    let Ok(executor) = Executor::new(model) else { return };
    let Some((inputs, any_batch)) = synthesize_inputs(model, src) else { return };
    let named: Vec<(&str, Tensor)> = inputs.iter().map(|(n, t)| (n.as_str(), t.clone())).collect();
    for exact in [false, true] {
        let opts = ExecOptions { exact, keep_intermediates: false, any_batch };
        let _ = executor.run(&named, &opts);
    }
}

/// Everything the fuzz targets do with a decoded model: execute it as it is, then clean up a
/// copy and execute that too. `cleanup` runs on every model, however large its declared inputs:
/// shape inference probes a large batch dimension at small sizes and refuses placeholders above
/// its `MAX_PLACEHOLDER` elements. Only the inputs this harness synthesizes for execution are
/// capped, at [`MAX_INPUT_ELEMENTS`].
pub fn exercise(model: &Model, value_bytes: &[u8]) {
    execute_all_ways(model, &mut ValueSource::new(value_bytes));
    let mut cleaned = model.clone();
    if cleanup(&mut cleaned).is_ok() {
        execute_all_ways(&cleaned, &mut ValueSource::new(value_bytes));
    }
}
