//! The report's plots, drawn from `results.json` alone: accuracy against BOPs, the bits the ILP
//! chose per layer, the homogeneous table as curves, the ROC curves of the firmware's Hessian model
//! and the Hessian's per-layer figures. Each is written as PNG (1000×700) and SVG by the same
//! drawing code.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use plotters::chart::MeshStyle;
use plotters::coord::Shift;
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::config::{Precision, Regulariser};
use crate::error::{Error, Result, io};
use crate::results::{Results, mean_std};

/// The plots, by file name without extension.
const PLOTS: [&str; 5] = ["accuracy_vs_bops", "bits_per_layer", "homogeneous_accuracy", "roc", "hessian_traces"];
/// Pixels of every plot.
const SIZE: (u32, u32) = (1000, 700);
/// The one font family used (registered by [`register_font`]).
const FONT: &str = "sans-serif";
/// Where a TrueType font is looked for after `JET_TAGGING_FONT`.
const FONT_FILES: [&str; 4] = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/System/Library/Fonts/Supplemental/Arial.ttf",
];
/// Series colours (tab10 without its grey), `0xRRGGBB`.
const PALETTE: [u32; 9] = [0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728, 0x9467bd, 0x8c564b, 0xe377c2, 0xbcbd22, 0x17becf];
/// The homogeneous models' marks.
const GREY: RGBColor = RGBColor(110, 110, 110);
/// Bottom of the ROC plots' log axis.
const MIN_FPR: f64 = 1e-4;

/// A failure of plotters (its message becomes an [`Error::Plot`]).
type DrawError = Box<dyn std::error::Error>;
/// What a drawing function returns.
type Drawn = Result<(), DrawError>;
/// A whole plot.
type Area<DB> = DrawingArea<DB, Shift>;
/// A chart on it.
type Chart<'a, DB, X, Y> =
    ChartContext<'a, DB, Cartesian2d<<X as AsRangedCoord>::CoordDescType, <Y as AsRangedCoord>::CoordDescType>>;

/// Draws every plot of the report into `dir` (created if missing), each as PNG and SVG; returns the
/// files written (relative names like `accuracy_vs_bops.png`).
///
/// Each file is drawn under a temporary name and renamed into place, so no half-written plot
/// remains. Missing data (an empty sweep, no homogeneous runs, NaN values) never fail a plot:
/// NaN points are skipped and a plot with nothing to show says so on empty axes.
pub fn draw_all(results: &Results, dir: &Path) -> Result<Vec<PathBuf>> {
    register_font()?;
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let mut written = Vec::new();
    for plot in PLOTS {
        for ext in ["png", "svg"] {
            let name = PathBuf::from(format!("{plot}.{ext}"));
            let file = dir.join(&name);
            // The extension stays last: the bitmap backend picks the image format by it.
            let tmp = dir.join(format!(".{plot}.tmp.{ext}"));
            let drawn = match ext {
                "png" => render(BitMapBackend::new(&tmp, SIZE), plot, results),
                _ => render(SVGBackend::new(&tmp, SIZE), plot, results),
            };
            if let Err(message) = drawn {
                let _ = std::fs::remove_file(&tmp);
                return Err(Error::Plot { file, message });
            }
            std::fs::rename(&tmp, &file).map_err(io(&file))?;
            written.push(name);
        }
    }
    Ok(written)
}

/// Registers a TrueType font as `sans-serif` for plotters (once per process): the file named by
/// `JET_TAGGING_FONT`, else the first of [`FONT_FILES`] that reads and parses.
fn register_font() -> Result<()> {
    static REGISTERED: OnceLock<Result<(), String>> = OnceLock::new();
    let registered = REGISTERED.get_or_init(|| {
        let env = std::env::var_os("JET_TAGGING_FONT").map(PathBuf::from);
        let candidates: Vec<PathBuf> = env.into_iter().chain(FONT_FILES.iter().map(PathBuf::from)).collect();
        for path in &candidates {
            let Ok(bytes) = std::fs::read(path) else { continue };
            let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
            if plotters::style::register_font(FONT, FontStyle::Normal, bytes).is_ok() {
                return Ok(());
            }
        }
        let tried: Vec<String> = candidates.iter().map(|p| p.display().to_string()).collect();
        Err(format!(
            "no usable TrueType font found (tried {}); install `fonts-dejavu-core` (Debian) or set \
             JET_TAGGING_FONT to a .ttf file",
            tried.join(", ")
        ))
    });
    registered.clone().map_err(|message| Error::Plot { file: PathBuf::from("(font)"), message })
}

