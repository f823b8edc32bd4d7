"""Command line: generate, merge, pack. Progress goes to stdout as JSON lines, errors to stderr."""
import argparse
import json
import os
import platform
import shlex
import signal
import sys
import time
from importlib import metadata

from . import __version__, chunks, store
from .settings import CLASSES, COMMON, FEATURES, JET_PT_MIN, JET_R, MATCH_DR, PROCESSES, SOFTDROP


class Protocol:
    """JSON lines on the real stdout; everything else printed to fd 1 (Pythia, FastJet banners,
    print()) is sent to stderr so that stdout carries the protocol only."""

    def __init__(self):
        sys.stdout.flush()
        self.out = os.fdopen(os.dup(1), "w")
        os.dup2(2, 1)

    def emit(self, **fields):
        self.out.write(json.dumps(fields) + "\n")
        self.out.flush()


def generator_info():
    info = {"name": "jetsim", "version": __version__, "python": platform.python_version()}
    for package in ("pythia8mc", "fastjet", "numpy"):
        info[package] = metadata.version(package)
    return info


def setup_meta(args, specs):
    return {
        "generator": generator_info(),
        "pythia_settings": {c: COMMON + PROCESSES[c] + ["Random:setSeed = on", "Random:seed = <chunk seed>"]
                            for c in CLASSES},
        "jets": {"algorithm": "anti-kT", "R": JET_R, "pt_min_gev": JET_PT_MIN,
                 "particles": "all final-state particles except neutrinos",
                 "q, g": "leading jet",
                 "t, w, z": f"hardest jet within dR < {MATCH_DR} (rapidity, phi) of the resonance",
                 "grooming": f"C/A reclustering, soft drop beta={SOFTDROP['beta']} "
                             f"z_cut={SOFTDROP['z_cut']} R0={SOFTDROP['R0']} (mMDT)",
                 "ungroomed_features": ["j_zlogz", "j_multiplicity"]},
        "seed": args.seed, "per_class": args.per_class, "chunk_size": args.chunk,
        "chunks": specs,
        "split": {"test_fraction": store.TEST_FRACTION,
                  "method": "numpy.random.default_rng(seed).permutation; the first 20 % are the test split"},
        "features": FEATURES, "classes": CLASSES,
    }


def generate(args, proto):
    start = time.time()
    args.chunk = args.chunk or chunks.default_chunk(args.per_class)
    specs = chunks.plan(args.per_class, args.chunk, args.seed)
    if args.shard:
        specs = chunks.shard_of(specs, *args.shard)
    store.check_target(args.out, args.force)
    total, done = sum(s["jets"] for s in specs), 0
    proto.emit(event="progress", done=0, total=total)

    def on_done(spec, info):
        nonlocal done
        spec.update(info)
        done += spec["jets"]
        proto.emit(event="progress", done=done, total=total)

    results = chunks.run_all(specs, args.workers, on_done)
    meta = setup_meta(args, specs)
    meta.update(workers=args.workers, command=args.command, wall_time_s=round(time.time() - start, 1))
    with store.staging(args.out) as tmp:
        if args.shard:
            meta.update(kind="shard", shard=f"{args.shard[0]}/{args.shard[1]}")
            store.write_shard(tmp, specs, results, meta)
        else:
            meta["kind"] = "sample"
            x, y = store.assemble(specs, results)
            store.write_sample(tmp, store.split(x, y, args.seed), meta)
    proto.emit(event="done", out=str(args.out), jets=total, wall_s=meta["wall_time_s"])


def merge(args, proto):
    start = time.time()
    store.check_target(args.out, args.force)
    shards = sorted((store.read_shard(d) for d in args.shards), key=lambda s: s[0]["shard"])
    first = shards[0][0]
    keys = ("generator", "seed", "per_class", "chunk_size", "pythia_settings")
    results, specs = {}, []
    for meta, res in shards:
        if any(meta[k] != first[k] for k in keys):
            raise ValueError("the shards were not made with the same generator and arguments")
        specs += meta["chunks"]
        results.update(res)
    specs.sort(key=lambda s: s["index"])
    expected = chunks.plan(first["per_class"], first["chunk_size"], first["seed"])
    if [s["index"] for s in specs] != [s["index"] for s in expected]:
        raise ValueError("the shards do not hold every chunk exactly once")
    meta = {k: v for k, v in first.items() if k not in ("shard", "workers", "wall_time_s", "command")}
    meta.update(kind="sample", chunks=specs, command=args.command,
                shards=[{"shard": m["shard"], "workers": m["workers"], "wall_time_s": m["wall_time_s"],
                         "command": m["command"]} for m, _ in shards])
    meta["workers"] = sum(m["workers"] for m, _ in shards)
    meta["wall_time_s"] = round(time.time() - start, 1)
    x, y = store.assemble(specs, results)
    with store.staging(args.out) as tmp:
        store.write_sample(tmp, store.split(x, y, first["seed"]), meta)
    proto.emit(event="done", out=str(args.out), jets=len(x), wall_s=meta["wall_time_s"])


def pack(args, proto):
    sizes = store.pack(args.input, args.out)
    proto.emit(event="done", out=str(args.out), bytes=sizes)


def shard_arg(text):
    i, n = (int(v) for v in text.split("/"))
    if not 0 <= i < n:
        raise argparse.ArgumentTypeError("--shard i/n needs 0 <= i < n")
    return i, n


def positive(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def parser():
    p = argparse.ArgumentParser(prog="jetsim", description="LHC jet simulator (Pythia 8 + FastJet).")
    sub = p.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("generate", help="simulate jets into the hls4ml .npy layout")
    g.add_argument("--per-class", type=positive, required=True, help="jets per class")
    g.add_argument("--out", required=True, help="output folder (or shard folder)")
    g.add_argument("--seed", type=int, default=1, help="master seed (default 1)")
    g.add_argument("--workers", type=positive, default=1, help="worker processes (default 1)")
    g.add_argument("--shard", type=shard_arg, help="i/n: only chunks with index %% n == i")
    g.add_argument("--chunk", type=positive, help="jets per chunk (default min(500, ceil(N/4)))")
    g.add_argument("--force", action="store_true", help="replace a non-empty output folder")
    m = sub.add_parser("merge", help="combine shard folders into one sample")
    m.add_argument("--out", required=True)
    m.add_argument("--force", action="store_true")
    m.add_argument("shards", nargs="+", metavar="SHARD_DIR")
    k = sub.add_parser("pack", help="gzip a sample's .npy files (reproducible bytes)")
    k.add_argument("--in", dest="input", required=True)
    k.add_argument("--out", required=True)
    return p


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    args = parser().parse_args(argv)
    args.command = shlex.join(["python", "-m", "jetsim"] + list(argv))
    proto = Protocol()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        {"generate": generate, "merge": merge, "pack": pack}[args.cmd](args, proto)
    except KeyboardInterrupt:
        print("jetsim: interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # reported on stderr with a non-zero exit
        print(f"jetsim: error: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    return 0
