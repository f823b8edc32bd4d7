#!/usr/bin/env bash
# Writes the seed corpora of the fuzz targets into fuzz/seeds/<target>/ from files in the
# repository: the vendored models (testdata/models/), the shipped jet sample (jet-data/sample/,
# cut to a few jets) and, for the ILP tables, the dense layer shapes of the QKeras jet tagger
# (16-64-32-32-5) with the BOPs and size models of hawq-ilp's `cost` module. Needs bash and
# python3 (standard library only). Run from anywhere; replaces fuzz/seeds/.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
seeds="$here/seeds"
rm -rf "$seeds"
mkdir -p "$seeds"

# load_execute: the models as they are.
mkdir -p "$seeds/load_execute"
cp "$root"/testdata/models/*.onnx "$seeds/load_execute/"
chmod u+w "$seeds"/load_execute/*

python3 - "$root" "$seeds" <<'PY'
import ast, gzip, json, os, struct, sys

root, seeds = sys.argv[1], sys.argv[2]

def put(target, name, data):
    d = os.path.join(seeds, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())

# mutate_model: each model (byte 0), no mutations (byte 1), and one mutation of each kind.
for i in range(4):
    put("mutate_model", f"model{i}", bytes([i, 0]))
    for kind in range(12):
        put("mutate_model", f"model{i}-mut{kind}", bytes([i, 1, kind, 1, 0, 2, 0, 3, 5, 7, 1, 0, 0, 0]))

# lower_hls and rtl_build: model, no mutations, a configuration, (rtl: pipeline, sharing, at
# most 8 features per layer), inputs.
values = bytes(range(100, 164))
precision = bytes([0, 4, 16, 6, 6, 1])  # ap_fixed<16,6,AP_RND_CONV,AP_SAT>
for i in range(4):
    for softmax in range(3):
        # softmax, reuse 1, no name/clock change, default input and weight precisions, no overrides
        cfg = bytes([softmax, 4, 2, 0, 0, 0])
        put("lower_hls", f"model{i}-softmax{softmax}", bytes([i, 0]) + cfg + bytes([3]) + values)
    cfg = bytes([2, 5, 2, 1]) + precision + bytes([1]) + precision + bytes([1])
    override = bytes([0, 0, 1, 1]) + precision + bytes([1]) + precision
    put("lower_hls", f"model{i}-precisions", bytes([i, 0]) + cfg + override + bytes([1]) + values)
    for p, v in [(0, 0), (1, 3), (2, 0)]:
        cfg = bytes([2, 4, 2, 0, 0, 0])
        put("rtl_build", f"model{i}-pipeline{p}", bytes([i, 0]) + cfg + bytes([p, v, 0, 7, 2]) + values)

# Features and labels of the shipped sample, cut to a few jets.
def npy(path):
    with gzip.open(path) as f:
        data = f.read()
    assert data[:6] == b"\x93NUMPY"
    n = struct.unpack("<H", data[8:10])[0]
    header = ast.literal_eval(data[10:10 + n].decode("latin1"))
    rows, cols = header["shape"]
    assert header["descr"] == "<f4"
    body = data[10 + n:]
    return [list(struct.unpack_from(f"<{cols}f", body, 4 * cols * r)) for r in range(rows)]

def npy_bytes(matrix, big_endian=False, version=1):
    rows, cols = len(matrix), len(matrix[0]) if matrix else 0
    descr = ">f4" if big_endian else "<f4"
    header = f"{{'descr': '{descr}', 'fortran_order': False, 'shape': ({rows}, {cols}), }}"
    lead = 6 + 2 + (2 if version == 1 else 4)
    header += " " * ((64 - (lead + len(header) + 1) % 64) % 64) + "\n"
    size = struct.pack("<H" if version == 1 else "<I", len(header))
    fmt = (">" if big_endian else "<") + "f" * cols
    return b"\x93NUMPY" + bytes([version, 0]) + size + header.encode("latin1") + b"".join(struct.pack(fmt, *r) for r in matrix)

sample = os.path.join(root, "jet-data", "sample")
x_train, y_train = npy(os.path.join(sample, "X_train_val.npy.gz"))[:8], npy(os.path.join(sample, "y_train_val.npy.gz"))[:8]
x_test, y_test = npy(os.path.join(sample, "X_test.npy.gz"))[:4], npy(os.path.join(sample, "y_test.npy.gz"))[:4]

FEATURES = ["j_zlogz", "j_c1_b0_mmdt", "j_c1_b1_mmdt", "j_c1_b2_mmdt", "j_c2_b1_mmdt", "j_c2_b2_mmdt",
            "j_d2_b1_mmdt", "j_d2_b2_mmdt", "j_d2_a1_b1_mmdt", "j_d2_a1_b2_mmdt", "j_m2_b1_mmdt",
            "j_m2_b2_mmdt", "j_n2_b1_mmdt", "j_n2_b2_mmdt", "j_mass_mmdt", "j_multiplicity"]
CLASSES = ["g", "q", "t", "w", "z"]
labels = [CLASSES[r.index(max(r))] for r in y_train + y_test]
jets = x_train + x_test

# jet_npy: three u32 lengths, then the four files.
def folder(files):
    return b"".join(struct.pack("<I", len(f)) for f in files[:3]) + b"".join(files)
put("jet_npy", "sample", folder([npy_bytes(x_train), npy_bytes(y_train), npy_bytes(x_test), npy_bytes(y_test)]))
put("jet_npy", "sample-v2-big-endian", folder([npy_bytes(m, True, 2) for m in (x_train, y_train, x_test, y_test)]))

# jet_csv: the OpenML column order, then reordered and quoted.
def csv(order, quote=""):
    lines = [",".join(quote + n + quote for n in order)]
    for x, c in zip(jets, labels):
        row = dict(zip(FEATURES, (repr(v) for v in x)), **{"class": quote + c + quote})
        lines.append(",".join(row[n] for n in order))
    return "\n".join(lines) + "\n"
put("jet_csv", "openml-order", csv(FEATURES + ["class"]))
put("jet_csv", "reordered-quoted", csv(["class"] + FEATURES[::-1], '"'))

# jet_arff: the same jets as ARFF.
def arff(quote=""):
    out = ["% jets from jet-data/sample", "@relation hls4ml_lhc_jets_hlf", ""]
    out += [f"@attribute {quote}{n}{quote} numeric" for n in FEATURES]
    out += ["@attribute class {g,q,t,w,z}", "", "@data"]
    out += [",".join([repr(v) for v in x] + [c]) for x, c in zip(jets, labels)]
    return "\n".join(out) + "\n"
put("jet_arff", "plain", arff())
put("jet_arff", "quoted-names", arff("'"))

# jet_gz: byte 0 = reader (0 CSV, 1 ARFF, 2 .npy folder) + 0x80 when the target compresses the
# rest itself; without that bit the rest is the gzip stream (here, valid ones).
csv_text, arff_text = csv(FEATURES + ["class"]).encode(), arff().encode()
npy_files = [npy_bytes(x_train), npy_bytes(y_train), npy_bytes(x_test), npy_bytes(y_test)]
put("jet_gz", "csv-compressed-by-target", bytes([0x80]) + csv_text)
put("jet_gz", "csv-gzip", bytes([0]) + gzip.compress(csv_text, mtime=0))
put("jet_gz", "arff-compressed-by-target", bytes([0x81]) + arff_text)
put("jet_gz", "arff-gzip", bytes([1]) + gzip.compress(arff_text, mtime=0))
put("jet_gz", "npy-compressed-by-target", bytes([0x82]) + folder(npy_files))
put("jet_gz", "npy-gzip", bytes([2]) + folder([gzip.compress(f, mtime=0) for f in npy_files]))

# jet_hdf5: descriptions of files (see fuzz_targets/jet_hdf5.rs): all names as 256-byte ASCII,
# `jets` 2-D with 10 rows in each element type; one with a huge declared first dimension.
label_bytes = bytes(CLASSES.index(c) for c in labels[:10])
for jets_byte, dtype in [(1, "f32"), (11, "f64"), (17, "i32"), (26, "u8")]:
    put("jet_hdf5", dtype, bytes([1, 0, 0, jets_byte, 10, 1, 0]) + label_bytes + values)
put("jet_hdf5", "huge-declared", bytes([1, 0, 0, 1, 10, 1, 0xF2]) + label_bytes + values)
put("jet_hdf5", "names-vlen", bytes([1, 0, 2, 1, 10, 1, 0]) + label_bytes + values)

# ilp_json: bit-allocation tables for the jet tagger's dense layers (BOPs = m·n·(bw·ba + bw +
# ba + log2 n), size = m·n·bw), Ω ∝ trace · 2^(−2b); with budgets, a tie and a fixed layer.
import math
shapes = [("fc1", 16, 64), ("fc2", 64, 32), ("fc3", 32, 32), ("out", 32, 5)]
def table(bits, budget=None, tie=False, fixed=False):
    layers = []
    for k, (name, n, m) in enumerate(shapes):
        cands = []
        for b in bits:
            bops = m * n * (b * b + 2 * b + math.log2(n))
            cands.append({"label": f"w{b}a{b}", "omega": (10.0 / (k + 1)) * 4.0 ** (-b),
                          "costs": {"bops": bops, "size": m * n * b}})
        layers.append({"name": name, "candidates": cands})
    p = {"layers": layers}
    if budget:
        p["budgets"] = [{"cost": "bops", "limit": budget}]
    if tie:
        p["ties"] = [["fc2", "fc3"]]
    if fixed:
        p["fixed"] = {"out": f"w{bits[-1]}a{bits[-1]}"}
    return json.dumps(p, indent=1)
put("ilp_json", "no-budget", table([2, 4, 8]))
put("ilp_json", "bops-budget", table([2, 3, 4, 5, 6, 8], budget=120000))
put("ilp_json", "tie-fixed", table([2, 4, 6, 8], budget=150000, tie=True, fixed=True))
put("ilp_json", "infeasible", table([4, 8], budget=10))
PY
printf "%s bytes in fuzz/seeds/\n" "$(du -sb "$seeds" | cut -f1)"
for d in "$seeds"/*/; do printf '%-14s %3d files\n' "$(basename "$d")" "$(ls "$d" | wc -l)"; done