/// Draws the plot `name` (one of [`PLOTS`]) on `backend` and saves it; the backend is dropped
/// (and its file closed) before this returns.
fn render<DB: DrawingBackend<ErrorType: 'static>>(backend: DB, name: &str, r: &Results) -> Result<(), String> {
    let root = backend.into_drawing_area();
    let drawn = root.fill(&WHITE).map_err(DrawError::from).and_then(|()| match name {
        "accuracy_vs_bops" => accuracy_vs_bops(&root, r),
        "bits_per_layer" => bits_per_layer(&root, r),
        "homogeneous_accuracy" => homogeneous_accuracy(&root, r),
        "roc" => roc(&root, r),
        _ => hessian_traces(&root, r),
    });
    drawn.and_then(|()| Ok(root.present()?)).map_err(|e| e.to_string())
}

/// A chart with the report's caption, margins and label areas.
fn chart<'a, DB: DrawingBackend<ErrorType: 'static>, X: AsRangedCoord, Y: AsRangedCoord>(
    root: &'a Area<DB>,
    title: &str,
    x: X,
    y: Y,
) -> Result<Chart<'a, DB, X, Y>, DrawError> {
    Ok(ChartBuilder::on(root)
        .caption(title, (FONT, 26))
        .margin(20)
        .x_label_area_size(60)
        .y_label_area_size(90)
        .build_cartesian_2d(x, y)?)
}

/// The mesh of `chart` in the report's fonts, with axis descriptions `x` and `y`.
fn mesh<'a, 'b, DB, X, Y>(
    chart: &'b mut ChartContext<'a, DB, Cartesian2d<X, Y>>,
    x: &str,
    y: &str,
) -> MeshStyle<'a, 'b, X, Y, DB>
where
    DB: DrawingBackend,
    X: Ranged + ValueFormatter<X::ValueType>,
    Y: Ranged + ValueFormatter<Y::ValueType>,
{
    let mut mesh = chart.configure_mesh();
    mesh.x_desc(x).y_desc(y).label_style((FONT, 16)).axis_desc_style((FONT, 18));
    mesh
}

/// The legend of the labelled series.
fn legend<'a, DB: DrawingBackend<ErrorType: 'static> + 'a, CT: CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
    position: SeriesLabelPosition,
) -> Drawn {
    chart
        .configure_series_labels()
        .position(position)
        .label_font((FONT, 16))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()?;
    Ok(())
}

/// Empty axes with `title` and a centred `text`, for a plot without data.
fn note<DB: DrawingBackend<ErrorType: 'static>>(root: &Area<DB>, title: &str, text: &str) -> Drawn {
    let mut chart = chart(root, title, 0.0..1.0, 0.0..1.0)?;
    chart.configure_mesh().disable_mesh().label_style((FONT, 16)).draw()?;
    let style = TextStyle::from((FONT, 22)).pos(Pos::new(HPos::Center, VPos::Center));
    chart.draw_series(std::iter::once(Text::new(text.to_string(), (0.5, 0.5), style)))?;
    Ok(())
}

/// The range of the finite `values`, widened by `frac` of its width on each side (never empty).
fn span(values: impl IntoIterator<Item = f64>, frac: f64) -> Option<Range<f64>> {
    let (lo, hi) = values
        .into_iter()
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
    if lo > hi {
        return None;
    }
    let width = hi - lo;
    let pad = if width > 1e-9 * lo.abs().max(hi.abs()) {
        width * frac
    } else if lo != 0.0 {
        lo.abs() * 0.05
    } else {
        1.0
    };
    Some(lo - pad..hi + pad)
}

