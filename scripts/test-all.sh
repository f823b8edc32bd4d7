#!/usr/bin/env bash
# Every test of the workspace, on a fresh machine: installs what the tests need (Debian's tcl and
# libhdf5-dev, the Python reference tools qonnx/onnx/onnxruntime/hls4ml and the fixture writers
# h5py/liac-arff in .venv-ref, the jet simulator's Pythia8 + FastJet in .venv-sim, da4ml in
# .venv-da4ml for the RTL bench's smoke run, mdbook in .venv-mdbook), then runs `cargo test` for
# all crates, builds and tests the book, checks that the fuzz targets and, for aarch64, the crates
# still compile, runs the integer engine's kernel tests for aarch64 in qemu, and prints each
# step's time. A test whose tool is missing skips with a visible
# line outside CI and fails in CI (CI=true); the skipped tests are listed at the end, with the
# SIMD levels whose kernels this CPU cannot run (a CPU feature no script installs: not a failure).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
# shellcheck source=scripts/lib.sh
. "$root/scripts/lib.sh"
step "system packages" bash scripts/setup-system.sh
step "reference tools (.venv-ref)" bash scripts/setup-python.sh
step "jet simulator (.venv-sim)" bash scripts/setup-simulator.sh
step "da4ml (.venv-da4ml)" bash scripts/setup-da4ml.sh
export QONNX_REF_PYTHON="$root/.venv-ref/bin/python"
export JETSIM_PYTHON="$root/.venv-sim/bin/python"
export TEST_SKIP_LOG="${CARGO_TARGET_DIR:-$root/target}/test-skips.log"
mkdir -p "$(dirname "$TEST_SKIP_LOG")"
: > "$TEST_SKIP_LOG"
# jet-data's HDF5 reader needs libhdf5: built and tested where it is (always in CI); elsewhere
# its test skips visibly.
features=()
if [ "${CI:-}" = true ] || pkg-config --exists hdf5 2>/dev/null; then
  features=(--features jet-data/hdf5)
fi
step "cargo test (all targets)" cargo test --workspace --all-targets ${features[@]+"${features[@]}"}
step "cargo test (doctests)" cargo test --workspace --doc ${features[@]+"${features[@]}"}
step "the book (mdbook build, mdbook test)" bash scripts/book.sh
# The fuzz targets (fuzz/: their own workspace and target folder) keep compiling: a check needs
# no nightly flags (only `cargo fuzz build` does); the HDF5 target where jet-data's HDF5 is built.
fuzz_features=()
if [ ${#features[@]} -gt 0 ]; then fuzz_features=(--features hdf5); fi
step "fuzz targets (cargo check)" cargo check --manifest-path fuzz/Cargo.toml --bins ${fuzz_features[@]+"${fuzz_features[@]}"}
# The kernels for CPUs other than x86-64 keep compiling for aarch64, and their tests pass there:
# the shared NEON dense kernel (qonnx-ir's simd::dense16) and the integer engine and HLS emulator
# on it (their portable level there; the engine's `sdot` level and its unit test too) give the
# reference paths' integers, qonnx-ir's fused chains (their portable kernels there) the separate
# ops' floats. Built for aarch64 and run in qemu's user-mode emulator (correctness only; timings
# under emulation mean nothing).
# The test builds compile the three libraries for aarch64, so a separate `cargo check` runs only
# where the tests cannot (it took 3 of the step's 12 minutes in a cold CI run). The two crates'
# integration tests build in one cargo call, so that their dependencies build once.
aarch64_check() {
  rustup target add aarch64-unknown-linux-gnu >/dev/null
  export CC_aarch64_unknown_linux_gnu=aarch64-linux-gnu-gcc
  if command -v qemu-aarch64 >/dev/null; then
    (
      export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc
      export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER="qemu-aarch64 -L /usr/aarch64-linux-gnu"
      cargo test --target aarch64-unknown-linux-gnu -p hawq-core -p hls-backend \
        --test integer_packed --test emulator_levels &&
        cargo test --target aarch64-unknown-linux-gnu -p hawq-core --lib -- integer:: &&
        cargo test --target aarch64-unknown-linux-gnu -p qonnx-ir --lib -- fused simd::dense16
    )
  else
    cargo check --target aarch64-unknown-linux-gnu -p qonnx-ir -p hawq-core -p hls-backend --lib
    if [ "${CI:-}" = true ]; then
      echo "error: qemu-aarch64 is missing (scripts/setup-system.sh installs qemu-user)" >&2
      return 1
    fi
    echo "SKIPPED aarch64 kernel tests: qemu-aarch64 missing (apt-get install qemu-user)" | tee -a "$TEST_SKIP_LOG"
  fi
}
step "aarch64 check and NEON tests (qemu)" aarch64_check
skipped=$(grep -c '^SKIPPED' "$TEST_SKIP_LOG" || true)
not_run=$(grep -c '^NOT RUN' "$TEST_SKIP_LOG" || true)
echo "== skipped tests: $skipped; kernels this CPU cannot run: $not_run"
if [ -s "$TEST_SKIP_LOG" ]; then cat "$TEST_SKIP_LOG"; fi
