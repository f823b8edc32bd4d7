//! Open-source synthesis of a written design: Yosys `synth_xilinx` for the UltraScale+ family,
//! with the cells it maps to (LUTs by size, flip-flops, carry chains, DSP slices, wide muxes) and
//! the longest combinational path. These are Yosys's counts, not Vivado's: Vivado packs and
//! optimizes differently, so compare designs on the same flow.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The Yosys target: `synth_xilinx -family xcup` (UltraScale+; the paper's part, xcu250, is one).
pub const FAMILY: &str = "xcup";

/// The Yosys script [`synthesize`] runs on the Verilog `files` with top module `top` (also
/// written beside a design as `synth.ys`).
pub fn script(top: &str, files: &[String]) -> String {
    format!(
        "# Yosys: open-source synthesis for UltraScale+ ({FAMILY}); cell counts, then the longest path.\n\
         read_verilog {}\n\
         synth_xilinx -family {FAMILY} -top {top} -flatten\n\
         tee -o synth_stat.txt stat\n\
         tee -o synth_ltp.txt ltp -noff\n",
        files.join(" ")
    )
}

/// What Yosys mapped a design to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SynthReport {
    /// The flow, e.g. `Yosys 0.23 synth_xilinx -family xcup -flatten`.
    pub flow: String,
    /// LUTs of every size.
    pub lut: u64,
    /// LUTs by input count (`LUT1` … `LUT6`).
    pub lut_by_size: BTreeMap<String, u64>,
    /// Flip-flops (`FD*`).
    pub ff: u64,
    /// Carry-chain cells (`CARRY4`/`CARRY8`).
    pub carry: u64,
    /// DSP slices (`DSP48E2`).
    pub dsp: u64,
    /// Wide multiplexers (`MUXF7`/`MUXF8`/`MUXF9`).
    pub muxf: u64,
    /// Every cell type and its count.
    pub cells: BTreeMap<String, u64>,
    /// The longest topological path through combinational cells (Yosys `ltp -noff`), in nodes.
    pub longest_path: u64,
    /// Wall time of the synthesis, in seconds.
    pub seconds: f64,
}

/// `yosys` on the `PATH` (or `YOSYS`), and its version line.
pub fn find_yosys() -> Option<(PathBuf, String)> {
    let exe = std::env::var_os("YOSYS").map_or_else(|| PathBuf::from("yosys"), PathBuf::from);
    let out = Command::new(&exe).arg("-V").output().ok().filter(|o| o.status.success())?;
    Some((exe, String::from_utf8_lossy(&out.stdout).trim().to_string()))
}

/// Parses Yosys's `stat` text: the cell lines below `Number of cells`.
pub fn parse_stat(text: &str) -> BTreeMap<String, u64> {
    let mut cells = BTreeMap::new();
    let mut inside = false;
    for line in text.lines() {
        let t = line.trim();
        if t.starts_with("Number of cells") {
            inside = true;
            continue;
        }
        if !inside {
            continue;
        }
        let mut parts = t.split_whitespace();
        match (parts.next(), parts.next(), parts.next()) {
            (Some(name), Some(n), None) => match n.parse::<u64>() {
                Ok(n) => {
                    *cells.entry(name.to_string()).or_default() += n;
                }
                Err(_) => inside = false,
            },
            _ => inside = false,
        }
    }
    cells
}

impl SynthReport {
    /// Sums the cell classes of a `stat` cell table.
    pub fn from_cells(cells: BTreeMap<String, u64>, flow: String, longest_path: u64, seconds: f64) -> SynthReport {
        let sum = |f: &dyn Fn(&str) -> bool| cells.iter().filter(|(k, _)| f(k)).map(|(_, v)| v).sum::<u64>();
        let lut_by_size = cells.iter().filter(|(k, _)| k.starts_with("LUT")).map(|(k, v)| (k.clone(), *v)).collect();
        SynthReport {
            flow,
            lut: sum(&|k| k.starts_with("LUT")),
            lut_by_size,
            ff: sum(&|k| k.starts_with("FD")),
            carry: sum(&|k| k.starts_with("CARRY")),
            dsp: sum(&|k| k.starts_with("DSP")),
            muxf: sum(&|k| k.starts_with("MUXF")),
            cells,
            longest_path,
            seconds,
        }
    }

    /// A one-line summary.
    pub fn line(&self) -> String {
        format!(
            "{} LUT, {} FF, {} CARRY, {} DSP, {} MUXF, longest path {} ({}; {:.1} s)",
            self.lut, self.ff, self.carry, self.dsp, self.muxf, self.longest_path, self.flow, self.seconds
        )
    }
}

/// Synthesizes the design in `dir` (top module `top`, written by
/// [`write_rtl`](super::write_rtl)) with Yosys and reads back the counts (also written as
/// `synth_report.json`).
pub fn run_yosys(dir: &Path, top: &str) -> Result<SynthReport> {
    synthesize(dir, top, &[format!("{top}.v")])
}

/// Synthesizes the Verilog `files` (relative to `dir`) with top module `top` by the same Yosys
/// script as [`run_yosys`]: the way to put another tool's Verilog through the same flow.
pub fn synthesize(dir: &Path, top: &str, files: &[String]) -> Result<SynthReport> {
    let (yosys, version) = find_yosys().ok_or_else(|| Error::Io {
        path: dir.to_path_buf(),
        error: std::io::Error::other("yosys not found (install Debian's yosys, or set YOSYS)"),
    })?;
    let script_path = dir.join("synth.ys");
    std::fs::write(&script_path, script(top, files)).map_err(crate::error::io(&script_path))?;
    let t0 = Instant::now();
    let out =
        Command::new(&yosys).current_dir(dir).args(["-q", "-s", "synth.ys"]).output().map_err(crate::error::io(dir))?;
    let seconds = t0.elapsed().as_secs_f64();
    if !out.status.success() {
        let text = format!("{}{}", String::from_utf8_lossy(&out.stderr), String::from_utf8_lossy(&out.stdout));
        let first = text.lines().find(|l| l.contains("ERROR")).or_else(|| text.lines().next()).unwrap_or("no message");
        return Err(Error::Io {
            path: dir.to_path_buf(),
            error: std::io::Error::other(format!("yosys failed: {first}")),
        });
    }
    let stat_path = dir.join("synth_stat.txt");
    let stat = std::fs::read_to_string(&stat_path).map_err(crate::error::io(&stat_path))?;
    let ltp_path = dir.join("synth_ltp.txt");
    let ltp = std::fs::read_to_string(&ltp_path).map_err(crate::error::io(&ltp_path))?;
    let longest_path = ltp
        .lines()
        .find_map(|l| l.split("(length=").nth(1).and_then(|r| r.split(')').next()).and_then(|n| n.parse().ok()))
        .unwrap_or(0);
    let cells = parse_stat(&stat);
    if cells.is_empty() {
        return Err(Error::Io {
            path: stat_path,
            error: std::io::Error::other("no cell counts in Yosys's statistics"),
        });
    }
    let flow = format!("{} synth_xilinx -family {FAMILY} -flatten", version.split(" (").next().unwrap_or(&version));
    let report = SynthReport::from_cells(cells, flow, longest_path, seconds);
    let json = dir.join("synth_report.json");
    let text = serde_json::to_string_pretty(&report).map_err(|e| Error::Io { path: json.clone(), error: e.into() })?;
    std::fs::write(&json, text + "\n").map_err(crate::error::io(&json))?;
    Ok(report)
}
