//! What a bench leaves for the benchmark report: its tables, already formatted, with the peers it
//! measured and the conditions of the run. A full bench run (`cargo bench`, not the smoke runs of
//! `cargo test --benches`) saves one [`BenchResult`] as `<target>/bench-results/<bench>.json`;
//! the `bench-report` binary (`scripts/bench-report.sh`) gathers them into `docs/src/benchmarks.md`.

use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// One table of a bench's results.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Table {
    /// The table's heading.
    pub title: String,
    /// Markdown before the table: what was measured, on what, how many repetitions.
    pub text: String,
    /// Column headings.
    pub columns: Vec<String>,
    /// The rows, one cell per column, already formatted.
    pub rows: Vec<Vec<String>>,
}

/// Everything one bench run leaves for the report.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BenchResult {
    /// The bench's name (`qonnx_exec`, `hawq_core`, ...).
    pub bench: String,
    /// When the results were saved, in seconds since the Unix epoch.
    pub saved_unix_s: u64,
    /// The one-minute load average when they were saved (other work on the machine skews timings).
    pub load_average: Option<f64>,
    /// The peers and their versions, as measured (`onnxruntime 1.32.0`, ...).
    pub peers: Vec<String>,
    /// The tables, in order.
    pub tables: Vec<Table>,
    /// Remarks below the tables (peers not measured and why, targets met or missed).
    pub notes: Vec<String>,
}

impl BenchResult {
    /// An empty result for `bench`.
    pub fn new(bench: &str) -> Self {
        BenchResult {
            bench: bench.into(),
            saved_unix_s: 0,
            load_average: None,
            peers: Vec::new(),
            tables: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// Adds a table and returns it for its rows.
    pub fn table(&mut self, title: &str, text: &str, columns: &[&str]) -> &mut Table {
        self.tables.push(Table {
            title: title.into(),
            text: text.into(),
            columns: columns.iter().map(|c| c.to_string()).collect(),
            rows: Vec::new(),
        });
        self.tables.last_mut().expect("just pushed")
    }

    /// Records a peer and its version (once).
    pub fn peer(&mut self, peer: impl Into<String>) {
        let peer = peer.into();
        if !self.peers.contains(&peer) {
            self.peers.push(peer);
        }
    }

    /// Adds a remark below the tables.
    pub fn note(&mut self, note: impl Into<String>) {
        self.notes.push(note.into());
    }

    /// Saves the result for the report, after a full bench run only: the smoke runs of
    /// `cargo test --benches` measure nothing worth reporting and leave the last full result alone.
    /// Returns where it was written.
    pub fn save(mut self) -> Option<PathBuf> {
        if crate::smoke() {
            return None;
        }
        self.saved_unix_s = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        self.load_average = load_average();
        let dir = results_dir();
        let path = dir.join(format!("{}.json", self.bench));
        let text = serde_json::to_string_pretty(&self).expect("a bench result serialises");
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("creating {}: {e}", dir.display()));
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
        println!("bench results saved: {}", path.display());
        Some(path)
    }
}

impl Table {
    /// Appends a row.
    pub fn row<S: ToString>(&mut self, cells: &[S]) {
        self.rows.push(cells.iter().map(ToString::to_string).collect());
    }
}

/// Where full bench runs save their results: `bench-results/` in the target directory
/// (`CARGO_TARGET_DIR` when set, else the workspace's `target/`).
pub fn results_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| crate::workspace_root().join("target"))
        .join("bench-results")
}

/// The one-minute load average (Linux), if readable.
pub fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg").ok()?.split_whitespace().next()?.parse().ok()
}
