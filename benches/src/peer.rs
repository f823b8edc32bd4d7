//! A peer that stays up between measurements, so that a bench can alternate its own runs with
//! the peer's: on a shared machine whose speed drifts from minute to minute, timings taken in
//! turn, round by round, see the same machine, where timings taken one after the other do not.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::Instant;

/// A Python script of `benches/py/` run with `--serve`: it prints one JSON object when it is
/// ready, then times a number of runs each time it is asked ([`Peer::time`]).
pub struct Peer {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    /// The JSON object the script printed when it was ready.
    pub header: serde_json::Value,
}

impl Peer {
    /// Starts `script` with `args` and `--serve`, and waits until it is ready.
    pub fn start(python: &Path, script: &str, args: &[&str]) -> Result<Peer, String> {
        Peer::start_with_env(python, script, args, &[])
    }

    /// [`Peer::start`] with `env` added to the script's environment.
    pub fn start_with_env(
        python: &Path,
        script: &str,
        args: &[&str],
        env: &[(String, String)],
    ) -> Result<Peer, String> {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("py").join(script);
        let mut child = Command::new(python)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .arg(&path)
            .args(args)
            .arg("--serve")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("running {script}: {e}"))?;
        let (stdin, stdout) = match (child.stdin.take(), child.stdout.take()) {
            (Some(i), Some(o)) => (i, BufReader::new(o)),
            _ => return Err(format!("{script}: no pipes to the process")),
        };
        let mut peer = Peer { child, stdin, stdout, header: serde_json::Value::Null };
        peer.header = peer.read_json(script)?;
        Ok(peer)
    }

    /// The next JSON line the script prints.
    fn read_json(&mut self, what: &str) -> Result<serde_json::Value, String> {
        let mut line = String::new();
        loop {
            line.clear();
            if self.stdout.read_line(&mut line).map_err(|e| format!("{what}: {e}"))? == 0 {
                return Err(format!("{what} ended early (its error is printed above)"));
            }
            if line.trim_start().starts_with('{') {
                return serde_json::from_str(&line).map_err(|e| format!("{what} printed bad JSON ({e}): {line}"));
            }
        }
    }

    /// Has the peer time `n` more runs; their seconds.
    pub fn time(&mut self, n: usize) -> Result<Vec<f64>, String> {
        writeln!(self.stdin, "{n}").and_then(|()| self.stdin.flush()).map_err(|e| format!("peer: {e}"))?;
        let v = self.read_json("peer")?;
        let times = v["times"].as_array().ok_or_else(|| format!("peer printed no times: {v}"))?;
        times.iter().map(|t| t.as_f64().ok_or_else(|| format!("peer printed a bad time: {t}"))).collect()
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        // Closing its input ends the script; kill it if it does not stop on its own.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Per-run seconds of several timed things, one list each.
pub type Timings = Vec<Vec<f64>>;

/// Per-run seconds of each peer and each of `ours`, taken in turn: `rounds` rounds, each
/// `peers[k].0` runs of peer `k` for each `k`, then `ours[k].0` runs of `ours[k].1` for each
/// `k`. Returns the peers' times and ours, in the order given.
pub fn interleave(
    peers: &mut [(usize, &mut Peer)],
    rounds: usize,
    ours: &mut [(usize, &mut dyn FnMut())],
) -> Result<(Timings, Timings), String> {
    let mut theirs = vec![Vec::new(); peers.len()];
    let mut mine = vec![Vec::new(); ours.len()];
    for _ in 0..rounds {
        for ((runs, peer), times) in peers.iter_mut().zip(&mut theirs) {
            times.extend(peer.time(*runs)?);
        }
        for ((runs, f), times) in ours.iter_mut().zip(&mut mine) {
            for _ in 0..*runs {
                let t = Instant::now();
                f();
                times.push(t.elapsed().as_secs_f64());
            }
        }
    }
    Ok((theirs, mine))
}