/// The range of the positive finite `values` for a log axis, with a margin (never empty).
fn log_span(values: impl IntoIterator<Item = f64>) -> Option<Range<f64>> {
    let positive = values.into_iter().filter(|v| v.is_finite() && *v > 0.0);
    let (lo, hi) = positive.fold((f64::INFINITY, 0.0_f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    (lo <= hi).then(|| lo / 3.0..hi * 3.0)
}

/// Series colour `i`.
fn colour(i: usize) -> RGBColor {
    let [_, r, g, b] = PALETTE[i % PALETTE.len()].to_be_bytes();
    RGBColor(r, g, b)
}

/// `names[i]` at integer positions `i` of a layer axis, nothing between.
fn index_label(v: f64, names: &[String]) -> String {
    let i = v.round();
    let name = (i >= 0.0 && (v - i).abs() < 1e-6).then(|| names.get(i as usize)).flatten();
    name.cloned().unwrap_or_default()
}

/// The integer widths of the homogeneous runs, ascending.
fn int_bits(r: &Results) -> Vec<u32> {
    let bits: BTreeSet<u32> = r
        .homogeneous
        .iter()
        .filter_map(|h| match h.precision {
            Precision::Int(b) => Some(b),
            Precision::Fp32 => None,
        })
        .collect();
    bits.into_iter().collect()
}

/// Plot 1: every sweep point coloured by its first layer's weight bits, and the homogeneous
/// baseline models.
fn accuracy_vs_bops<DB: DrawingBackend<ErrorType: 'static>>(root: &Area<DB>, r: &Results) -> Drawn {
    let title = "Accuracy vs BOPs (Hessian-aware mixed precision)";
    let mut groups: BTreeMap<Option<u32>, Vec<(f64, f64)>> = BTreeMap::new();
    for m in r.sweep.iter().map(|p| &p.model).filter(|m| m.bops.is_finite() && m.accuracy.is_finite()) {
        groups.entry(m.bits.first().map(|b| b.weight)).or_default().push((m.bops, m.accuracy));
    }
    let homogeneous: Vec<(u32, f64, f64)> = int_bits(r)
        .into_iter()
        .filter_map(|b| {
            let cell = |h: &&crate::results::HomogeneousRun| {
                h.precision == Precision::Int(b) && h.regulariser == Regulariser::Baseline
            };
            let bops: Vec<f64> = r.homogeneous.iter().filter(cell).map(|h| h.model.bops).collect();
            let (bops, acc) = (mean_std(&bops).0, mean_std(&r.cell(Precision::Int(b), Regulariser::Baseline)).0);
            (bops.is_finite() && acc.is_finite()).then_some((b, bops, acc))
        })
        .collect();
    let points: Vec<(f64, f64)> =
        groups.values().flatten().copied().chain(homogeneous.iter().map(|&(_, x, y)| (x, y))).collect();
    let (Some(xs), Some(ys)) = (span(points.iter().map(|p| p.0), 0.08), span(points.iter().map(|p| p.1), 0.15)) else {
        return note(root, title, "no sweep point or homogeneous model to show");
    };
    let digits = if xs.end - xs.start >= 2e4 { 0 } else { 2 };
    let mut chart = chart(root, title, xs, ys)?;
    mesh(&mut chart, "BOPs", "test accuracy (%)").x_label_formatter(&|v| format!("{:.*}k", digits, v / 1e3)).draw()?;
    for (i, (bits, pts)) in groups.iter().enumerate() {
        let c = colour(i);
        let label = bits.map_or_else(|| "first layer float".to_string(), |b| format!("first layer {b} bits"));
        chart
            .draw_series(pts.iter().map(|&p| Circle::new(p, 6, c.filled())))?
            .label(label)
            .legend(move |(x, y)| Circle::new((x + 10, y), 5, c.filled()));
    }
    if !homogeneous.is_empty() {
        let style = GREY.stroke_width(2);
        chart
            .draw_series(homogeneous.iter().map(|&(_, x, y)| Cross::new((x, y), 7, style)))?
            .label("homogeneous")
            .legend(move |(x, y)| Cross::new((x + 10, y), 5, style));
        let font = (FONT, 14).into_font().color(&GREY);
        chart.draw_series(
            homogeneous
                .iter()
                .map(|&(b, x, y)| EmptyElement::at((x, y)) + Text::new(format!("INT{b}"), (8, -18), font.clone())),
        )?;
    }
    legend(&mut chart, SeriesLabelPosition::LowerRight)
}

/// Plot 2: the weight bits per layer of each sweep budget.
fn bits_per_layer<DB: DrawingBackend<ErrorType: 'static>>(root: &Area<DB>, r: &Results) -> Drawn {
    let title = "Weight bits per layer chosen for each BOPs budget";
    let lines: Vec<(f64, Vec<u32>)> = r
        .sweep
        .iter()
        .filter(|p| !p.model.bits.is_empty())
        .map(|p| (p.budget_bops, p.model.bits.iter().map(|b| b.weight).collect()))
        .collect();
    let Some(top) = lines.iter().flat_map(|l| l.1.iter().copied()).max() else {
        return note(root, title, "no sweep point to show");
    };
    let n = lines.iter().map(|l| l.1.len()).max().unwrap_or(1);
    let names: Vec<String> = (0..n).map(|i| format!("layer{i}")).collect();
    let mut chart = chart(root, title, -0.5..n as f64 - 0.5, 0.0..f64::from(top) * 1.5 + 1.0)?;
    mesh(&mut chart, "layer", "weight bits")
        .disable_x_mesh()
        .x_labels(n + 1)
        .x_label_formatter(&|v| index_label(*v, &names))
        .y_label_formatter(&|v| format!("{v:.0}"))
        .draw()?;
    let m = lines.len();
    for (k, (budget, bits)) in lines.iter().enumerate() {
        // A small sideways shift per budget keeps equal choices apart.
        let dx = if m > 1 { (k as f64 / (m - 1) as f64 - 0.5) * 0.3 } else { 0.0 };
        let pts: Vec<(f64, f64)> = bits.iter().enumerate().map(|(i, &b)| (i as f64 + dx, f64::from(b))).collect();
        let c = colour(k);
        chart
            .draw_series(LineSeries::new(pts.clone(), c.stroke_width(2)))?
            .label(format!("{:.0}k BOPs", budget / 1e3))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(2)));
        chart.draw_series(pts.into_iter().map(|p| Circle::new(p, 4, c.filled())))?;
    }
    legend(&mut chart, SeriesLabelPosition::UpperRight)
}

