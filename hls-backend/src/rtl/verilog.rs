//! Verilog-2001 text of a [`Netlist`]: one flat module with exact-width two's-complement wires,
//! one `always` block of pipeline registers, and a testbench that streams one input vector per
//! clock cycle and prints every output.

use std::fmt::Write as _;

use super::netlist::{Netlist, Op, Sig};
use crate::fixed::{FixedType, Overflow, Rounding, round_shift};

/// `name` (of `from` bits) as exactly `to` bits: sign-extended or cut to its low bits (exact
/// whenever the value fits `to` bits, which the netlist's ranges guarantee where it is used).
fn fit(name: &str, from: u32, to: u32) -> String {
    match to.cmp(&from) {
        std::cmp::Ordering::Equal => name.to_string(),
        std::cmp::Ordering::Greater if from == 1 => format!("{{{}{{{name}[0]}}}}", to),
        std::cmp::Ordering::Greater => format!("{{{{{}{{{name}[{}]}}}}, {name}}}", to - from, from - 1),
        std::cmp::Ordering::Less => format!("{name}[{}:0]", to - 1),
    }
}

/// A `width`-bit literal of `v` in two's complement.
fn lit(v: i128, width: u32) -> String {
    let mask = if width >= 128 { u128::MAX } else { (1u128 << width) - 1 };
    format!("{width}'h{:x}", (v as u128) & mask)
}

/// The layout of the top module's ports.
#[derive(Debug, Clone)]
pub(crate) struct Ports {
    /// Input elements, each of `in_type`, packed `x[k·W +: W]`.
    pub n_in: usize,
    pub in_type: FixedType,
    /// Output signals, each written as `out_type`, packed `y[k·V +: V]`.
    pub outputs: Vec<Sig>,
    pub out_type: FixedType,
    /// Cycles from an input to its output (0: combinational, no clock).
    pub latency: u32,
}

fn name(s: Sig) -> String {
    format!("s{s}")
}

/// The module text.
pub(crate) fn module(top: &str, net: &Netlist, ports: &Ports, header: &str) -> String {
    let (wi, wo) = (ports.in_type.width, ports.out_type.width);
    let mut v = String::new();
    for line in header.lines() {
        let _ = writeln!(v, "// {line}");
    }
    let _ = writeln!(v, "`default_nettype none\nmodule {top} (");
    if ports.latency > 0 {
        let _ = writeln!(v, "    input wire clk,");
    }
    let _ = writeln!(v, "    input wire [{}:0] x,", ports.n_in as u32 * wi - 1);
    let _ = writeln!(v, "    output wire [{}:0] y\n);", ports.outputs.len() as u32 * wo - 1);
    let mut regs = Vec::new();
    let mut marks = net.marks.iter().peekable();
    for (k, s) in net.signals.iter().enumerate() {
        while let Some((_, label)) = marks.next_if(|(at, _)| *at <= k) {
            let _ = writeln!(v, "\n    // {label}");
        }
        let (n, w) = (name(k), s.width);
        let operand = |o: Sig| (name(o), net.sig(o).width);
        match s.op {
            Op::Input { index, width, signed } => {
                let slice = format!("x[{}:{}]", (index as u32 + 1) * width - 1, index as u32 * width);
                let e = if signed || w == width { slice } else { format!("{{{}'b0, {slice}}}", w - width) };
                let _ = writeln!(v, "    wire [{}:0] {n} = {e};", w - 1);
            }
            Op::Const(c) => {
                let _ = writeln!(v, "    wire [{}:0] {n} = {};", w - 1, lit(c, w));
            }
            Op::Add { a, b, shift, sub } => add(&mut v, &n, w, operand(a), operand(b), shift, sub),
            Op::Cast { src, from_frac, ty } => cast(&mut v, &n, w, operand(src), net.sig(src), from_frac, &ty),
            Op::Relu { src } => {
                let (a, wa) = operand(src);
                let _ =
                    writeln!(v, "    wire [{}:0] {n} = {a}[{}] ? {} : {};", w - 1, wa - 1, lit(0, w), fit(&a, wa, w));
            }
            Op::Greater { a, b } => {
                let ((a, _), (b, _)) = (operand(a), operand(b));
                let _ = writeln!(v, "    wire [{}:0] {n} = {{{}'b0, ($signed({b}) > $signed({a}))}};", w - 1, w - 1);
            }
            Op::Mux { sel, a, b } => {
                let ((a, wa), (b, wb)) = (operand(a), operand(b));
                let _ =
                    writeln!(v, "    wire [{}:0] {n} = s{sel}[0] ? {} : {};", w - 1, fit(&b, wb, w), fit(&a, wa, w));
            }
            Op::Reg { src } => {
                let _ = writeln!(v, "    reg [{}:0] {n};", w - 1);
                regs.push((n, name(src)));
            }
        }
    }
    if !regs.is_empty() {
        let _ = writeln!(v, "\n    always @(posedge clk) begin");
        for (r, s) in regs {
            let _ = writeln!(v, "        {r} <= {s};");
        }
        let _ = writeln!(v, "    end");
    }
    let _ = writeln!(v);
    for (k, &o) in ports.outputs.iter().enumerate() {
        let (n, w) = (name(o), net.sig(o).width);
        let _ = writeln!(v, "    assign y[{}:{}] = {};", (k as u32 + 1) * wo - 1, k as u32 * wo, fit(&n, w, wo));
    }
    let _ = writeln!(v, "endmodule\n`default_nettype wire");
    v
}

