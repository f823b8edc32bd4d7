#!/usr/bin/env bash
# Creates the Python environment of the project's jet simulator (jet-data/simulator/jetsim) in
# .venv-sim: Pythia 8 (pythia8mc), FastJet with fjcontrib (scikit-hep fastjet), numpy, and
# matplotlib for the validation plots; binary wheels only (pythia8mc 8.318.0 has no wheel for
# Python 3.11 and would compile Pythia for many minutes: 8.317.0 is pinned).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bash "$root/scripts/make-venv.sh" "$root/.venv-sim" \
  "pythia8mc==8.317.0 fastjet==3.5.2.0 awkward==2.14.0 awkward_cpp==57 vector==1.9.0 numpy==2.4.6 matplotlib==3.11.2" --only-binary=:all:
"$root/.venv-sim/bin/python" -c "import pythia8mc, fastjet, numpy, matplotlib"