/// Plot 3: mean accuracy ± std over seeds against bit width, one curve per regulariser, FP32 as a
/// dashed line.
fn homogeneous_accuracy<DB: DrawingBackend<ErrorType: 'static>>(root: &Area<DB>, r: &Results) -> Drawn {
    let title = "Homogeneous quantization: accuracy vs bit width";
    let bits = int_bits(r);
    let regularisers: BTreeSet<Regulariser> = r.homogeneous.iter().map(|h| h.regulariser).collect();
    let curves: Vec<(Regulariser, Vec<_>, Option<f64>)> = regularisers
        .into_iter()
        .map(|g| {
            let pts = bits.iter().filter_map(|&b| {
                let (mean, std) = mean_std(&r.cell(Precision::Int(b), g));
                mean.is_finite().then_some((f64::from(b), mean, if std.is_finite() { std } else { 0.0 }))
            });
            let fp32 = mean_std(&r.cell(Precision::Fp32, g)).0;
            (g, pts.collect(), fp32.is_finite().then_some(fp32))
        })
        .collect();
    let ys = span(curves.iter().flat_map(|c| c.1.iter().flat_map(|p| [p.1 - p.2, p.1 + p.2]).chain(c.2)), 0.1);
    let Some(ys) = ys else {
        return note(root, title, "no homogeneous model to show");
    };
    let xs = span(curves.iter().flat_map(|c| c.1.iter().map(|p| p.0)), 0.1).unwrap_or(2.0..16.0);
    let (x0, x1) = (xs.start, xs.end);
    let mut chart = chart(root, title, xs, ys)?;
    mesh(&mut chart, "bit width (weights, biases, activations, input)", "test accuracy (%), mean ± std over seeds")
        .x_label_formatter(&|v| if (v - v.round()).abs() < 1e-6 { format!("INT{}", v.round()) } else { String::new() })
        .draw()?;
    let m = curves.len();
    for (k, (g, pts, fp32)) in curves.iter().enumerate() {
        let c = colour(k);
        let dx = if m > 1 { (k as f64 / (m - 1) as f64 - 0.5) * 0.2 } else { 0.0 };
        let line: Vec<(f64, f64)> = pts.iter().map(|p| (p.0 + dx, p.1)).collect();
        chart
            .draw_series(LineSeries::new(line.clone(), c.stroke_width(2)))?
            .label(g.label())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(2)));
        chart.draw_series(line.iter().map(|&p| Circle::new(p, 4, c.filled())))?;
        let bars = pts.iter().filter(|p| p.2 > 0.0);
        chart.draw_series(
            bars.clone().map(|p| PathElement::new(vec![(p.0 + dx, p.1 - p.2), (p.0 + dx, p.1 + p.2)], c)),
        )?;
        let caps = bars.flat_map(|p| [p.1 - p.2, p.1 + p.2].map(|y| (p.0 + dx, y)));
        chart.draw_series(caps.map(|p| EmptyElement::at(p) + PathElement::new(vec![(-4, 0), (4, 0)], c)))?;
        if let Some(fp32) = *fp32 {
            chart
                .draw_series(DashedLineSeries::new(vec![(x0, fp32), (x1, fp32)], 10, 6, c.stroke_width(1)))?
                .label(format!("{} FP32", g.label()))
                .legend(move |(x, y)| {
                    EmptyElement::at((x, y))
                        + PathElement::new(vec![(0, 0), (7, 0)], c)
                        + PathElement::new(vec![(13, 0), (20, 0)], c)
                });
        }
    }
    legend(&mut chart, SeriesLabelPosition::LowerRight)
}

