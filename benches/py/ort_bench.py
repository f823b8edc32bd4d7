"""Times onnxruntime on a model for the `qonnx_exec` bench.

Usage: ort_bench.py MODEL INPUT_NPY OUTPUT_NPY [--reps N] [--warmup W] [--single K] [--threads T]
                    [--no-fusion] [--serve]

Runs MODEL on the whole batch in INPUT_NPY (float32, [batch, features]) `warmup` times, then
`reps` timed times, and saves the outputs of the last run to OUTPUT_NPY. Then times `single`
one-sample runs (rows of the input, in turn). Prints one JSON object to stdout:
  {"batch", "reps", "median_s_per_batch", "min_s_per_batch", "single_reps",
   "single_median_s", "threads", "optimization", "onnxruntime", "cpuid_cap", "cpu"}
"cpuid_cap" is the cap `benches/native/cpuid_cap.c` put on the process (null without it), and
"cpu" the x86-64 extensions numpy found by CPUID (avx, avx2, avx512f, avx512_vnni; null where
numpy does not say), which show whether the cap reached the libraries.

--no-fusion keeps onnxruntime to its basic graph optimizations, which do not fuse
QuantizeLinear/DequantizeLinear pairs into integer kernels: the model then runs as written
(float MatMul between dequantized tensors).

--serve: after the JSON object, stays up for the bench to interleave its own runs with
onnxruntime's: each line N read from stdin times N more batch runs and prints
{"times": [seconds, ...]}; end of input ends the process.
"""

import argparse
import json
import os
import statistics
import sys
import time

import numpy as np
import onnxruntime as ort


def cpu_features():
    """The x86-64 extensions numpy detected (by CPUID, as onnxruntime does)."""
    try:
        from numpy._core._multiarray_umath import __cpu_features__ as f
    except ImportError:
        f = {}
    keys = {"avx": "AVX", "avx2": "AVX2", "avx512f": "AVX512F", "avx512_vnni": "AVX512_CLX"}
    return {k: f.get(v) for k, v in keys.items()}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("model")
    p.add_argument("input_npy")
    p.add_argument("output_npy")
    p.add_argument("--reps", type=int, default=20)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--single", type=int, default=2000)
    p.add_argument("--threads", type=int, default=1, help="intra-op threads (0 = onnxruntime's default)")
    p.add_argument("--no-fusion", action="store_true", help="basic graph optimizations only")
    p.add_argument("--serve", action="store_true", help="then time batches on request (see above)")
    a = p.parse_args()

    opts = ort.SessionOptions()
    if a.no_fusion:
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
    opts.intra_op_num_threads = a.threads
    opts.inter_op_num_threads = 1
    sess = ort.InferenceSession(a.model, sess_options=opts, providers=["CPUExecutionProvider"])
    in_name = sess.get_inputs()[0].name
    x = np.ascontiguousarray(np.load(a.input_npy).astype(np.float32))

    out = None
    for _ in range(a.warmup):
        out = sess.run(None, {in_name: x})[0]
    times = []
    for _ in range(a.reps):
        t0 = time.perf_counter()
        out = sess.run(None, {in_name: x})[0]
        times.append(time.perf_counter() - t0)
    np.save(a.output_npy, np.asarray(out, dtype=np.float32))

    rows = [np.ascontiguousarray(x[i : i + 1]) for i in range(min(len(x), 64))]
    for r in rows[:10]:
        sess.run(None, {in_name: r})
    single = []
    for k in range(a.single):
        r = rows[k % len(rows)]
        t0 = time.perf_counter()
        sess.run(None, {in_name: r})
        single.append(time.perf_counter() - t0)

    print(
        json.dumps(
            {
                "batch": int(x.shape[0]),
                "reps": a.reps,
                "median_s_per_batch": statistics.median(times),
                "min_s_per_batch": min(times),
                "single_reps": a.single,
                "single_median_s": statistics.median(single) if single else None,
                "threads": a.threads,
                "optimization": "basic" if a.no_fusion else "all",
                "onnxruntime": ort.__version__,
                "cpuid_cap": os.environ.get("CPUID_CAP_ACTIVE"),
                "cpu": cpu_features(),
            }
        ),
        flush=True,
    )
    if a.serve:
        for line in sys.stdin:
            times = []
            for _ in range(int(line)):
                t0 = time.perf_counter()
                sess.run(None, {in_name: x})
                times.append(time.perf_counter() - t0)
            print(json.dumps({"times": times}), flush=True)


if __name__ == "__main__":
    main()