/// `n = a ± b·2^shift`. With a shift the low bits are `a`'s and only the upper part is added,
/// so the carry chain is as short as the overlap.
fn add(v: &mut String, n: &str, w: u32, (a, wa): (String, u32), (b, wb): (String, u32), shift: u32, sub: bool) {
    let op = if sub { "-" } else { "+" };
    if shift == 0 {
        let _ = writeln!(v, "    wire [{}:0] {n} = {} {op} {};", w - 1, fit(&a, wa, w), fit(&b, wb, w));
        return;
    }
    // The sum in `wc ≥ shift + 1` bits: high part (a >>> shift) ± b, low part a's low bits.
    let wc = w.max(shift + 1);
    let wx = wa.max(shift + 1);
    let ax = if wx == wa {
        a.clone()
    } else {
        let _ = writeln!(v, "    wire [{}:0] {n}_a = {};", wx - 1, fit(&a, wa, wx));
        format!("{n}_a")
    };
    let hi_w = wc - shift;
    let _ = writeln!(v, "    wire [{}:0] {n}_a_hi = {ax}[{}:{shift}];", wx - shift - 1, wx - 1);
    let _ = writeln!(
        v,
        "    wire [{}:0] {n}_hi = {} {op} {};",
        hi_w - 1,
        fit(&format!("{n}_a_hi"), wx - shift, hi_w),
        fit(&b, wb, hi_w)
    );
    let full = format!("{{{n}_hi, {ax}[{}:0]}}", shift - 1);
    if wc == w {
        let _ = writeln!(v, "    wire [{}:0] {n} = {full};", w - 1);
    } else {
        let _ = writeln!(v, "    wire [{}:0] {n}_c = {full};", wc - 1);
        let _ = writeln!(v, "    wire [{}:0] {n} = {n}_c[{}:0];", w - 1, w - 1);
    }
}

/// The rounding increment of `ap_fixed`'s quantization modes, from the sign, the first dropped
/// bit (`half`), whether any later dropped bit is set (`rest`) and the kept LSB.
fn round_up(mode: Rounding, neg: &str, half: &str, rest: &str, lsb: &str) -> Option<String> {
    Some(match mode {
        Rounding::Trn => return None,
        Rounding::TrnZero => format!("{neg} & ({half} | {rest})"),
        Rounding::Rnd => half.to_string(),
        Rounding::RndZero => format!("{half} & ({rest} | {neg})"),
        Rounding::RndMinInf => format!("{half} & {rest}"),
        Rounding::RndInf => format!("{half} & ({rest} | ~{neg})"),
        Rounding::RndConv => format!("{half} & ({rest} | {lsb})"),
    })
}

