//! Visible skips: a line on stderr outside the test harness's capture, and a line in the skip
//! log; in CI a failure instead, except for what no script can install (the CPU's SIMD levels).

use std::io::Write;
use std::path::PathBuf;

/// Whether the tests run in CI (`CI=true`), where a missing tool is a failure.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// Reports that the current test cannot run because of `why` (which says what is missing and
/// how to install it) and returns `None` for the test to return early; in CI it panics instead.
pub fn skip<T>(why: &str) -> Option<T> {
    let test = current_test();
    if in_ci() {
        panic!("{test}: {why} — in CI every tool must be installed");
    }
    report(&format!("SKIPPED {test}: {why}"));
    None
}

/// Reports the SIMD levels whose kernels the current test could not run because this CPU lacks
/// their instructions (no script can install those): a `NOT RUN` line for each on stderr and in
/// the skip log, in CI too, where it is not a failure. The levels the CPU has ran; this says
/// which did not, so that a run on a CPU without AVX-512 never reads as a test of its kernels.
pub fn simd_levels_not_run() {
    let arch = std::env::consts::ARCH;
    for simd in qonnx_ir::Simd::ALL.into_iter().filter(|s| !s.supported()) {
        not_run(&format!("the {simd} kernels (this {arch} CPU lacks their instructions)"));
    }
}

/// Reports that the current test could not run what `what` names because this machine's CPU
/// lacks it (no script can install it): a `NOT RUN` line on stderr and in the skip log, in CI
/// too, where it is not a failure.
pub fn not_run(what: &str) {
    report(&format!("NOT RUN {}: {what}", current_test()));
}

/// The running test as `binary::test`: the test binary's name without cargo's hash, and the
/// test's name (the harness names each test's thread after it).
fn current_test() -> String {
    let test = std::thread::current().name().unwrap_or("<unnamed>").to_string();
    let exe = std::env::current_exe().ok().and_then(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()));
    match exe {
        Some(exe) => format!("{}::{test}", exe.rsplit_once('-').map_or(exe.as_str(), |(name, _)| name)),
        None => test,
    }
}

/// Writes `line` to the stderr handle itself, which the harness does not capture, and appends
/// it to the skip log.
fn report(line: &str) {
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
}
