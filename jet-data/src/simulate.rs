//! Driver of the project's jet simulator: the pinned Python package `jetsim` under
//! `jet-data/simulator/` (Pythia8 + FastJet; `scripts/setup-simulator.sh` installs it in
//! `.venv-sim`). The simulator prints one JSON line per finished chunk of jets on stdout
//! (`{"event":"progress","done":…,"total":…}`); the driver turns them into progress callbacks.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::{Error, Result};

/// What to simulate.
#[derive(Debug, Clone)]
pub struct SimulateOptions {
    /// Jets per class (g, q, t, W, Z).
    pub per_class: usize,
    /// The output folder (written whole at the end: no half-written output on failure).
    pub out: PathBuf,
    /// The master seed; each chunk of jets derives its own Pythia seed from it, so the output
    /// does not depend on the number of workers.
    pub seed: u64,
    /// Worker processes.
    pub workers: usize,
    /// `Some((i, n))`: only the chunks of shard `i` of `n`, to be combined by [`merge`].
    pub shard: Option<(usize, usize)>,
    /// The Python interpreter of the simulator's environment.
    pub python: PathBuf,
}

impl SimulateOptions {
    /// `per_class` jets a class into `out`, seed 1, one worker, no shard, [`default_python`].
    pub fn new(per_class: usize, out: impl Into<PathBuf>) -> Self {
        Self { per_class, out: out.into(), seed: 1, workers: 1, shard: None, python: default_python() }
    }
}

/// The folder of the `jetsim` Python package.
pub fn simulator_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("simulator")
}

/// `JETSIM_PYTHON` if set, else the workspace's `.venv-sim/bin/python`.
pub fn default_python() -> PathBuf {
    std::env::var_os("JETSIM_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.venv-sim/bin/python"))
}

/// Runs the simulator; `progress(done, total)` is called after each finished chunk of jets.
pub fn simulate(opts: &SimulateOptions, progress: &mut dyn FnMut(u64, u64)) -> Result<()> {
    if opts.per_class == 0 {
        return Err(Error::Simulator("--per-class must be at least 1".into()));
    }
    if opts.workers == 0 {
        return Err(Error::Simulator("--workers must be at least 1".into()));
    }
    let mut args: Vec<String> = vec![
        "generate".into(),
        "--per-class".into(),
        opts.per_class.to_string(),
        "--out".into(),
        opts.out.display().to_string(),
        "--seed".into(),
        opts.seed.to_string(),
        "--workers".into(),
        opts.workers.to_string(),
    ];
    if let Some((i, n)) = opts.shard {
        if n == 0 || i >= n {
            return Err(Error::Simulator(format!("shard {i}/{n}: need 0 ≤ i < n")));
        }
        args.extend(["--shard".into(), format!("{i}/{n}")]);
    }
    run(&opts.python, &args, progress)
}

/// Combines shard folders made with the same seed and size into `out`: the same bytes as one
/// unsharded run.
pub fn merge(python: &Path, out: &Path, shards: &[PathBuf]) -> Result<()> {
    if shards.is_empty() {
        return Err(Error::Simulator("merge needs at least one shard folder".into()));
    }
    let mut args = vec!["merge".to_string(), "--out".into(), out.display().to_string()];
    args.extend(shards.iter().map(|s| s.display().to_string()));
    run(python, &args, &mut |_, _| {})
}

/// Runs `python -m jetsim <args>` and follows its progress lines.
fn run(python: &Path, args: &[String], progress: &mut dyn FnMut(u64, u64)) -> Result<()> {
    if !python.exists() {
        return Err(Error::Simulator(format!(
            "no Python at {} (run scripts/setup-simulator.sh, or set JETSIM_PYTHON)",
            python.display()
        )));
    }
    let mut child = Command::new(python)
        .arg("-m")
        .arg("jetsim")
        .args(args)
        .env("PYTHONPATH", simulator_dir())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| Error::Simulator(format!("starting {}: {e}", python.display())))?;
    let mut stderr = child.stderr.take().expect("stderr is piped");
    let errors = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let stdout = child.stdout.take().expect("stdout is piped");
    for line in BufReader::new(stdout).lines().map_while(|l| l.ok()) {
        if let Some((done, total)) = parse_progress(&line) {
            progress(done, total);
        }
    }
    let status = child.wait().map_err(|e| Error::Simulator(format!("waiting for the simulator: {e}")))?;
    let errors = errors.join().unwrap_or_default();
    if !status.success() {
        let last = errors.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("no message");
        return Err(Error::Simulator(format!("jetsim {} failed ({status}): {last}", args[0])));
    }
    Ok(())
}

/// `(done, total)` from a `{"event":"progress",…}` line.
fn parse_progress(line: &str) -> Option<(u64, u64)> {
    let v: serde_json::Value = serde_json::from_str(line).ok()?;
    (v["event"] == "progress").then(|| Some((v["done"].as_u64()?, v["total"].as_u64()?)))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_lines_parse() {
        assert_eq!(parse_progress(r#"{"event":"progress","done":3,"total":10}"#), Some((3, 10)));
        assert_eq!(parse_progress(r#"{"event":"done","jets":10}"#), None);
        assert_eq!(parse_progress("Pythia banner"), None);
    }

    #[test]
    fn bad_options_are_errors() {
        let mut o = SimulateOptions::new(0, "/nonexistent");
        assert!(simulate(&o, &mut |_, _| {}).is_err());
        o.per_class = 1;
        o.shard = Some((2, 2));
        assert!(matches!(simulate(&o, &mut |_, _| {}), Err(Error::Simulator(m)) if m.contains("shard")));
        o.shard = None;
        o.python = "/nonexistent/python".into();
        assert!(matches!(simulate(&o, &mut |_, _| {}), Err(Error::Simulator(m)) if m.contains("setup-simulator")));
    }
}
