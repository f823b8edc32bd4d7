"""Histograms of the 16 features of a jetsim sample, one curve per class (4 x 4 grid).

Usage (in .venv-sim):  python plot_histograms.py SAMPLE_DIR OUT.png
SAMPLE_DIR holds the four arrays as .npy or .npy.gz (the shipped sample is gzip-compressed).
"""
import gzip
import io
import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

# Legend order and colours of the usual real-data figure: g, q, w, z, t.
ORDER = ["g", "q", "w", "z", "t"]
COLOURS = {"g": "tab:blue", "q": "tab:orange", "w": "tab:green", "z": "tab:red", "t": "tab:purple"}
BINS = 30


def load(folder, name):
    plain = folder / f"{name}.npy"
    if plain.exists():
        return np.load(plain)
    with gzip.open(folder / f"{name}.npy.gz", "rb") as f:
        return np.load(io.BytesIO(f.read()))


def main(folder, out):
    folder = Path(folder)
    meta = json.loads((folder / "meta.json").read_text())
    x = np.concatenate([load(folder, "X_train_val"), load(folder, "X_test")])
    y = np.concatenate([load(folder, "y_train_val"), load(folder, "y_test")]).argmax(axis=1)
    classes, features = meta["classes"], meta["features"]
    fig, axes = plt.subplots(4, 4, figsize=(16, 14))
    for i, ax in enumerate(axes.flat):
        lo, hi = np.quantile(x[:, i], [0.001, 0.999])
        if features[i] == "j_multiplicity":
            lo, hi = np.floor(lo), np.ceil(hi)
        edges = np.linspace(lo, hi, BINS + 1)
        for cls in ORDER:
            values = np.clip(x[y == classes.index(cls), i], lo, hi)
            ax.hist(values, bins=edges, density=True, histtype="step", linewidth=1.5,
                    color=COLOURS[cls], label=cls)
        ax.set_xlabel(features[i].removeprefix("j_"))
        ax.legend(fontsize=8)
    counts = meta["counts"]["per_class"]
    fig.suptitle(f"jetsim sample: {len(x)} jets ({', '.join(f'{c} {counts[c]}' for c in ORDER)}), "
                 "density per class; values outside the 0.1-99.9 % range are put in the end bins")
    fig.tight_layout(rect=(0, 0, 1, 0.98))
    fig.savefig(out, dpi=80, metadata={"Software": None})


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