/// Plot 4: per-class ROC curves of the firmware's Hessian model (the base model when there is
/// none), background efficiency on a log axis.
fn roc<DB: DrawingBackend<ErrorType: 'static>>(root: &Area<DB>, r: &Results) -> Drawn {
    let hessian = r.firmware.iter().find(|f| f.role == "Hessian");
    let model = hessian.and_then(|f| r.sweep.iter().map(|p| &p.model).find(|m| m.name == f.model)).unwrap_or(&r.base);
    let title = format!("ROC curves: {}", model.name);
    let curves: Vec<Vec<(f64, f64)>> = model
        .roc
        .iter()
        .map(|c| {
            let on_axis = |&&(fpr, tpr): &&(f64, f64)| (MIN_FPR..=1.0).contains(&fpr) && (0.0..=1.0).contains(&tpr);
            c.iter().filter(on_axis).map(|&(fpr, tpr)| (tpr, fpr)).collect()
        })
        .collect();
    if curves.iter().all(Vec::is_empty) {
        return note(root, &title, "no ROC curve to show");
    }
    let mut chart = chart(root, &title, 0.0..1.0, (MIN_FPR..1.0).log_scale())?;
    mesh(&mut chart, "signal efficiency (true-positive rate)", "background efficiency (false-positive rate)")
        .y_label_formatter(&|v| format!("{v:.0e}"))
        .draw()?;
    for (k, pts) in curves.into_iter().enumerate().filter(|(_, pts)| !pts.is_empty()) {
        let c = colour(k);
        let class = jet_data::CLASSES.get(k).map_or_else(|| format!("class {k}"), |s| s.to_string());
        let auc = model.auc.get(k).copied().unwrap_or(f64::NAN);
        chart
            .draw_series(LineSeries::new(pts, c.stroke_width(2)))?
            .label(format!("{class}: AUC = {:.1}%", auc * 100.0))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(2)));
    }
    legend(&mut chart, SeriesLabelPosition::UpperLeft)
}

