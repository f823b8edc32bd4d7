//! The C simulation of a generated project: its testbench compiled with `g++` against the Xilinx
//! `ap_types` headers and run on its `tb_data`, as Vitis HLS `csim_design` would, without the
//! vendor tools.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::error::{Error, Result};

/// The `ap_types` headers: `HLS_AP_TYPES` if set, else the copy inside an hls4ml wheel installed
/// in one of the virtual environments `venvs` (`<venv>/lib/python3*/site-packages/hls4ml/
/// templates/vivado/ap_types`). `None` when neither has `ap_fixed.h`.
pub fn find_ap_types(venvs: &[PathBuf]) -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("HLS_AP_TYPES") {
        let p = PathBuf::from(p);
        return p.join("ap_fixed.h").exists().then_some(p);
    }
    venvs.iter().find_map(|venv| {
        std::fs::read_dir(venv.join("lib")).ok().and_then(|rd| {
            rd.flatten()
                .map(|e| e.path().join("site-packages/hls4ml/templates/vivado/ap_types"))
                .find(|p| p.join("ap_fixed.h").exists())
        })
    })
}

/// An error of an external tool run on `path`: what failed and the first line it printed.
pub(crate) fn tool_error(path: &Path, what: &str, out: &std::process::Output) -> Error {
    let text = format!("{}{}", String::from_utf8_lossy(&out.stderr), String::from_utf8_lossy(&out.stdout));
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("no message");
    Error::Io { path: path.to_path_buf(), error: std::io::Error::other(format!("{what}: {first}")) }
}

/// Every whitespace-separated number a simulation wrote to `log`.
pub(crate) fn read_values<T: std::str::FromStr>(log: &Path) -> Result<Vec<T>>
where
    T::Err: std::fmt::Display,
{
    let text = std::fs::read_to_string(log).map_err(crate::error::io(log))?;
    text.split_whitespace()
        .enumerate()
        .map(|(k, v)| {
            v.parse::<T>().map_err(|e| Error::Io {
                path: log.to_path_buf(),
                error: std::io::Error::other(format!("value {k}: `{v}` is not a number ({e})")),
            })
        })
        .collect()
}

/// Compiles the testbench of the project in `project` (top function `name`, as written by
/// [`write_project`](crate::writer::write_project)) with `g++` at optimization level `opt`
/// (`"-O1"`, `"-O2"`, …) and the headers in `ap_types`; returns the executable, which reads
/// `tb_data/tb_input_features.dat` and writes `tb_data/csim_results.log` when run in `project`.
pub fn build_csim(project: &Path, name: &str, ap_types: &Path, opt: &str) -> Result<PathBuf> {
    let exe = project.join("csim");
    let out = Command::new("g++")
        // `-Wno-free-nonheap-object` changes no code: it skips a warning pass of GCC 12 that
        // takes most of the compile time on the weight tables' initializers (33 → 10 s here).
        .args(["-std=c++14", opt, "-w", "-Wno-free-nonheap-object"])
        .arg(format!("-I{}", ap_types.display()))
        .arg(format!("-I{}", project.join("firmware").display()))
        .arg(project.join(format!("{name}_test.cpp")))
        .arg(project.join(format!("firmware/{name}.cpp")))
        .arg("-o")
        .arg(&exe)
        .output()
        .map_err(crate::error::io(project))?;
    if !out.status.success() {
        return Err(tool_error(project, "g++ failed", &out));
    }
    Ok(exe)
}

/// Runs a C simulation built by [`build_csim`] in `project` and returns every output it wrote
/// to `tb_data/csim_results.log`, sample by sample.
pub fn run_built_csim(project: &Path, exe: &Path) -> Result<Vec<f64>> {
    // The program runs in `project`, where a relative path to it would no longer lead.
    let exe = std::path::absolute(exe).map_err(crate::error::io(exe))?;
    let run = Command::new(&exe).current_dir(project).output().map_err(crate::error::io(&exe))?;
    if !run.status.success() {
        return Err(tool_error(&exe, "the C simulation failed", &run));
    }
    read_values(&project.join("tb_data/csim_results.log"))
}

/// [`build_csim`] with `g++ -O1`, then [`run_built_csim`]. Errors name the project and quote the
/// first line of the compiler's or the program's message.
pub fn run_csim(project: &Path, name: &str, ap_types: &Path) -> Result<Vec<f64>> {
    let exe = build_csim(project, name, ap_types, "-O1")?;
    run_built_csim(project, &exe)
}
