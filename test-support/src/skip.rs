//! Visible skips: a line on stderr outside the test harness's capture, and a line in the skip
//! log; in CI a failure instead.

use std::io::Write;
use std::path::PathBuf;

/// Whether the tests run in CI (`CI=true`), where a missing tool is a failure.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// Reports that the current test cannot run because of `why` (which says what is missing and
/// how to install it) and returns `None` for the test to return early; in CI it panics instead.
pub fn skip<T>(why: &str) -> Option<T> {
    let test = std::thread::current().name().unwrap_or("<unnamed>").to_string();
    if in_ci() {
        panic!("{test}: {why} — in CI every tool must be installed");
    }
    let line = format!("SKIPPED {test}: {why}");
    // Written to the stderr handle itself, which the harness does not capture.
    let _ = writeln!(std::io::stderr(), "{line}");
    let log = std::env::var_os("TEST_SKIP_LOG")
        .map(PathBuf::from)
        .unwrap_or_else(|| crate::root().join("target/test-skips.log"));
    if let Some(dir) = log.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    if let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(&log) {
        let _ = writeln!(f, "{line}");
    }
    None
}
