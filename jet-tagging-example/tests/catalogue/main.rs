//! The catalogue of bad input: every public entry point of the workspace that reads user input —
//! the library functions of `qonnx-ir`, `hawq-ilp`, `hawq-core`, `hls-backend`, `jet-data` and
//! this crate's study library, and every subcommand of the four binaries (`qonnx`, `hawq-ilp`,
//! `qonnx2hls`, `jet-tagging`) — fed each class of bad input that applies to it: a missing file,
//! a truncated or garbage file, wrong shapes, NaN or infinity, an unknown op, absurd sizes, an
//! unwritable output, bad numbers.
//!
//! Each entry names the entry point, the input class and the expected outcome: for a library, the
//! variant of the crate's error enum (matched with `matches!`) and what its one-line message must
//! name (the file, node, layer, line, …); for a binary, a non-zero exit with exactly one non-empty
//! line on stderr, prefixed by the program's name. No entry may panic, and no entry may leave
//! anything at the output path it was given. A table runs all its entries and then fails once,
//! listing every entry that broke its promise.
//!
//! The per-crate error tests (`qonnx-ir/tests/bad_input.rs`, `hawq-ilp/tests/errors.rs`,
//! `jet-data/tests/bad_data.rs`, `hawq-core/tests/errors_and_records.rs`, …) go deeper into one
//! crate (fuzzed bytes, every validation rule); this file is the one list of entry points.
//!
//! This crate hosts the catalogue because it depends on every library and owns the `jet-tagging`
//! binary; the other three binaries are built fresh by [`test_support::workspace_bins`].

mod cli;
mod hawq_core;
mod hawq_ilp;
mod hls_backend;
mod jet_data;
mod qonnx_ir;
mod study;

use std::fmt::{Debug, Display};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

/// The classes of bad input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// The file or folder does not exist.
    Missing,
    /// The file ends early.
    Truncated,
    /// The file holds something else entirely.
    Garbage,
    /// Shapes, widths or lengths that do not fit.
    WrongShape,
    /// NaN or infinity.
    NonFinite,
    /// An op (or format) the entry point does not know.
    Unknown,
    /// Sizes far beyond anything real.
    Absurd,
    /// An output path that cannot be written (under a file).
    Unwritable,
    /// A setting or number out of its range.
    BadValue,
}

type Check<E> = Box<dyn Fn(&E) -> bool>;

/// One entry of a library table: the entry point, the input class, and the outcome it must give.
pub struct Case<E> {
    entry: &'static str,
    class: Class,
    run: Box<dyn Fn() -> Result<(), E>>,
    /// The expected variant (as written) and its check; `None`: the call must succeed.
    variant: Option<(&'static str, Check<E>)>,
    names: Vec<String>,
    absent: Vec<PathBuf>,
}

/// A case whose `run` must fail; say how with [`Case::is`].
pub fn case<E>(entry: &'static str, class: Class, run: impl Fn() -> Result<(), E> + 'static) -> Case<E> {
    Case { entry, class, run: Box::new(run), variant: None, names: Vec::new(), absent: Vec::new() }
}

impl<E> Case<E> {
    /// The error must match `check` (written as `variant` in failures).
    pub fn is(mut self, variant: &'static str, check: impl Fn(&E) -> bool + 'static) -> Self {
        self.variant = Some((variant, Box::new(check)));
        self
    }

    /// The error's message must contain `what` (the file, node, layer, line, …).
    pub fn names(mut self, what: impl Display) -> Self {
        self.names.push(what.to_string());
        self
    }

    /// Nothing may exist at `path` afterwards (no partial output).
    pub fn leaves_no(mut self, path: impl Into<PathBuf>) -> Self {
        self.absent.push(path.into());
        self
    }
}

/// `case.is("Pattern", |e| matches!(e, Pattern))` in one go (a guard `Pattern if …` allowed).
#[macro_export]
macro_rules! is {
    ($case:expr, $p:pat if $guard:expr) => {
        $case.is(stringify!($p if $guard), |e| matches!(e, $p if $guard))
    };
    ($case:expr, $p:pat) => {
        $case.is(stringify!($p), |e| matches!(e, $p))
    };
}

/// The panic payload as text.
pub fn panic_text(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<String>().cloned().or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string())).unwrap_or_default()
}

