"""Runs the Python reference tools on files written by the Rust tests.

usage:
  reference.py check MODEL                      onnx.checker.check_model
  reference.py reserialize MODEL OUT            onnx.load + SerializeToString (byte-identity check)
  reference.py qonnx MODEL INPUT.npy OUT.npy    qonnx execute_onnx, one row at a time
  reference.py ort MODEL INPUT.npy OUT.npy      onnxruntime, one row at a time (the onnx
                                                reference evaluator for opsets onnxruntime
                                                no longer runs, below 7)
"""
import sys

import numpy as np
import onnx


def rows(x):
    for i in range(x.shape[0]):
        yield x[i : i + 1]


def main():
    cmd, model = sys.argv[1], sys.argv[2]
    if cmd == "check":
        onnx.checker.check_model(onnx.load(model))
        print("ok")
    elif cmd == "reserialize":
        with open(sys.argv[3], "wb") as f:
            f.write(onnx.load(model).SerializeToString())
    elif cmd == "qonnx":
        from qonnx.core.modelwrapper import ModelWrapper
        from qonnx.core.onnx_exec import execute_onnx

        m = ModelWrapper(model)
        iname, oname = m.graph.input[0].name, m.graph.output[0].name
        x = np.load(sys.argv[3])
        out = [execute_onnx(m, {iname: r})[oname] for r in rows(x)]
        np.save(sys.argv[4], np.concatenate(out).astype(np.float32))
    elif cmd == "ort" and onnx.load(model).opset_import[0].version < 7:
        from onnx.reference import ReferenceEvaluator

        s = ReferenceEvaluator(model)
        iname = onnx.load(model).graph.input[0].name
        x = np.load(sys.argv[3])
        out = [s.run(None, {iname: r})[0] for r in rows(x)]
        np.save(sys.argv[4], np.concatenate(out).astype(np.float32))
    elif cmd == "ort":
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
        s = ort.InferenceSession(model, opts, providers=["CPUExecutionProvider"])
        iname = s.get_inputs()[0].name
        x = np.load(sys.argv[3])
        out = [s.run(None, {iname: r})[0] for r in rows(x)]
        np.save(sys.argv[4], np.concatenate(out).astype(np.float32))
    else:
        raise SystemExit(f"unknown command {cmd}")


if __name__ == "__main__":
    main()
