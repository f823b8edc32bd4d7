//! Runs a written design's testbench in Icarus Verilog (`iverilog` + `vvp`), as the RTL check
//! that needs no vendor tool.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::csim::{read_values, tool_error};
use crate::error::{Error, Result};

/// `iverilog` on the `PATH` (or in `ICARUS_BIN`), if there is one.
pub fn find_icarus() -> Option<PathBuf> {
    let dir = std::env::var_os("ICARUS_BIN").map(PathBuf::from);
    let exe = dir.map_or_else(|| PathBuf::from("iverilog"), |d| d.join("iverilog"));
    Command::new(&exe).arg("-V").output().ok().filter(|o| o.status.success()).map(|_| exe)
}

/// Compiles the design in `dir` (top module `top`, as written by
/// [`write_rtl`](super::write_rtl)) with its testbench, runs it, and returns every raw output
/// the testbench printed, sample by sample. Errors name the folder and quote the tool.
pub fn run_icarus(dir: &Path, top: &str) -> Result<Vec<i64>> {
    let iverilog = find_icarus().ok_or_else(|| Error::Io {
        path: dir.to_path_buf(),
        error: std::io::Error::other("iverilog not found (install Debian's iverilog, or set ICARUS_BIN)"),
    })?;
    let vvp = iverilog.with_file_name("vvp");
    let vvp = if vvp.exists() { vvp } else { PathBuf::from("vvp") };
    let out = Command::new(&iverilog)
        .current_dir(dir)
        .args(["-g2005", "-o", "sim.vvp", "-s"])
        .arg(format!("tb_{top}"))
        .arg(format!("tb_{top}.v"))
        .arg(format!("{top}.v"))
        .output()
        .map_err(crate::error::io(dir))?;
    if !out.status.success() {
        return Err(tool_error(dir, "iverilog failed", &out));
    }
    let run = Command::new(&vvp).current_dir(dir).args(["-n", "sim.vvp"]).output().map_err(crate::error::io(dir))?;
    if !run.status.success() {
        return Err(tool_error(dir, "the simulation failed", &run));
    }
    read_values(&dir.join("tb_output.txt"))
}
