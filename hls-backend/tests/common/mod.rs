//! Helpers of the integration tests; fixture paths, the reference tools and the g++ C
//! simulation come from `test-support`.
#![allow(dead_code, unused_imports)]

use std::path::PathBuf;

pub use test_support::{ap_types, csim, grid_inputs, icarus, reference_python as python, root, testdata, yosys};

/// A fresh temporary directory.
pub fn tmpdir(name: &str) -> PathBuf {
    test_support::tmpdir("hls-backend-test", name)
}
