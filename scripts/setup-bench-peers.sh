#!/usr/bin/env bash
# Creates .venv-peers with the peers that only the benchmark report measures (not the tests):
# JAX on the CPU (jaxlib's PyPI wheel carries no GPU stack) for training and Hessian-vector
# product throughput, and PuLP with the CBC solver its wheel bundles for the bit-allocation ILP.
# Kept apart from .venv-ref so that its pins never move the reference tools'.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bash "$root/scripts/make-venv.sh" "$root/.venv-peers" "jax==0.10.2 jaxlib==0.10.2 pulp==3.3.2 numpy==2.4.6"
