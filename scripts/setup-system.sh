#!/usr/bin/env bash
# Debian packages the tests need beyond the Rust toolchain, python3 and g++: tclsh (the HLS
# project's build_prj.tcl is checked with a stub of the Vivado commands) and libhdf5-dev with
# pkg-config (jet-data's HDF5 reader, feature `hdf5`), and a TrueType font (fonts-dejavu-core) for
# the study's plots, Icarus Verilog (iverilog) and Yosys for the RTL writer's simulation and
# open-source synthesis, and the aarch64 C cross compiler and C library with qemu's user-mode
# emulator for the aarch64 check and tests. Installs only what is
# missing, with apt-get as root; without root it says what to install and goes on (the tests
# that need it then skip visibly outside CI and fail in CI).
set -euo pipefail
missing=()
command -v tclsh >/dev/null || missing+=(tcl)
command -v pkg-config >/dev/null || missing+=(pkg-config)
pkg-config --exists hdf5 2>/dev/null || [ -f /usr/include/hdf5/serial/hdf5.h ] || missing+=(libhdf5-dev)
command -v iverilog >/dev/null || missing+=(iverilog)
command -v yosys >/dev/null || missing+=(yosys)
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || [ -n "${JET_TAGGING_FONT:-}" ] || missing+=(fonts-dejavu-core)
# The aarch64 check of CI (`cargo check --target aarch64-unknown-linux-gnu`): a build script of
# burn's dependencies (psm) assembles for the target.
command -v aarch64-linux-gnu-gcc >/dev/null || missing+=(gcc-aarch64-linux-gnu)
# The aarch64 tests of the integer engine's NEON kernels run their binaries in qemu-aarch64.
command -v qemu-aarch64 >/dev/null || missing+=(qemu-user)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
else
  echo "setup-system: please install: ${missing[*]} (apt-get install ${missing[*]})" >&2
fi
