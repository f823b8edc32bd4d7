"""Runs an ONNX/QONNX model with Python qonnx's execute_onnx (float32 numpy semantics).

usage: run_qonnx.py MODEL.onnx INPUT.npy OUTPUT.npy
"""
import sys

import numpy as np
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.core.onnx_exec import execute_onnx


def main():
    model_path, in_path, out_path = sys.argv[1:4]
    model = ModelWrapper(model_path)
    x = np.load(in_path).astype(np.float32)
    # The export's batch dimension is symbolic; qonnx checks input shapes exactly, so fix it.
    for vi in list(model.graph.input) + list(model.graph.output) + list(model.graph.value_info):
        dims = vi.type.tensor_type.shape.dim
        if len(dims) > 0 and dims[0].dim_param:
            dims[0].dim_value = x.shape[0]
    iname = model.graph.input[0].name
    oname = model.graph.output[0].name
    out = execute_onnx(model, {iname: x})[oname]
    np.save(out_path, np.asarray(out, dtype=np.float32))


if __name__ == "__main__":
    main()
