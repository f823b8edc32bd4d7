"""hls4ml's own route for a QONNX model exported by hawq-core, run as an hls4ml user would run it.

usage: hls4ml_route.py MODEL.onnx X.npy Y.npy PROJECT_DIR

Steps: `qonnx.util.cleanup.cleanup_model`, `hls4ml.utils.config.config_from_onnx_model`, one
configuration change (below), `hls4ml.converters.convert_from_onnx_model` with the Vitis backend
and io_parallel, `write`, `compile` (g++, no Vivado), `predict` on X. The predictions are saved to
Y.npy as float64 with shape (N, outputs). The last line printed is a JSON object with the timings
and the precision hls4ml chose for every layer.

Configuration set on top of `config_from_onnx_model` (granularity 'name', backend Vitis, hls4ml's
defaults otherwise: default precision fixed<16,6>, everything hls4ml can infer left on 'auto'):

* The input layer's result precision is the type of the Quant node that reads the model input,
  e.g. fixed<16,4,RND_CONV,SAT> for a signed 16-bit Quant with scale 2^-12 and ROUND.
  Why: hls4ml converts the float input to the input layer's type (nnet::convert_data, a plain
  ap_fixed constructor) before anything else runs. Its default, fixed<16,6> with TRN, keeps only
  10 fractional bits and truncates, so the input Quant (12 fractional bits, round half to even)
  would see an already-truncated value: 16 of 5000 outputs differed on the test data. With the
  Quant's own type the conversion is the Quant, bit for bit, and hls4ml then removes the Quant's
  now redundant linear activation (EliminateLinearActivation). A model whose input is not read by
  a Quant keeps hls4ml's default input type.

Nothing else needs setting: weights, biases and activations take their types from the Quant nodes
(ROUND -> AP_RND_CONV, narrow -> AP_SAT_SYM), and hls4ml infers Dense accumulators wide enough
that no sum is rounded or overflows.

What the model must look like (hls4ml 1.3.0; docs/src/concepts/fixed-point-hls.md, "The hls4ml route"): every Quant scale a scalar
power of two with zero-point 0, rounding ROUND or FLOOR, narrow only on signed Quants. A
per-channel (non-scalar) weight or bias scale cannot be moved past the MatMul
(hls4ml/model/optimizer/passes/move_scales.py, ScaleDownMatMul) and conversion then fails with an
IndexError in infer_precision.py; the script warns about such Quant nodes before converting.
"""

import json
import sys
import time

import numpy as np


def quant_type_of_input(model):
    """The hls4ml type string that computes what the Quant on the model input computes, or None.

    A Quant with a scalar power-of-two scale 2^e, zero-point 0 and b bits holds the values
    k * 2^e with integer k in the b-bit range, which is exactly ap_fixed<b, b + e>.
    """
    input_name = model.graph.input[0].name
    readers = [n for n in model.graph.node if input_name in n.input]
    if len(readers) != 1 or readers[0].op_type != "Quant":
        return None
    quant = readers[0]
    scale = model.get_initializer(quant.input[1])
    zeropt = model.get_initializer(quant.input[2])
    bits = model.get_initializer(quant.input[3])
    if scale is None or zeropt is None or bits is None or scale.size != 1 or np.any(zeropt != 0):
        return None
    mantissa, exponent = np.frexp(float(scale.flat[0]))
    if mantissa != 0.5:
        return None  # not a power of two: no fixed-point type is this Quant
    scale_exp = int(exponent) - 1  # scale = 2^scale_exp
    attrs = {a.name: a for a in quant.attribute}
    signed = attrs["signed"].i if "signed" in attrs else 1
    narrow = attrs["narrow"].i if "narrow" in attrs else 0
    rounding = attrs["rounding_mode"].s.decode() if "rounding_mode" in attrs else "ROUND"
    rounding = {"ROUND": "RND_CONV", "FLOOR": "TRN"}.get(rounding)
    if rounding is None:
        return None
    width = int(bits.flat[0])
    kind = "fixed" if signed else "ufixed"
    saturation = "SAT_SYM" if narrow else "SAT"
    return f"{kind}<{width},{width + scale_exp},{rounding},{saturation}>"


def warn_unsupported_scales(model):
    """Print to stderr the Quant nodes whose scales hls4ml 1.3.0 cannot handle exactly."""
    for node in model.graph.node:
        if node.op_type != "Quant":
            continue
        scale = model.get_initializer(node.input[1])
        if scale is None:
            continue
        if scale.size != 1:
            print(f"warning: {node.name} has a per-channel scale {scale.shape}; "
                  "hls4ml 1.3.0 cannot move it past the MatMul", file=sys.stderr)
        elif np.frexp(float(scale.flat[0]))[0] != 0.5:
            print(f"warning: {node.name} has a scale that is not a power of two; "
                  "hls4ml rescales it with a rounded ApplyAlpha, not exactly", file=sys.stderr)


def main():
    model_path, x_path, y_path, project_dir = sys.argv[1:5]

    t_import = time.time()
    import hls4ml
    from qonnx.core.modelwrapper import ModelWrapper
    from qonnx.util.cleanup import cleanup_model

    # Convert: clean the graph up (shape inference, constant folding, unique names), build the
    # per-layer configuration, set the input type, and let hls4ml convert.
    t_convert = time.time()
    model = cleanup_model(ModelWrapper(model_path))
    warn_unsupported_scales(model)
    config = hls4ml.utils.config.config_from_onnx_model(model, granularity="name", backend="Vitis")
    input_type = quant_type_of_input(model)
    if input_type is not None:
        config["LayerName"][model.graph.input[0].name]["Precision"]["result"] = input_type
    hls_model = hls4ml.converters.convert_from_onnx_model(
        model,
        output_dir=project_dir,
        backend="Vitis",
        io_type="io_parallel",
        hls_config=config,
    )

    t_write = time.time()
    hls_model.write()

    t_compile = time.time()
    hls_model.compile()

    # Predict in float64: every float32 input converts exactly, and the outputs come back as
    # doubles, so nothing is rounded on the way in or out of the compiled model.
    x = np.load(x_path).astype(np.float64)
    t_predict = time.time()
    y = hls_model.predict(np.ascontiguousarray(x))
    t_done = time.time()
    np.save(y_path, np.asarray(y, dtype=np.float64).reshape(x.shape[0], -1))

    types = {
        layer.name: {name: str(var.precision) for name, var in layer.get_layer_precision().items()}
        for layer in hls_model.get_layers()
    }
    print(json.dumps({
        "import_s": t_convert - t_import,
        "convert_s": t_write - t_convert,
        "write_s": t_compile - t_write,
        "compile_s": t_predict - t_compile,
        "predict_s_per_sample": (t_done - t_predict) / x.shape[0],
        "input_precision": input_type,
        "types": types,
    }))


if __name__ == "__main__":
    main()
