//! `jet-tagging-example` will own the jet data (synthetic generator and real-data loaders) and
//! the `jet-tagging` binary that composes the workspace's libraries.
//!
//! Not built yet: this crate is a placeholder in the workspace (see the issue tracker).
