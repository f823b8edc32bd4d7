"""Files: the hls4ml .npy layout, shard folders, meta.json, atomic output folders, gzip packing."""
import contextlib
import gzip
import json
import os
import shutil
from pathlib import Path

import numpy as np

from .settings import CLASSES

SPLITS = ("train_val", "test")
ARRAYS = [f"{a}_{s}.npy" for s in SPLITS for a in ("X", "y")]
SHARD_ARRAY = "shard_X.npy"
TEST_FRACTION = 0.2


def assemble(specs, results):
    """Features and one-hot labels (float32) of all chunks, in global chunk order."""
    x = np.concatenate([results[s["index"]] for s in specs]).astype(np.float32)
    labels = np.concatenate([np.full(s["jets"], CLASSES.index(s["class"])) for s in specs])
    y = np.eye(len(CLASSES), dtype=np.float32)[labels]
    return x, y


def split(x, y, seed):
    """80/20 split by a permutation seeded with the master seed."""
    order = np.random.default_rng(seed).permutation(len(x))
    n_test = int(round(len(x) * TEST_FRACTION))
    train, test = order[n_test:], order[:n_test]
    return {"train_val": (x[train], y[train]), "test": (x[test], y[test])}


def class_counts(y):
    counts = y.sum(axis=0).astype(int)
    return {c: int(n) for c, n in zip(CLASSES, counts)}


def write_sample(folder, parts, meta):
    for name, (x, y) in parts.items():
        np.save(folder / f"X_{name}.npy", x)
        np.save(folder / f"y_{name}.npy", y)
    meta["counts"] = {"per_class": class_counts(np.concatenate([p[1] for p in parts.values()]))}
    meta["counts"].update({name: class_counts(y) for name, (_, y) in parts.items()})
    write_meta(folder, meta)


def write_shard(folder, specs, results, meta):
    np.save(folder / SHARD_ARRAY, np.concatenate([results[s["index"]] for s in specs]))
    write_meta(folder, meta)


def read_shard(folder):
    """(meta, {chunk index: features}) of a shard folder."""
    meta = read_meta(folder)
    if meta.get("kind") != "shard":
        raise ValueError(f"{folder} is not a jetsim shard folder")
    x = np.load(Path(folder) / SHARD_ARRAY)
    results, row = {}, 0
    for spec in meta["chunks"]:
        results[spec["index"]] = x[row:row + spec["jets"]]
        row += spec["jets"]
    if row != len(x):
        raise ValueError(f"{folder}: {len(x)} rows, meta.json lists {row}")
    return meta, results


def write_meta(folder, meta):
    with open(Path(folder) / "meta.json", "w") as f:
        json.dump(meta, f, indent=1)
        f.write("\n")


def read_meta(folder):
    with open(Path(folder) / "meta.json") as f:
        return json.load(f)


def check_target(out, force):
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())) and not force:
        raise FileExistsError(f"{out} exists and is not empty (use --force to replace it)")


@contextlib.contextmanager
def staging(out):
    """A temporary folder beside `out`, renamed to `out` on success and removed on failure."""
    out = Path(out).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        yield tmp
        old = out.parent / f".{out.name}.old-{os.getpid()}"
        if out.exists():
            out.rename(old)
        tmp.rename(out)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def pack(src, dst):
    """gzip the four .npy files (mtime 0, so the bytes are reproducible) and copy meta.json.

    Other files in `dst` are left alone; each file is written beside its target and renamed.
    """
    src, dst = Path(src), Path(dst)
    dst.mkdir(parents=True, exist_ok=True)
    sizes = {}
    for name in ARRAYS + ["meta.json"]:
        data = (src / name).read_bytes()
        target = dst / (name if name == "meta.json" else f"{name}.gz")
        tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
        with open(tmp, "wb") as raw:
            if name == "meta.json":
                raw.write(data)
            else:
                with gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as gz:
                    gz.write(data)
        os.replace(tmp, target)
        sizes[target.name] = target.stat().st_size
    return sizes
