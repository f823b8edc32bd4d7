"""hls4ml's own conversion of a QONNX model, as hls4ml users run it.

usage: hls4ml_predict.py MODEL.onnx X.npy Y.npy PROJECT_DIR [INPUT_PRECISION]

Cleans the model up with qonnx, removes a final Softmax (the logits are compared), converts with
hls4ml's ONNX/QONNX frontend (Vivado backend, io_parallel, name granularity, the given input
precision, default fixed<16,6>), writes and compiles the project (g++), predicts X and saves the
outputs to Y.npy. Prints the timings as JSON on the last line.
"""
import json
import sys
import time

import numpy as np


def main():
    model_path, x_path, y_path, prj = sys.argv[1:5]
    in_prec = sys.argv[5] if len(sys.argv) > 5 else "fixed<16,6>"
    t_import = time.time()
    import hls4ml
    from qonnx.core.modelwrapper import ModelWrapper
    from qonnx.util.cleanup import cleanup_model

    t0 = time.time()
    m = cleanup_model(ModelWrapper(model_path))
    last = m.graph.node[-1]
    if last.op_type == "Softmax":
        for v in [v for v in m.graph.value_info if v.name == last.input[0]]:
            m.graph.value_info.remove(v)
        m.graph.output[0].name = last.input[0]
        m.graph.node.remove(last)
        m = cleanup_model(m)
    cfg = hls4ml.utils.config.config_from_onnx_model(m, granularity="name", backend="Vivado", default_precision="fixed<16,6>")
    for name, layer in cfg["LayerName"].items():
        if layer.get("Precision") and isinstance(layer["Precision"], dict) and "result" in layer["Precision"] and name == m.graph.input[0].name:
            layer["Precision"]["result"] = in_prec
    hm = hls4ml.converters.convert_from_onnx_model(m, output_dir=prj, backend="Vivado", hls_config=cfg, io_type="io_parallel")
    t1 = time.time()
    hm.write()
    t2 = time.time()
    hm.compile()
    t3 = time.time()
    x = np.load(x_path).astype(np.float32)
    y = hm.predict(np.ascontiguousarray(x))
    t4 = time.time()
    np.save(y_path, np.asarray(y, dtype=np.float64).reshape(x.shape[0], -1))
    types = {l.name: {k: str(v.precision) for k, v in l.get_layer_precision().items()} for l in hm.get_layers()}
    print(json.dumps({
        "import_s": t0 - t_import,
        "convert_s": t1 - t0,
        "write_s": t2 - t1,
        "compile_s": t3 - t2,
        "predict_s_per_sample": (t4 - t3) / x.shape[0],
        "types": types,
        "hls4ml": hls4ml.__version__,
    }))


if __name__ == "__main__":
    main()
