# What the project's scripts share; sourced by scripts/test-all.sh and scripts/bench-report.sh.

# step NAME COMMAND...: runs COMMAND, printing `== NAME` before it and `== NAME: S s` (its time)
# after it; a failing command ends the calling script (they run under `set -e`).
step() {
  local name="$1"; shift
  local t0=$SECONDS
  echo "== $name"
  "$@"
  echo "== $name: $((SECONDS - t0)) s"
}
