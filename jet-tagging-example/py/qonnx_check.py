"""Runs exported QONNX graphs in Python qonnx (execute_onnx, float32 numpy semantics) and compares
their outputs with the integer engine's, written by `jet-tagging`.

usage: qonnx_check.py JOBS.json INPUTS.npy RESULT.json
JOBS.json: [{"model": name, "onnx": path, "outputs": engine_outputs.npy, "lsb": output scale or 0,
             "inputs": own inputs .npy or null (then INPUTS.npy)}]
RESULT.json: one entry per job: outputs, equal, one_lsb, worse, max_abs_diff.
"""
import json
import sys

import numpy as np
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.core.onnx_exec import execute_onnx


def run(path, x):
    model = ModelWrapper(path)
    # The export's batch dimension is symbolic; qonnx checks input shapes exactly, so fix it.
    for vi in list(model.graph.input) + list(model.graph.output) + list(model.graph.value_info):
        dims = vi.type.tensor_type.shape.dim
        if len(dims) > 0 and dims[0].dim_param:
            dims[0].dim_value = x.shape[0]
    iname = model.graph.input[0].name
    oname = model.graph.output[0].name
    return np.asarray(execute_onnx(model, {iname: x})[oname], dtype=np.float32)


def main():
    jobs_path, inputs_path, result_path = sys.argv[1:4]
    jobs = json.load(open(jobs_path))
    x = np.load(inputs_path).astype(np.float32)
    results = []
    for job in jobs:
        ours = np.load(job["outputs"]).astype(np.float32)
        xj = np.load(job["inputs"]).astype(np.float32) if job.get("inputs") else x
        theirs = run(job["onnx"], xj)
        if theirs.shape != ours.shape:
            raise SystemExit(f"{job['onnx']}: output shape {theirs.shape}, engine {ours.shape}")
        diff = np.abs(theirs.astype(np.float64) - ours.astype(np.float64))
        lsb = float(job["lsb"])
        equal = int(np.sum(diff == 0))
        one = int(np.sum((diff > 0) & (diff <= lsb * (1 + 1e-6)))) if lsb > 0 else 0
        results.append({
            "model": job["model"],
            "outputs": int(diff.size),
            "equal": equal,
            "one_lsb": one,
            "worse": int(diff.size) - equal - one,
            "max_abs_diff": float(diff.max()) if diff.size else 0.0,
        })
    json.dump(results, open(result_path, "w"), indent=1)


if __name__ == "__main__":
    main()
