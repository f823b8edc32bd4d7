//! What the project's four command-line tools (`qonnx`, `hawq-ilp`, `qonnx2hls`,
//! `jet-tagging`) share, so that they fail alike: a usage error is one line on stderr with exit
//! status 2, a failure is one `tool: error: …` line with exit status 1, and `--help` and
//! `--version` print as usual. Only the binaries depend on this crate (each library's `cli`
//! feature); library users never see clap or anyhow.
//!
//! ```
//! use clap::Parser;
//!
//! /// A tool that takes one path.
//! #[derive(Parser)]
//! struct Cli {
//!     /// The input.
//!     input: String,
//! }
//!
//! // A missing argument is a usage error, which `parse` would print as one line and exit 2.
//! let err = Cli::try_parse_from(["tool"]).map(|_| ()).unwrap_err();
//! assert_eq!(
//!     cli_support::usage_line("tool", &err),
//!     "tool: error: the following required arguments were not provided: <INPUT>"
//! );
//! let failure = anyhow::anyhow!("no such file").context("reading model.onnx");
//! assert_eq!(cli_support::error_line("tool", &failure), "tool: error: reading model.onnx: no such file");
//! ```

use std::process::ExitCode;

use clap::Parser;

/// Parses the command line of `tool`; on a usage error prints [`usage_line`] to stderr and exits
/// with status 2 (`--help` and `--version` print their text and exit 0 as clap does).
pub fn parse<C: Parser>(tool: &str) -> C {
    C::try_parse().unwrap_or_else(|e| {
        if !e.use_stderr() {
            e.exit();
        }
        eprintln!("{}", usage_line(tool, &e));
        std::process::exit(2)
    })
}

/// A clap usage error as one line, prefixed by the tool's name: clap's message without its
/// "Usage:" and "For more information" lines, the rest joined by spaces.
pub fn usage_line(tool: &str, e: &clap::Error) -> String {
    let text = e.to_string();
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("Usage:") && !l.starts_with("For more information"))
        .collect();
    format!("{tool}: {}", lines.join(" "))
}

/// A failure as one line: `tool: error: ` and the error with its causes, newlines in any of them
/// replaced by spaces.
pub fn error_line(tool: &str, e: &anyhow::Error) -> String {
    format!("{tool}: error: {}", format!("{e:#}").replace('\n', " "))
}

/// The exit status of a run of `tool`: success, or [`error_line`] on stderr and failure (1).
pub fn finish(tool: &str, result: anyhow::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{}", error_line(tool, &e));
            ExitCode::FAILURE
        }
    }
}