/// `n = cast(src)`: shift to the new LSB with the rounding mode, then the overflow mode.
fn cast(
    v: &mut String,
    n: &str,
    w: u32,
    (a, wa): (String, u32),
    src: &super::netlist::Signal,
    from_frac: i32,
    ty: &FixedType,
) {
    let s = from_frac - ty.frac();
    // q: the rounded value before overflow handling, `wq` bits.
    let (q, wq, qlo, qhi) = if s <= 0 {
        let l = (-s) as u32;
        let wq = wa + l;
        if l > 0 {
            let _ = writeln!(v, "    wire [{}:0] {n}_q = {{{a}, {l}'b0}};", wq - 1);
        } else {
            let _ = writeln!(v, "    wire [{}:0] {n}_q = {a};", wq - 1);
        }
        (format!("{n}_q"), wq, src.lo << l, src.hi << l)
    } else {
        let s = s as u32;
        let wx = wa.max(s + 1);
        let _ = writeln!(v, "    wire [{}:0] {n}_x = {};", wx - 1, fit(&a, wa, wx));
        let floor = format!("{n}_x[{}:{s}]", wx - 1);
        let wf = wx - s;
        let neg = format!("{n}_x[{}]", wx - 1);
        let half = format!("{n}_x[{}]", s - 1);
        let rest = if s >= 2 { format!("(|{n}_x[{}:0])", s - 2) } else { "1'b0".into() };
        let lsb = format!("{n}_x[{s}]");
        let q_of = |x: i128| i128::from(round_shift(x.clamp(i64::MIN.into(), i64::MAX.into()) as i64, s, ty.rounding));
        let (qlo, qhi) = (q_of(src.lo), q_of(src.hi));
        match round_up(ty.rounding, &neg, &half, &rest, &lsb) {
            None => {
                let _ = writeln!(v, "    wire [{}:0] {n}_q = {floor};", wf - 1);
                (format!("{n}_q"), wf, qlo, qhi)
            }
            Some(up) => {
                let _ = writeln!(v, "    wire [{}:0] {n}_f = {floor};", wf - 1);
                let wq = wf + 1;
                let _ = writeln!(
                    v,
                    "    wire [{}:0] {n}_q = {} + {{{}'b0, {up}}};",
                    wq - 1,
                    fit(&format!("{n}_f"), wf, wq),
                    wq - 1
                );
                (format!("{n}_q"), wq, qlo, qhi)
            }
        }
    };
    let (tlo, thi) = (i128::from(ty.min_raw()), i128::from(ty.max_raw()));
    let sym = i128::from(ty.overflow == Overflow::SatSym && ty.signed);
    let (above, below) = (qhi > thi, qlo < tlo + sym);
    if !above && !below {
        let _ = writeln!(v, "    wire [{}:0] {n} = {};", w - 1, fit(&q, wq, w));
        return;
    }
    let gt = format!("($signed({q}) > $signed({}))", lit(thi, wq));
    let lt = format!("($signed({q}) < $signed({}))", lit(tlo + sym, wq));
    let value = fit(&q, wq, w);
    if ty.overflow == Overflow::Wrap {
        // Keep the low W bits (q sign-extended first when it is narrower).
        let _ = writeln!(v, "    wire [{}:0] {n}_w = {};", ty.width - 1, fit(&q, wq, ty.width));
        let e = if ty.signed || w <= ty.width {
            fit(&format!("{n}_w"), ty.width, w)
        } else {
            format!("{{{}'b0, {n}_w}}", w - ty.width)
        };
        let _ = writeln!(v, "    wire [{}:0] {n} = {e};", w - 1);
        return;
    }
    let e = match ty.overflow {
        Overflow::SatZero => {
            let lt = format!("($signed({q}) < $signed({}))", lit(tlo, wq));
            format!("({gt} | {lt}) ? {} : {value}", lit(0, w))
        }
        _ => match (above, below) {
            (true, true) => format!("{gt} ? {} : {lt} ? {} : {value}", lit(thi, w), lit(tlo + sym, w)),
            (true, false) => format!("{gt} ? {} : {value}", lit(thi, w)),
            _ => format!("{lt} ? {} : {value}", lit(tlo + sym, w)),
        },
    };
    let _ = writeln!(v, "    wire [{}:0] {n} = {e};", w - 1);
}