/// Plot 5: the average Hessian trace and the top eigenvalue of each layer (log axis; values that
/// are not positive are left out).
fn hessian_traces<DB: DrawingBackend<ErrorType: 'static>>(root: &Area<DB>, r: &Results) -> Drawn {
    let title = format!("Hessian of the base model per layer ({} jets)", r.hessian.jets);
    let layers = &r.hessian.layers;
    let positive = |v: Vec<f64>| -> Vec<(f64, f64)> {
        v.into_iter().enumerate().filter(|(_, y)| y.is_finite() && *y > 0.0).map(|(i, y)| (i as f64, y)).collect()
    };
    let average = positive(layers.iter().map(|l| l.average_trace).collect());
    let top = positive(layers.iter().map(|l| l.top_eigenvalue).collect());
    let Some(ys) = log_span(average.iter().chain(&top).map(|p| p.1)) else {
        return note(root, &title, "no positive Hessian figure to show");
    };
    let names: Vec<String> = layers.iter().map(|l| l.name.clone()).collect();
    let n = names.len();
    let mut chart = chart(root, &title, -0.5..n as f64 - 0.5, ys.log_scale())?;
    mesh(&mut chart, "layer", "Hessian figure (log scale)")
        .disable_x_mesh()
        .x_labels(n + 1)
        .x_label_formatter(&|v| index_label(*v, &names))
        .y_label_formatter(&|v| format!("{v:.0e}"))
        .draw()?;
    for (k, (label, pts)) in
        [("average trace (trace / weights)", average), ("top eigenvalue", top)].into_iter().enumerate()
    {
        let c = colour(k);
        // Filled circles for the trace, open ones for the eigenvalue.
        let style = if k == 0 { c.filled() } else { c.stroke_width(2) };
        chart
            .draw_series(LineSeries::new(pts.clone(), c.stroke_width(2)))?
            .label(label)
            .legend(move |(x, y)| Circle::new((x + 10, y), 5, style));
        chart.draw_series(pts.into_iter().map(|p| Circle::new(p, 6, style)))?;
    }
    legend(&mut chart, SeriesLabelPosition::UpperRight)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::config::StudyConfig;
    use crate::jets::DataInfo;
    use crate::results::{
        CsimCheck, FirmwareResult, HessianLayer, HessianResult, HomogeneousRun, LayerBits, ModelResult, RunInfo,
        SweepPoint,
    };

    fn model(name: &str, bits: &[u32], accuracy: f64, bops: f64) -> ModelResult {
        let roc = (0..5).map(|c| (0..=40).map(|i| f64::from(i) / 40.0).map(|t| (t.powi(3 + c), t)).collect()).collect();
        ModelResult {
            name: name.into(),
            input_bits: bits.first().map(|_| 16),
            bits: bits.iter().map(|&b| LayerBits { weight: b, activation: b }).collect(),
            accuracy,
            accuracy_training_graph: accuracy,
            auc: vec![0.9, 0.92, 0.95, 0.93, 0.91],
            roc,
            bops,
            weight_bits: 1000,
            sparsity: 0.1,
            max_accumulator_bits: bits.first().map(|_| 20),
            train_loss: vec![1.0, 0.8],
            onnx: format!("{name}.onnx"),
        }
    }

    fn results() -> Results {
        let mut homogeneous = Vec::new();
        for (precision, acc) in [(Precision::Int(4), 70.0), (Precision::Int(8), 75.0), (Precision::Fp32, 76.0)] {
            for regulariser in [Regulariser::Baseline, Regulariser::L1] {
                for seed in [1, 2] {
                    let bops = match precision {
                        Precision::Int(b) => 4e4 * f64::from(b * b),
                        Precision::Fp32 => 3e6,
                    };
                    let m = model(&precision.label(), &[4, 4, 4, 4], acc + seed as f64 * 0.3, bops);
                    homogeneous.push(HomogeneousRun { precision, regulariser, seed, model: m });
                }
            }
        }
        let sweep = [(250e3, [6, 4, 4, 6], 72.0), (300e3, [8, 6, 4, 6], 73.5), (350e3, [8, 8, 6, 6], f64::NAN)]
            .into_iter()
            .map(|(budget, bits, acc)| SweepPoint {
                budget_bops: budget,
                omega: 1.0,
                ilp_bops: budget,
                optimal: true,
                model: model(&format!("Hessian {}k BOPs", budget / 1e3), &bits, acc, budget * 0.98),
            })
            .collect();
        let layer = |i: usize, t: f64, e: f64| HessianLayer {
            name: format!("dense{i}"),
            params: 100,
            trace: t * 100.0,
            trace_std_err: 0.1,
            probes: 30,
            average_trace: t,
            top_eigenvalue: e,
            eigen_converged: true,
        };
        Results {
            data: DataInfo {
                source: "builtin".into(),
                format: "Npy".into(),
                builtin: true,
                train_jets: 100,
                test_jets: 50,
                test_per_class: vec![10; 5],
                fingerprint: "0".into(),
                scaler: jet_data::Standardiser { mean: vec![0.0; 16], sd: vec![1.0; 16] },
            },
            config: StudyConfig::quick(),
            versions: BTreeMap::new(),
            homogeneous,
            base: model("INT8 base", &[8, 8, 8, 8], 75.0, 6e5),
            hessian: HessianResult {
                jets: 2000,
                layers: vec![layer(0, 0.5, 3.0), layer(1, 0.05, -1.0), layer(2, 0.0, 0.2), layer(3, 1e-3, f64::NAN)],
                converged: true,
            },
            sweep,
            qonnx: vec![],
            qonnx_status: "not run".into(),
            firmware: vec![FirmwareResult {
                role: "Hessian".into(),
                model: "Hessian 300k BOPs".into(),
                accuracy: 73.5,
                latency_cycles: 10,
                latency_ns: 50.0,
                lut: 1,
                ff: 1,
                dsp: 0,
                sparsity: 0.1,
                bops: 294e3,
                emulator_equals_engine: Some((5, 5)),
                csim: CsimCheck { jets: 0, equal: 0, outputs: 0, status: "not run".into() },
                project: "hls".into(),
                rtl: None,
            }],
            run: RunInfo { steps: vec![], wall_s: 1.0, threads: 1, device: "cpu".into(), merged_from: vec![] },
        }
    }

    #[test]
    fn draws_ten_files_for_full_and_empty_results() {
        if let Err(e) = register_font() {
            // A machine without any known font: the error must say how to get one, and the test
            // says visibly that it could not draw (in CI, where setup installs a font, it fails).
            assert!(e.to_string().contains("fonts-dejavu-core"), "{e}");
            let _: Option<()> = test_support::skip(&e.to_string());
            return;
        }
        let full = results();
        let mut empty = results();
        empty.sweep.clear();
        empty.homogeneous.clear();
        empty.hessian.layers.clear();
        empty.firmware.clear();
        empty.base.roc.clear();
        for r in [full, empty] {
            let dir = tempfile::tempdir().unwrap();
            let out = dir.path().join("plots");
            let files = draw_all(&r, &out).unwrap();
            assert_eq!(files.len(), 10);
            assert_eq!(std::fs::read_dir(&out).unwrap().count(), 10, "no temporary file may remain");
            for f in &files {
                let bytes = std::fs::read(out.join(f)).unwrap();
                assert!(!bytes.is_empty(), "{f:?}");
                match f.extension().and_then(|e| e.to_str()) {
                    Some("png") => assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "{f:?}"),
                    Some("svg") => assert!(String::from_utf8_lossy(&bytes).contains("<svg"), "{f:?}"),
                    other => panic!("unexpected file {f:?} ({other:?})"),
                }
            }
        }
    }
}