/// Runs every case and returns one line per broken promise.
pub fn check<E: Display + Debug>(cases: &[Case<E>]) -> Vec<String> {
    let mut failures = Vec::new();
    for c in cases {
        let label = format!("{} [{:?}]", c.entry, c.class);
        let outcome = catch_unwind(AssertUnwindSafe(|| (c.run)()));
        match (outcome, &c.variant) {
            (Err(p), _) => failures.push(format!("{label}: panicked: {}", panic_text(p.as_ref()))),
            (Ok(Ok(())), None) => {}
            (Ok(Ok(())), Some((v, _))) => failures.push(format!("{label}: succeeded; expected {v}")),
            (Ok(Err(e)), None) => failures.push(format!("{label}: expected success, got: {e}")),
            (Ok(Err(e)), Some((v, is))) => {
                let msg = e.to_string();
                if !is(&e) {
                    failures.push(format!("{label}: expected {v}, got {e:?}"));
                }
                if msg.trim().is_empty() || msg.contains('\n') {
                    failures.push(format!("{label}: the message is not one line: {msg:?}"));
                }
                for n in c.names.iter().filter(|n| !msg.contains(n.as_str())) {
                    failures.push(format!("{label}: the message does not name `{n}`: {msg}"));
                }
            }
        }
        for p in c.absent.iter().filter(|p| p.exists()) {
            failures.push(format!("{label}: left {}", p.display()));
        }
    }
    failures
}

/// Runs the table `cases` of `what` and fails listing every broken entry.
pub fn run_table<E: Display + Debug>(what: &str, cases: Vec<Case<E>>) {
    assert!(!cases.is_empty(), "{what}: an empty table");
    let failures = check(&cases);
    assert!(
        failures.is_empty(),
        "{what}: {} of {} entries failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// A fresh folder for one table.
pub fn tmp(name: &str) -> PathBuf {
    test_support::tmpdir("catalogue", name)
}

/// `dir/name` holding `bytes`.
pub fn file(dir: &Path, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

/// A path that cannot be written: under a regular file.
pub fn under_a_file(dir: &Path, name: &str) -> PathBuf {
    file(dir, "a-file", "not a folder").join(name)
}

/// The QKeras jet tagger's ONNX bytes (a fixture of the repository).
pub fn qkeras_bytes() -> Vec<u8> {
    std::fs::read(test_support::testdata("models/qkeras_jettagging.onnx")).unwrap()
}

/// The catalogue's own checks fail when an entry breaks its promise: a success, another
/// variant, a message that does not name the file, a multi-line message, a panic, a leftover.
#[test]
fn the_checks_can_fail() {
    let dir = tmp("self-check");
    let left = file(&dir, "left.txt", "x");
    let cases: Vec<Case<std::io::Error>> = vec![
        is!(case("ok", Class::Missing, || Ok(())), _),
        case("other variant", Class::Missing, || Err(std::io::Error::other("x")))
            .is("NotFound", |e| e.kind() == std::io::ErrorKind::NotFound),
        is!(case("unnamed", Class::Missing, || Err(std::io::Error::other("no file"))), _).names("a.onnx"),
        is!(case("two lines", Class::Garbage, || Err(std::io::Error::other("a\nb"))), _),
        is!(case("panics", Class::Garbage, || panic!("boom")), _),
        is!(case("leaves", Class::Unwritable, || Err(std::io::Error::other("x"))), _).leaves_no(&left),
        case("must succeed", Class::NonFinite, || Err(std::io::Error::other("x"))),
    ];
    let failures = check(&cases);
    assert_eq!(failures.len(), cases.len(), "{failures:#?}");
}