/// Packs raw input vectors as the testbench's `$readmemh` lines: element `k` at bits
/// `[k·W +: W]`, most significant hex digit first.
pub(crate) fn hex_lines(raw: &[i64], n_in: usize, width: u32) -> String {
    let mut out = String::new();
    for sample in raw.chunks(n_in) {
        let mut bits = Vec::with_capacity(n_in * width as usize);
        for &x in sample.iter().rev() {
            for b in (0..width).rev() {
                bits.push(((x as u64) >> b) & 1);
            }
        }
        while bits.len() % 4 != 0 {
            bits.insert(0, 0);
        }
        for nib in bits.chunks(4) {
            let d = nib.iter().fold(0, |acc, &b| acc * 2 + b);
            out.push(char::from_digit(d as u32, 16).expect("a hex digit"));
        }
        out.push('\n');
    }
    out
}

/// A testbench for `top`: reads `n` input vectors from `tb_input.hex`, applies one per cycle, and
/// writes each output vector (raw integers, space-separated) to `tb_output.txt`.
pub(crate) fn testbench(top: &str, ports: &Ports, n: usize) -> String {
    let (wi, wo, lat) = (ports.in_type.width, ports.out_type.width, ports.latency);
    let (n_in, n_out) = (ports.n_in as u32, ports.outputs.len() as u32);
    let mut v = String::new();
    let _ = writeln!(v, "// Testbench of {top}: one input vector per clock cycle, outputs after {lat} cycles.");
    let _ = writeln!(v, "`timescale 1ns/1ps\nmodule tb_{top};");
    let _ = writeln!(v, "    reg clk = 1'b0;\n    reg [{}:0] x;\n    wire [{}:0] y;", n_in * wi - 1, n_out * wo - 1);
    let _ = writeln!(v, "    reg [{}:0] mem [0:{}];\n    integer i, f;", n_in * wi - 1, n.max(1) - 1);
    let clk = if lat > 0 { ".clk(clk), " } else { "" };
    let _ = writeln!(v, "    {top} dut ({clk}.x(x), .y(y));");
    let _ = writeln!(v, "    initial begin");
    let _ = writeln!(v, "        $readmemh(\"tb_input.hex\", mem);\n        f = $fopen(\"tb_output.txt\", \"w\");");
    let _ = writeln!(v, "        for (i = 0; i < {}; i = i + 1) begin", n as u32 + lat);
    let _ = writeln!(v, "            x = (i < {n}) ? mem[i] : {};", lit(0, n_in * wi));
    let _ = writeln!(v, "            #1;\n            if (i >= {lat}) begin");
    for k in 0..n_out {
        let slice = format!("y[{}:{}]", (k + 1) * wo - 1, k * wo);
        let value = if ports.out_type.signed { format!("$signed({slice})") } else { slice };
        let sep = if k == 0 { "" } else { " " };
        let _ = writeln!(v, "                $fwrite(f, \"{sep}%0d\", {value});");
    }
    let _ = writeln!(v, "                $fwrite(f, \"\\n\");\n            end");
    let _ = writeln!(v, "            clk = 1'b1; #1; clk = 1'b0; #1;\n        end");
    let _ = writeln!(v, "        $fclose(f);\n        $finish;\n    end\nendmodule");
    v
}
