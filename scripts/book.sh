#!/usr/bin/env bash
# Builds the book (docs/, an mdBook) into docs/book/ and tests it: `mdbook test` compiles and runs
# every Rust code block that is not marked `ignore` with rustdoc. Installs mdBook first
# (scripts/setup-mdbook.sh). Open docs/book/index.html to read it.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bash "$root/scripts/setup-mdbook.sh"
mdbook="$root/.venv-mdbook/bin/mdbook"
"$mdbook" build "$root/docs"
"$mdbook" test "$root/docs"
