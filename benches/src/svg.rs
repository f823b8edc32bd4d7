//! A small SVG line chart (no fonts or C libraries needed: the viewer renders the text), for the
//! benches' figures in the book.

use std::fmt::Write as _;

/// One line of a chart: its name, colour and points.
pub struct Series {
    /// Legend text.
    pub name: String,
    /// CSS colour.
    pub colour: &'static str,
    /// Dashed line.
    pub dashed: bool,
    /// (x, y) points, drawn in order.
    pub points: Vec<(f64, f64)>,
}

/// An SVG line chart of `series` with linear axes from 0 (y) and from the smallest x.
pub fn line_chart(title: &str, x_label: &str, y_label: &str, series: &[Series]) -> String {
    let (w, h, left, right, top, bottom) = (720.0, 440.0, 80.0, 200.0, 40.0, 60.0);
    let xs = series.iter().flat_map(|s| s.points.iter().map(|p| p.0));
    let (x0, x1) = xs.clone().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| (a.min(x), b.max(x)));
    let y1 = series.iter().flat_map(|s| s.points.iter().map(|p| p.1)).fold(0.0, f64::max);
    // Five ticks at a round step (1, 2 or 5 times a power of ten).
    let raw = if y1 > 0.0 { y1 / 5.0 } else { 0.2 };
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * mag).find(|&s| s >= raw).unwrap_or(10.0 * mag);
    let (x1, y1) = (if x1 > x0 { x1 } else { x0 + 1.0 }, 5.0 * step);
    let px = |x: f64| left + (x - x0) / (x1 - x0) * (w - left - right);
    let py = |y: f64| h - bottom - y / y1 * (h - top - bottom);
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="13">"#
    );
    let _ = writeln!(s, r#"<rect width="{w}" height="{h}" fill="white"/>"#);
    let _ = writeln!(
        s,
        r#"<text x="{}" y="24" text-anchor="middle" font-size="15">{title}</text>"#,
        (w - right + left) / 2.0
    );
    let (gx0, gx1, gy0, gy1) = (px(x0), px(x1), py(0.0), py(y1));
    let _ = writeln!(s, r#"<path d="M{gx0},{gy1} L{gx0},{gy0} L{gx1},{gy0}" stroke="black" fill="none"/>"#);
    for k in 0..=5 {
        let y = y1 * f64::from(k) / 5.0;
        let _ = writeln!(
            s,
            r##"<line x1="{gx0}" x2="{gx1}" y1="{0}" y2="{0}" stroke="#ddd"/><text x="{1}" y="{2}" text-anchor="end">{3:.0}</text>"##,
            py(y),
            gx0 - 6.0,
            py(y) + 4.0,
            y
        );
    }
    let mut ticks: Vec<f64> = xs.collect();
    ticks.sort_by(f64::total_cmp);
    ticks.dedup();
    for x in ticks {
        let _ = writeln!(s, r#"<text x="{}" y="{}" text-anchor="middle">{x}</text>"#, px(x), gy0 + 18.0);
    }
    let _ = writeln!(s, r#"<text x="{}" y="{}" text-anchor="middle">{x_label}</text>"#, (gx0 + gx1) / 2.0, h - 16.0);
    let _ = writeln!(
        s,
        r#"<text transform="translate(20,{}) rotate(-90)" text-anchor="middle">{y_label}</text>"#,
        (gy0 + gy1) / 2.0
    );
    for (k, ser) in series.iter().enumerate() {
        let d: Vec<String> = ser.points.iter().map(|&(x, y)| format!("{:.1},{:.1}", px(x), py(y))).collect();
        let dash = if ser.dashed { r#" stroke-dasharray="6,4""# } else { "" };
        let _ = writeln!(
            s,
            r#"<polyline points="{}" fill="none" stroke="{}" stroke-width="2"{dash}/>"#,
            d.join(" "),
            ser.colour
        );
        for &(x, y) in &ser.points {
            let _ = writeln!(s, r#"<circle cx="{:.1}" cy="{:.1}" r="3" fill="{}"/>"#, px(x), py(y), ser.colour);
        }
        let ly = top + 20.0 + 22.0 * k as f64;
        let _ = writeln!(
            s,
            r#"<line x1="{0}" x2="{1}" y1="{ly}" y2="{ly}" stroke="{2}" stroke-width="2"{dash}/><text x="{3}" y="{4}">{5}</text>"#,
            w - right + 15.0,
            w - right + 45.0,
            ser.colour,
            w - right + 52.0,
            ly + 4.0,
            ser.name
        );
    }
    s + "</svg>\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chart_has_every_point_and_legend() {
        let s = line_chart(
            "t",
            "x",
            "y",
            &[Series { name: "a".into(), colour: "red", dashed: false, points: vec![(2.0, 1.0), (6.0, 5.0)] }],
        );
        assert_eq!(s.matches("<circle").count(), 2);
        assert!(s.contains(">a</text>") && s.starts_with("<svg") && s.ends_with("</svg>\n"));
    }
}
