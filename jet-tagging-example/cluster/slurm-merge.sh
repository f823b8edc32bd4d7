#!/bin/bash
# Merges the shards of slurm.sh into STUDY_DIR/merged and runs the rest of the study there (the
# Hessian, the sweep, the checks, the firmware and the report). Submit with
# `--dependency=afterok:<array job id>`.
#SBATCH --job-name=jet-tagging-merge
#SBATCH --cpus-per-task=2
#SBATCH --mem=8G
#SBATCH --time=04:00:00
#SBATCH --output=jet-tagging-merge-%j.log
set -euo pipefail
bin="${JET_TAGGING_BIN:-target/release/jet-tagging}"
study="${STUDY_DIR:-study}"
# shellcheck disable=SC2086
"$bin" --threads "${SLURM_CPUS_PER_TASK:-2}" merge --out "$study/merged" ${JET_TAGGING_ARGS:-} "$study"/shard*
