//! The RTL netlist: integer signals, each with its exact value range (so its exact width), built
//! from a handful of operators, and pipeline registers placed as the signals are created.
//!
//! Every signal is a two's-complement integer; unsigned data is carried with one more bit. A
//! signal's *stage* is the number of register boundaries between the design's inputs and it, its
//! *depth* the number of logic levels since the last boundary. With `levels_per_stage = N > 0`
//! an operator that would make a path longer than `N` levels is placed at the start of the next
//! stage, and every operand from an earlier stage is delayed to the operator's stage by a chain
//! of registers (shared by every user of that operand).

use std::collections::HashMap;

use crate::fixed::{FixedType, MAX_WIDTH, Overflow};

/// A signal's index in its [`Netlist`].
pub(crate) type Sig = usize;

/// What computes a signal.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Op {
    /// Element `index` of the input port (each `width` bits, unsigned or signed).
    Input { index: usize, width: u32, signed: bool },
    /// A constant.
    Const(i128),
    /// `a + b·2^shift` (or `a − b·2^shift` with `sub`).
    Add { a: Sig, b: Sig, shift: u32, sub: bool },
    /// The `ap_fixed` cast of `src` (at `from_frac` fractional bits) into `ty`: rounding at the
    /// new LSB, then the overflow mode. The signal holds the raw integer of `ty`.
    Cast { src: Sig, from_frac: i32, ty: FixedType },
    /// `max(src, 0)`.
    Relu { src: Sig },
    /// 1 when `b > a`, else 0.
    Greater { a: Sig, b: Sig },
    /// `sel ? b : a` (`sel` is 0 or 1).
    Mux { sel: Sig, a: Sig, b: Sig },
    /// `src` one clock cycle later.
    Reg { src: Sig },
}

/// One signal.
#[derive(Debug, Clone)]
pub(crate) struct Signal {
    pub op: Op,
    /// The smallest value it can take.
    pub lo: i128,
    /// The largest value it can take.
    pub hi: i128,
    /// Two's-complement width holding `lo..=hi`.
    pub width: u32,
    /// Register boundaries before it.
    pub stage: u32,
    /// Logic levels since the last boundary.
    pub depth: u32,
}

/// The two's-complement width holding every integer in `lo..=hi`.
pub(crate) fn signed_width(lo: i128, hi: i128) -> u32 {
    let mut w = 1;
    while lo < -(1i128 << (w - 1)) || hi > (1i128 << (w - 1)) - 1 {
        w += 1;
    }
    w
}

/// A netlist under construction.
#[derive(Debug, Clone)]
pub(crate) struct Netlist {
    pub signals: Vec<Signal>,
    /// Logic levels per pipeline stage; 0: purely combinational.
    pub levels_per_stage: u32,
    /// Comments for the Verilog: (first signal, layer label).
    pub marks: Vec<(usize, String)>,
    delayed: HashMap<(Sig, u32), Sig>,
}

impl Netlist {
    pub fn new(levels_per_stage: u32) -> Netlist {
        Netlist { signals: Vec::new(), levels_per_stage, marks: Vec::new(), delayed: HashMap::new() }
    }

    /// Labels the signals made from now on (a comment in the Verilog).
    pub fn mark(&mut self, label: String) {
        self.marks.push((self.signals.len(), label));
    }

    fn push(&mut self, op: Op, lo: i128, hi: i128, stage: u32, depth: u32) -> Sig {
        self.signals.push(Signal { op, lo, hi, width: signed_width(lo, hi), stage, depth });
        self.signals.len() - 1
    }

    pub fn sig(&self, s: Sig) -> &Signal {
        &self.signals[s]
    }

    /// An input element.
    pub fn input(&mut self, index: usize, ty: &FixedType) -> Sig {
        self.push(
            Op::Input { index, width: ty.width, signed: ty.signed },
            ty.min_raw().into(),
            ty.max_raw().into(),
            0,
            0,
        )
    }

