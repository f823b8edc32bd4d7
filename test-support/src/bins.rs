//! The binaries of other workspace packages, built fresh for a test.
//!
//! Cargo gives a test `CARGO_BIN_EXE_<name>` only for the binaries of its own package. A test that
//! runs the binary of another package gets it from [`workspace_bins`], which runs
//! `cargo build -p <package> --bin <bin> …` (all requested binaries in one invocation) with the
//! `cargo` that runs the tests (`CARGO`) and the profile the test itself was built in. That build
//! is a no-op when the binaries are up to date and rebuilds them otherwise, so a test never runs a
//! stale binary. Cargo releases its lock on the target folder before it runs the test binaries, so
//! the nested build does not deadlock under `cargo test` (checked: it waits only while another
//! cargo holds the lock).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

/// Binaries already built by this test process, by (package, binary).
static BUILT: Mutex<Option<HashMap<(String, String), PathBuf>>> = Mutex::new(None);

/// The cargo profile the running test was built in, from its path
/// (`<target>/<profile folder>/deps/<test>`): `debug` is `dev`, others are named as their folder.
fn profile() -> String {
    let exe = std::env::current_exe().unwrap_or_default();
    let folder = exe
        .parent()
        .filter(|d| d.file_name().is_some_and(|n| n == "deps"))
        .and_then(Path::parent)
        .and_then(Path::file_name)
        .map(|n| n.to_string_lossy().into_owned());
    match folder.as_deref() {
        None | Some("debug") => "dev".into(),
        Some(other) => other.into(),
    }
}

/// Builds the binaries `wanted` (package, binary) of the workspace in the running test's profile
/// and returns their paths, in the order asked. Each is built at most once per test process; the
/// build is one `cargo build` for all of them, with `--message-format=json` giving each path.
///
/// # Panics
/// When cargo cannot be run or the build fails (the test fails with cargo's messages).
pub fn workspace_bins(wanted: &[(&str, &str)]) -> Vec<PathBuf> {
    let mut built = BUILT.lock().unwrap_or_else(|e| e.into_inner());
    let built = built.get_or_insert_with(HashMap::new);
    let key = |p: &str, b: &str| (p.to_string(), b.to_string());
    let missing: Vec<&(&str, &str)> = wanted.iter().filter(|(p, b)| !built.contains_key(&key(p, b))).collect();
    if !missing.is_empty() {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut cmd = Command::new(&cargo);
        cmd.current_dir(crate::root()).args(["build", "--message-format=json-render-diagnostics", "--profile"]);
        cmd.arg(profile());
        for (package, bin) in &missing {
            cmd.args(["-p", package, "--bin", bin]);
        }
        let out = cmd.output().unwrap_or_else(|e| panic!("running {}: {e}", Path::new(&cargo).display()));
        assert!(out.status.success(), "cargo build of {missing:?} failed:\n{}", String::from_utf8_lossy(&out.stderr));
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            let Ok(msg) = serde_json::from_str::<serde_json::Value>(line) else { continue };
            let (Some(exe), Some(name)) = (msg["executable"].as_str(), msg["target"]["name"].as_str()) else {
                continue;
            };
            let package = msg["package_id"].as_str().unwrap_or("");
            for (p, b) in &missing {
                // The package id is `path+file:///…/<package folder>#<package name>@<version>` or
                // `…/<package>#<version>`: match the binary's name and the package's name in it.
                if *b == name && (package.contains(&format!("#{p}@")) || package.contains(&format!("/{p}#"))) {
                    built.insert(key(p, b), PathBuf::from(exe));
                }
            }
        }
    }
    wanted
        .iter()
        .map(|(p, b)| built.get(&key(p, b)).cloned().unwrap_or_else(|| panic!("cargo built no binary `{b}` of `{p}`")))
        .collect()
}
