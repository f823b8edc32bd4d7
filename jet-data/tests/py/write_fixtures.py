"""Writes jet-data's format fixtures with the tools physicists use, from the built-in sample.

usage: write_fixtures.py SAMPLE_DIR N OUT_DIR

Takes the first N test jets of the sample folder (hls4ml .npy layout) and writes them as:
- jets.arff: OpenML 42468's ARFF (liac-arff), the class a nominal attribute {g,q,t,w,z}, the
  features in reversed column order (the reader must find them by name);
- jets.h5: the Zenodo layout (h5py): dataset `jets` (float32) with extra columns (j_pt, j_eta, an
  index) around the 16 features and the 5 one-hot labels j_g, j_q, j_w, j_z, j_t in the study's
  file order, and `jetFeatureNames` as fixed-length ASCII strings;
- jets_no_mass.h5: the same without the column j_mass_mmdt (a missing feature name).
"""
import sys

import arff
import h5py
import numpy as np

FEATURES = [
    "j_zlogz", "j_c1_b0_mmdt", "j_c1_b1_mmdt", "j_c1_b2_mmdt", "j_c2_b1_mmdt", "j_c2_b2_mmdt",
    "j_d2_b1_mmdt", "j_d2_b2_mmdt", "j_d2_a1_b1_mmdt", "j_d2_a1_b2_mmdt", "j_m2_b1_mmdt",
    "j_m2_b2_mmdt", "j_n2_b1_mmdt", "j_n2_b2_mmdt", "j_mass_mmdt", "j_multiplicity",
]
CLASSES = ["g", "q", "t", "w", "z"]  # the one-hot column order of the .npy files


def load(path):
    if path.endswith(".gz"):
        import gzip
        with gzip.open(path) as f:
            return np.load(f)
    return np.load(path)


def first(sample_dir, stem, n):
    import os
    plain = os.path.join(sample_dir, stem + ".npy")
    return load(plain if os.path.exists(plain) else plain + ".gz")[:n]


def main():
    sample_dir, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    x = first(sample_dir, "X_test", n).astype(np.float32)
    y = first(sample_dir, "y_test", n)
    labels = [CLASSES[k] for k in y.argmax(axis=1)]

    order = list(reversed(range(len(FEATURES))))
    arff.dump({
        "relation": "hls4ml_lhc_jets_hlf",
        "attributes": [(FEATURES[k], "REAL") for k in order] + [("class", CLASSES)],
        "data": [[float(x[r, k]) for k in order] + [labels[r]] for r in range(n)],
    }, open(f"{out}/jets.arff", "w"))

    def write_h5(path, skip=None):
        names = ["j_index", "j_pt", "j_eta"] + FEATURES + ["j_g", "j_q", "j_w", "j_z", "j_t"]
        onehot = {c: (np.array(labels) == c).astype(np.float32) for c in CLASSES}
        cols = [np.arange(n, dtype=np.float32), np.full(n, 1000.0, np.float32), np.zeros(n, np.float32)]
        cols += [x[:, k] for k in range(len(FEATURES))]
        cols += [onehot[c] for c in ["g", "q", "w", "z", "t"]]
        keep = [i for i, name in enumerate(names) if name != skip]
        with h5py.File(path, "w") as f:
            f.create_dataset("jets", data=np.stack([cols[i] for i in keep], axis=1))
            f.create_dataset("jetFeatureNames", data=np.array([names[i] for i in keep], dtype="S"))

    write_h5(f"{out}/jets.h5")
    write_h5(f"{out}/jets_no_mass.h5", skip="j_mass_mmdt")


if __name__ == "__main__":
    main()