    /// A constant.
    pub fn constant(&mut self, v: i128) -> Sig {
        self.push(Op::Const(v), v, v, 0, 0)
    }

    fn is_const(&self, s: Sig) -> bool {
        matches!(self.signals[s].op, Op::Const(_))
    }

    /// `s` as seen at `stage` (through registers when it was made earlier).
    pub fn at(&mut self, s: Sig, stage: u32) -> Sig {
        let (lo, hi, made) = (self.signals[s].lo, self.signals[s].hi, self.signals[s].stage);
        if self.is_const(s) || made >= stage {
            return s;
        }
        if let Some(&d) = self.delayed.get(&(s, stage)) {
            return d;
        }
        let prev = self.at(s, stage - 1);
        let d = self.push(Op::Reg { src: prev }, lo, hi, stage, 0);
        self.delayed.insert((s, stage), d);
        d
    }

    /// Places one level of logic reading `operands`: its stage and depth, with the operands
    /// delayed to that stage.
    fn place(&mut self, operands: &mut [Sig]) -> (u32, u32) {
        let live: Vec<&Signal> = operands.iter().filter(|&&s| !self.is_const(s)).map(|&s| &self.signals[s]).collect();
        let mut stage = live.iter().map(|s| s.stage).max().unwrap_or(0);
        let mut depth = 1 + live.iter().filter(|s| s.stage == stage).map(|s| s.depth).max().unwrap_or(0);
        if self.levels_per_stage > 0 && depth > self.levels_per_stage {
            stage += 1;
            depth = 1;
        }
        for s in operands.iter_mut() {
            *s = self.at(*s, stage);
        }
        (stage, depth)
    }

    /// `a ± b·2^shift`, with the exact range of the result given by the caller (who knows how
    /// the operands depend on the inputs; interval arithmetic would overestimate when they share
    /// inputs).
    pub fn add(&mut self, a: Sig, b: Sig, shift: u32, sub: bool, lo: i128, hi: i128) -> Sig {
        let mut ops = [a, b];
        let (stage, depth) = self.place(&mut ops);
        self.push(Op::Add { a: ops[0], b: ops[1], shift, sub }, lo, hi, stage, depth)
    }

    /// The `ap_fixed` cast of `src` (at `from_frac`) into `ty`; no logic when it is the identity.
    pub fn cast(&mut self, src: Sig, from_frac: i32, ty: FixedType) -> Sig {
        let (lo, hi) = (self.signals[src].lo, self.signals[src].hi);
        // The rounded range before the overflow mode applies (rounding is monotone).
        let (rlo, rhi) = (rounded(lo, from_frac, &ty), rounded(hi, from_frac, &ty));
        let (tlo, thi) = (i128::from(ty.min_raw()), i128::from(ty.max_raw()));
        let tlo_sym = tlo + i128::from(ty.overflow == Overflow::SatSym && ty.signed);
        let inside = rlo >= tlo_sym && rhi <= thi;
        if from_frac == ty.frac() && inside {
            return src;
        }
        if let Op::Const(v) = self.signals[src].op {
            return self.constant(cast_value(v, from_frac, &ty));
        }
        let (lo, hi) = match ty.overflow {
            _ if inside => (rlo, rhi),
            Overflow::Sat | Overflow::SatSym => (cast_value(lo, from_frac, &ty), cast_value(hi, from_frac, &ty)),
            // Wrap-around and saturation to zero fold values: anything in the type.
            Overflow::Wrap | Overflow::SatZero => (tlo, thi),
        };
        let mut ops = [src];
        let (stage, depth) = self.place(&mut ops);
        self.push(Op::Cast { src: ops[0], from_frac, ty }, lo, hi, stage, depth)
    }

    /// `max(src, 0)`; no logic when `src` is never negative.
    pub fn relu(&mut self, src: Sig) -> Sig {
        let (lo, hi) = (self.signals[src].lo, self.signals[src].hi);
        if lo >= 0 {
            return src;
        }
        let mut ops = [src];
        let (stage, depth) = self.place(&mut ops);
        self.push(Op::Relu { src: ops[0] }, 0, hi.max(0), stage, depth)
    }

