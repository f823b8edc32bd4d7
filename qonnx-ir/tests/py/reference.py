"""Runs the Python reference tools on files written by the Rust tests.

usage:
  reference.py check MODEL                      onnx.checker.check_model
  reference.py reserialize MODEL OUT            onnx.load + SerializeToString (byte-identity check)
  reference.py qonnx MODEL INPUT.npy OUT.npy    qonnx execute_onnx, one row at a time
  reference.py bops MODEL                       per-layer BOPs of a QKeras-style QONNX MLP,
                                                from qonnx's own quantizer, as JSON
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
    elif cmd == "bops":
        import json

        from qonnx.core.modelwrapper import ModelWrapper
        from qonnx.custom_op.general.quant import quant

        m = ModelWrapper(model)

        def bits_of(tensor):
            p = m.find_producer(tensor)
            if p is None or p.op_type != "Quant":
                return 32
            return int(m.get_initializer(p.input[3]))

        layers = []
        for n in m.graph.node:
            if n.op_type != "MatMul":
                continue
            q = m.find_producer(n.input[1])
            w = m.get_initializer(q.input[0])
            s, z, b = (m.get_initializer(q.input[k]) for k in (1, 2, 3))
            attrs = {a.name: onnx.helper.get_attribute_value(a) for a in q.attribute}
            wq = quant(w, s, z, b, attrs["signed"], attrs["narrow"], attrs["rounding_mode"].decode())
            n_in, n_out = w.shape
            fp = float(np.mean(wq == 0))
            bw, ba = bits_of(n.input[1]), bits_of(n.input[0])
            bops = n_out * n_in * ((1 - fp) * ba * bw + ba + bw + np.log2(n_in))
            layers.append({"node": n.name, "bops": float(bops), "zero_fraction": fp, "b_w": bw, "b_a": ba})
        print(json.dumps(layers))
    elif cmd == "inference_cost":
        import json

        from qonnx.util.inference_cost import inference_cost

        out = {}
        for discount in (True, False):
            t = inference_cost(model, discount_sparsity=discount)["total_cost"]
            keys = ("total_bops", "total_macs", "total_mem_w_bits", "total_mem_w_elems")
            out[str(discount)] = {k: float(t[k]) for k in keys}
        print(json.dumps(out))
    else:
        raise SystemExit(f"unknown command {cmd}")


if __name__ == "__main__":
    main()
