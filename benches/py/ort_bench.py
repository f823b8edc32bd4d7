"""Times onnxruntime on a model for the `qonnx_exec` bench.

Usage: ort_bench.py MODEL INPUT_NPY OUTPUT_NPY [--reps N] [--warmup W] [--single K] [--threads T]

Runs MODEL on the whole batch in INPUT_NPY (float32, [batch, features]) `warmup` times, then
`reps` timed times, and saves the outputs of the last run to OUTPUT_NPY. Then times `single`
one-sample runs (rows of the input, in turn). Prints one JSON object to stdout:
  {"batch", "reps", "median_s_per_batch", "min_s_per_batch", "single_reps",
   "single_median_s", "threads", "onnxruntime"}
"""

import argparse
import json
import statistics
import time

import numpy as np
import onnxruntime as ort


def main():
    p = argparse.ArgumentParser()
    p.add_argument("model")
    p.add_argument("input_npy")
    p.add_argument("output_npy")
    p.add_argument("--reps", type=int, default=20)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--single", type=int, default=2000)
    p.add_argument("--threads", type=int, default=1, help="intra-op threads (0 = onnxruntime's default)")
    a = p.parse_args()

    opts = ort.SessionOptions()
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
                "onnxruntime": ort.__version__,
            }
        )
    )


if __name__ == "__main__":
    main()