    /// The larger of `(va, ia)` and `(vb, ib)` by value, the first on ties: `(value, index)`.
    pub fn max_pair(&mut self, (va, ia): (Sig, Sig), (vb, ib): (Sig, Sig)) -> (Sig, Sig) {
        let mut ops = [va, vb];
        let (stage, depth) = self.place(&mut ops);
        let sel = self.push(Op::Greater { a: ops[0], b: ops[1] }, 0, 1, stage, depth);
        let mut vals = [sel, ops[0], ops[1]];
        let (vs, vd) = self.place(&mut vals);
        let (lo, hi) = (self.signals[va].lo.min(self.signals[vb].lo), self.signals[va].hi.max(self.signals[vb].hi));
        let v = self.push(Op::Mux { sel: vals[0], a: vals[1], b: vals[2] }, lo, hi, vs, vd);
        let mut idx = [sel, ia, ib];
        let (is, id) = self.place(&mut idx);
        let (lo, hi) = (self.signals[ia].lo.min(self.signals[ib].lo), self.signals[ia].hi.max(self.signals[ib].hi));
        let i = self.push(Op::Mux { sel: idx[0], a: idx[1], b: idx[2] }, lo, hi, is, id);
        (v, i)
    }

    /// Registers the outputs once more (when pipelined) so that all arrive in the same cycle;
    /// returns them and the latency in cycles.
    pub fn finish(&mut self, outputs: &[Sig]) -> (Vec<Sig>, u32) {
        if self.levels_per_stage == 0 {
            return (outputs.to_vec(), 0);
        }
        let last = outputs.iter().map(|&s| self.signals[s].stage).max().unwrap_or(0) + 1;
        (outputs.iter().map(|&s| self.at(s, last)).collect(), last)
    }

    /// Evaluates every signal for one input vector (raw integers), cycle delays ignored: the
    /// reference the Verilog must equal, used by the tests.
    pub fn evaluate(&self, inputs: &[i64]) -> Vec<i128> {
        let mut v = vec![0i128; self.signals.len()];
        for (k, s) in self.signals.iter().enumerate() {
            v[k] = match s.op {
                Op::Input { index, .. } => i128::from(inputs[index]),
                Op::Const(c) => c,
                Op::Add { a, b, shift, sub } => {
                    let t = v[b] << shift;
                    if sub { v[a] - t } else { v[a] + t }
                }
                Op::Cast { src, from_frac, ty } => cast_value(v[src], from_frac, &ty),
                Op::Relu { src } => v[src].max(0),
                Op::Greater { a, b } => i128::from(v[b] > v[a]),
                Op::Mux { sel, a, b } => {
                    if v[sel] != 0 {
                        v[b]
                    } else {
                        v[a]
                    }
                }
                Op::Reg { src } => v[src],
            };
            // The hardware keeps `width` bits: a value outside the signal's range would wrap here
            // as it does in the Verilog.
            let up = 128 - s.width;
            v[k] = (v[k] << up) >> up;
        }
        v
    }
}

/// `v` (at `from_frac`) rounded to `ty`'s LSB with its rounding mode, before any overflow.
pub(crate) fn rounded(v: i128, from_frac: i32, ty: &FixedType) -> i128 {
    let wide = FixedType { width: MAX_WIDTH, int_bits: MAX_WIDTH as i32 - ty.frac(), signed: true, ..*ty };
    cast_value(v, from_frac, &wide.with_modes(ty.rounding, Overflow::Wrap))
}

/// [`FixedType::cast`] of a netlist value. Netlist values fit i64: every sum is bounded by the
/// range of its layer's accumulator type (at most 62 bits).
pub(crate) fn cast_value(v: i128, from_frac: i32, ty: &FixedType) -> i128 {
    let v = v.clamp(i64::MIN.into(), i64::MAX.into()) as i64;
    i128::from(ty.cast(v, from_frac))
}
