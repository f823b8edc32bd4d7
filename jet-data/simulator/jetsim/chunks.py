"""Cutting the work into seeded chunks and running them on worker processes."""
import math
import multiprocessing
import signal
import time

import numpy as np

from . import events, features
from .settings import CLASSES, chunk_seed

DEFAULT_CHUNK = 500
BATCH = 50  # events clustered together


def default_chunk(per_class):
    """500 jets, or fewer for small samples so that a few workers still have work."""
    return max(1, min(DEFAULT_CHUNK, math.ceil(per_class / 4)))


def plan(per_class, chunk, seed):
    """All chunks in global order (class by class, chunk by chunk): the order of the output."""
    specs = []
    for cls in CLASSES:
        for k in range(math.ceil(per_class / chunk)):
            specs.append({"index": len(specs), "class": cls, "chunk": k,
                          "jets": min(chunk, per_class - k * chunk),
                          "seed": chunk_seed(seed, cls, k)})
    return specs


def shard_of(specs, shard, count):
    """The chunks of shard `shard` of `count`: global index % count == shard."""
    return [s for s in specs if s["index"] % count == shard]


def run_chunk(spec):
    """Generate one chunk: (index, float32 [jets, 16] features, info).

    Events are taken in batches of at most BATCH, never more than the jets still missing, and the
    first `jets` accepted jets are kept, so the result depends on the chunk's seed only. Jets whose
    features are not all finite (a groomed jet of a single particle: C2, D2, ... are 0/0) are dropped.
    """
    start = time.process_time()
    source = events.JetSource(spec["class"], spec["seed"])
    rows, want, dropped = [], spec["jets"], 0
    while len(rows) < want:
        jets = source.batch(min(BATCH, want - len(rows)))
        if jets:
            x = features.features(jets)
            finite = np.isfinite(x).all(axis=1)
            dropped += int((~finite).sum())
            rows.extend(x[finite])
    info = {"events": source.events, "dropped_nonfinite": dropped,
            "cpu_s": round(time.process_time() - start, 2)}
    return spec["index"], np.array(rows[:want], dtype=np.float32), info


def _worker_init():
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def run_all(specs, workers, on_done):
    """Run the chunks; call on_done(spec, info) as each finishes; return {index: features}."""
    by_index = {s["index"]: s for s in specs}
    results = {}

    def collect(item):
        index, x, info = item
        results[index] = x
        on_done(by_index[index], info)

    if workers <= 1:
        for spec in specs:
            collect(run_chunk(spec))
    else:
        with multiprocessing.get_context("fork").Pool(workers, initializer=_worker_init) as pool:
            for item in pool.imap_unordered(run_chunk, specs):
                collect(item)
    return results
