"""Times Python qonnx's `execute_onnx` on single samples for the `qonnx_exec` bench.

Usage: qonnx_latency.py MODEL INPUT_NPY [--samples K] [--warmup W]

Cleans the model up with `cleanup_model` (as the reference outputs in testdata/model-outputs were made),
then runs `execute_onnx` on rows 0..K of INPUT_NPY one at a time (batch 1) and prints one JSON
object to stdout: {"samples", "median_s", "min_s", "qonnx"}.
"""

import argparse
import json
import statistics
import time
from importlib.metadata import version

import numpy as np
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.core.onnx_exec import execute_onnx
from qonnx.util.cleanup import cleanup_model


def main():
    p = argparse.ArgumentParser()
    p.add_argument("model")
    p.add_argument("input_npy")
    p.add_argument("--samples", type=int, default=20)
    p.add_argument("--warmup", type=int, default=2)
    a = p.parse_args()

    model = cleanup_model(ModelWrapper(a.model))
    in_name = model.graph.input[0].name
    x = np.load(a.input_npy).astype(np.float32)
    for i in range(a.warmup):
        execute_onnx(model, {in_name: x[i : i + 1]})
    times = []
    for i in range(a.samples):
        row = x[i % len(x) : i % len(x) + 1]
        t0 = time.perf_counter()
        execute_onnx(model, {in_name: row})
        times.append(time.perf_counter() - t0)
    print(
        json.dumps(
            {"samples": a.samples, "median_s": statistics.median(times), "min_s": min(times), "qonnx": version("qonnx")}
        )
    )


if __name__ == "__main__":
    main()
