#!/bin/bash
# The study's independent trainings as a Slurm job array, one shard per task, then the merge:
#
#   cargo build --release -p jet-tagging-example          # once, on a login node
#   jid=$(sbatch --parsable --array=0-7 jet-tagging-example/cluster/slurm.sh)
#   sbatch --dependency=afterok:$jid jet-tagging-example/cluster/slurm-merge.sh
#
# The array size is the number of shards (any N; 61 trainings in the full study). Settings pass
# through JET_TAGGING_ARGS (e.g. "--data /eos/.../hls4ml_LHCjet_100p_train.h5" or "--quick"); they
# must be the same for the shards and the merge. Shards write STUDY_DIR/shard<i>; a shard that is
# resubmitted reuses what it finished.
#SBATCH --job-name=jet-tagging
#SBATCH --cpus-per-task=2
#SBATCH --mem=4G
#SBATCH --time=04:00:00
#SBATCH --output=jet-tagging-%A_%a.log
set -euo pipefail
bin="${JET_TAGGING_BIN:-target/release/jet-tagging}"
study="${STUDY_DIR:-study}"
i="$SLURM_ARRAY_TASK_ID"
n="$SLURM_ARRAY_TASK_COUNT"
# shellcheck disable=SC2086 # JET_TAGGING_ARGS is a list of flags
"$bin" --threads "${SLURM_CPUS_PER_TASK:-2}" reproduce --out "$study/shard$i" --shard "$i/$n" ${JET_TAGGING_ARGS:-}
