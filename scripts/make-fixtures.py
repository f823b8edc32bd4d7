#!/usr/bin/env python3
"""Regenerates the generated test fixtures under testdata/ with the pinned Python reference tools.

    bash scripts/setup-python.sh                     # once: makes .venv-ref
    .venv-ref/bin/python scripts/make-fixtures.py    # from the repository root

Writes (and only writes) these files:
  testdata/qonnx-vectors/{quant,bipolarquant,trunc_v1,trunc_v2}.json
      single-node cases of the QONNX ops, computed with qonnx `execute_onnx`
  testdata/model-outputs/<model>.json
      64 inputs per model in testdata/models/ and the model's outputs for them, with and without
      the final Softmax

Every float32 value is also written as its bit pattern (8 hex digits), which keeps the sign of
zero. The inputs come from fixed seeds, and onnxruntime runs on one thread, so two runs give
identical bytes.
"""

import copy
import json
import sys
from importlib.metadata import version
from pathlib import Path

import numpy as np
import onnx
import onnxruntime
from onnx import TensorProto, helper, numpy_helper
from onnx.reference import ReferenceEvaluator
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.core.onnx_exec import execute_onnx
from qonnx.util.cleanup import cleanup_model

ROOT = Path(__file__).resolve().parent.parent
TESTDATA = ROOT / "testdata"

# The versions scripts/setup-python.sh pins; other versions may give other bits.
PINNED = {"qonnx": "1.0.0", "numpy": "2.4.6", "onnx": "1.23.2", "onnxruntime": "1.32.0"}

QONNX_DOMAIN = "qonnx.custom_op.general"
ROUNDING_MODES = ["ROUND", "HALF_EVEN", "HALF_UP", "HALF_DOWN", "CEIL", "FLOOR", "UP", "DOWN"]

# One seed per fixture file, so that editing one file's cases leaves the others unchanged.
SEED_QUANT = 101
SEED_BIPOLAR = 102
SEED_TRUNC_V1 = 103
SEED_TRUNC_V2 = 104
SEED_MODEL_INPUTS = 7


# ---------------------------------------------------------------------------------------------
# Small helpers


def f32(values):
    """A float32 numpy array."""
    return np.asarray(values, dtype=np.float32)


def hex_bits(a):
    """The float32 bit patterns of `a`, flattened, as 8-digit lowercase hex strings."""
    return [format(int(b), "08x") for b in f32(a).ravel().view(np.uint32)]


def flat_tensor(a):
    """{shape, data} with the data flattened (the layout of the qonnx-vectors files)."""
    a = f32(a)
    return {"shape": list(a.shape), "data": a.ravel().tolist()}


def write_json(rel, doc):
    """Writes `doc` to testdata/<rel> (one value per line, trailing newline)."""
    path = TESTDATA / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=1) + "\n")
    print(f"wrote {path.relative_to(ROOT)}")


def uniform(rng, n, lo, hi):
    """`n` random float32 values in [lo, hi)."""
    return f32(rng.uniform(lo, hi, n))


def on_grid(rng, n, lo, hi, step):
    """`n` random multiples of `step` in [lo, hi]; a grid of halves hits rounding ties."""
    return f32(rng.integers(round(lo / step), round(hi / step), n, endpoint=True) * step)


# ---------------------------------------------------------------------------------------------
# The single-node case runner (qonnx-vectors)


def run_case(op_type, opset, inputs, attributes):
    """Runs one QONNX node through qonnx `execute_onnx` and returns its float32 output.

    `inputs` is an ordered dict name -> float32 array: the first is the graph input, the
    others are initializers. `opset` is the version of the QONNX domain in the model's
    opset imports (for Trunc, 1 selects Trunc v1 and 2 selects Trunc v2)."""
    names = list(inputs)
    x = f32(inputs[names[0]])
    out_shape = np.broadcast_shapes(*[np.shape(v) for v in inputs.values()])
    node = helper.make_node(op_type, names, ["y"], domain=QONNX_DOMAIN, **attributes)
    graph = helper.make_graph(
        [node],
        "case",
        [helper.make_tensor_value_info(names[0], TensorProto.FLOAT, list(x.shape))],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, list(out_shape))],
        initializer=[numpy_helper.from_array(f32(inputs[n]), n) for n in names[1:]],
    )
    opsets = [helper.make_opsetid("", 13), helper.make_opsetid(QONNX_DOMAIN, opset)]
    model = ModelWrapper(helper.make_model(graph, opset_imports=opsets))
    return f32(execute_onnx(model, {names[0]: x})["y"])


def case(name, op_type, opset, note, inputs, attributes):
    """One case in the JSON layout the Rust tests read, its output computed by qonnx."""
    inputs = {k: f32(v) for k, v in inputs.items()}
    y = run_case(op_type, opset, inputs, attributes)
    return {
        "name": name,
        "op_type": op_type,
        "domain": QONNX_DOMAIN,
        "domain_opset": opset,
        "note": note,
        "inputs": {k: flat_tensor(v) for k, v in inputs.items()},
        "input_order": list(inputs),
        "attributes": attributes,
        "output": {"shape": list(y.shape), "dtype": "float32", "data": y.ravel().tolist(), "f32_bits": hex_bits(y)},
    }


def vectors_doc(cases):
    return {"versions": {"qonnx": version("qonnx"), "numpy": version("numpy")}, "cases": cases}


def quant(name, note, x, scale, zeropt, bits, signed, narrow, mode="ROUND"):
    """A Quant case (inputs x, scale, zeropt, bitwidth)."""
    inputs = {"x": x, "scale": scale, "zeropt": zeropt, "bitwidth": bits}
    attrs = {"signed": signed, "narrow": narrow, "rounding_mode": mode}
    return case(name, "Quant", 1, note, inputs, attrs)


def int_range(bits, signed, narrow):
    """The integer range [lo, hi] of a Quant with these settings."""
    if signed:
        return -(2 ** (bits - 1)) + narrow, 2 ** (bits - 1) - 1
    return 0, 2**bits - 1 - narrow


# ---------------------------------------------------------------------------------------------
# qonnx-vectors/quant.json


def quant_cases():
    rng = np.random.default_rng(SEED_QUANT)
    cases = []

    # Exact .5 ties, the float32 neighbours of 0.5 and 1.5, both zeros, under every rounding mode
    # (the same x for all modes).
    half = f32(0.5)
    x = np.concatenate(
        [
            f32([-3.5, -2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.5]),
            f32([np.nextafter(half, 0), -np.nextafter(half, 0), np.nextafter(f32(1.5), 2), -np.nextafter(f32(1.5), 2)]),
            f32([-0.0, 0.0]),
            uniform(rng, 6, -4, 4),
        ]
    )
    for mode in ROUNDING_MODES:
        note = f"{mode} on exact .5 ties, their float32 neighbours and both zeros (signed 8 bit, scale 1)"
        cases.append(quant(f"quant_ties_{mode.lower()}", note, x, 1.0, 0.0, 8.0, 1, 0, mode))

    # Signed/unsigned, wide/narrow at 4 bits, on a grid of halves that runs past both ends.
    x = np.concatenate([f32(np.arange(-10, 17.5, 0.5)), uniform(rng, 4, -12, 20)])
    for signed in (1, 0):
        for narrow in (0, 1):
            lo, hi = int_range(4, signed, narrow)
            note = f"{'signed' if signed else 'unsigned'} 4 bit {'narrow' if narrow else 'wide'}: clamp to [{lo},{hi}]"
            cases.append(quant(f"quant_s{signed}_n{narrow}_b4", note, x, 1.0, 0.0, 4.0, signed, narrow))

    # Every bit width 1..16, signed and unsigned, with a power-of-two scale: points at and around
    # both ends of the range (ties included) and around zero, plus random values past the ends.
    for bits in range(1, 17):
        for signed in (1, 0):
            lo, hi = int_range(bits, signed, 0)
            scale = f32(2.0 ** -(bits % 4))
            pts = [lo - 2, lo - 1, lo - 0.5, lo, lo + 0.5, -1.5, -0.5, -0.0, 0.0, 0.5, 1.5]
            pts += [hi - 0.5, hi, hi + 0.5, hi + 1, hi + 2]
            span = hi - lo + 1
            ints = np.concatenate([f32(pts), uniform(rng, 6, lo - span / 4 - 1, hi + span / 4 + 1)])
            note = f"range [{lo},{hi}], scale {float(scale)}"
            if bits == 1 and signed:
                note = "bitwidth 1 signed: qonnx's bipolar path, x/s+zp >= 0 -> +1 else -1, no clamp or rounding"
            kind = "signed" if signed else "unsigned"
            cases.append(quant(f"quant_b{bits}_{kind}", note, ints * scale, scale, 0.0, float(bits), signed, 0))

    # Scales that are not powers of two: x/s is inexact in float32, so values near ties fall
    # either way. (k + 1/2) * s and k * s computed in float32, plus random values.
    for name, scale, bits, signed, narrow in [
        ("quant_scale0p1", 0.1, 8, 1, 0),
        ("quant_scale_third_narrow", 1 / 3, 4, 1, 1),
        ("quant_scale0p3_unsigned", 0.3, 4, 0, 0),
        ("quant_scale_random", float(rng.uniform(0.05, 2.0)), 6, 1, 0),
    ]:
        s = f32(scale)
        lo, hi = int_range(bits, signed, narrow)
        ks = f32([lo - 1, lo, -3, -2, -1, 0, 1, 2, hi - 1, hi])
        x = np.concatenate([(ks + f32(0.5)) * s, ks * s, uniform(rng, 4, (lo - 2) * scale, (hi + 2) * scale)])
        note = f"scale {float(s)} (float32), not a power of two"
        cases.append(quant(name, note, x, s, 0.0, float(bits), signed, narrow))

    # Zero-points: y = (round(clamp(x/s + zp)) - zp) * s, integer and fractional zp.
    for name, zp, scale, signed, narrow, mode in [
        ("quant_zp3_unsigned", 3.0, 0.5, 0, 0, "ROUND"),
        ("quant_zpm2_signed", -2.0, 0.25, 1, 0, "ROUND"),
        ("quant_zp0p5_unsigned", 0.5, 0.5, 0, 0, "ROUND"),
        ("quant_zp1_signed_narrow_floor", 1.0, 1.0, 1, 1, "FLOOR"),
    ]:
        lo, hi = int_range(4, signed, narrow)
        grid = f32(np.arange(lo - zp - 2, hi - zp + 2.5, 0.5)) * f32(scale)
        x = np.concatenate([grid, uniform(rng, 4, (lo - zp - 3) * scale, (hi - zp + 3) * scale)])
        note = f"zero-point {zp}, 4 bit {'signed' if signed else 'unsigned'}, scale {scale}"
        cases.append(quant(name, note, x, scale, zp, 4.0, signed, narrow, mode))

    # Per-channel scales, broadcast numpy-style: along the last axis, along rows, and a
    # [3,1] scale over a rank-3 input.
    def mixed(shape):
        """Half on a grid of quarters (ties for some scales), half arbitrary, in [-6, 6]."""
        n = int(np.prod(shape))
        return np.where(rng.random(n) < 0.5, on_grid(rng, n, -6, 6, 0.25), uniform(rng, n, -6, 6)).reshape(shape)

    cases.append(
        quant("quant_perchannel_col_scale", "scale shape [4] broadcast over the last axis",
              mixed((3, 4)), f32([0.5, 0.2, 0.125, 1.5]), 0.0, 4.0, 1, 0)
    )
    cases.append(
        quant("quant_perchannel_row_scale", "scale shape [3,1]: one scale per row, narrow 3 bit",
              mixed((3, 4)), f32([[0.5], [0.1], [2.0]]), 0.0, 3.0, 1, 1)
    )
    cases.append(
        quant("quant_perchannel_rank3", "input [2,3,4], scale [3,1], unsigned 5 bit",
              mixed((2, 3, 4)), f32([[0.25], [0.3], [1.0]]), 0.0, 5.0, 0, 0)
    )
    return cases


# ---------------------------------------------------------------------------------------------
# qonnx-vectors/bipolarquant.json


def bipolar_cases():
    rng = np.random.default_rng(SEED_BIPOLAR)

    def bipolar(name, note, x, scale):
        return case(name, "BipolarQuant", 1, note, {"x": x, "scale": scale}, {})

    tiny = f32(1e-7)
    edges = f32([-2.0, -tiny, -0.0, 0.0, tiny, 0.5, 3.0])
    return [
        bipolar("bipolar_unit", "x >= 0 -> +1 (-0.0 included), else -1",
                np.concatenate([edges, f32(rng.normal(0, 2, 5))]), 1.0),
        bipolar("bipolar_scale0p5", "", np.concatenate([f32([-1.0, -0.0, 0.0, 1.0]), uniform(rng, 4, -3, 3)]), 0.5),
        bipolar("bipolar_scale0p3", "scale not a power of two",
                np.concatenate([f32([-1.0, 0.0]), uniform(rng, 3, -3, 3)]), 0.3),
        bipolar("bipolar_perchannel", "scale shape [3] broadcast over the last axis",
                np.concatenate([f32([-1.0, 0.0, -0.0]), uniform(rng, 3, -3, 3)]).reshape(2, 3), f32([0.25, 2.0, 0.1])),
        bipolar("bipolar_random_scale", "", uniform(rng, 6, -3, 3), float(rng.uniform(0.01, 4.0))),
    ]


# ---------------------------------------------------------------------------------------------
# qonnx-vectors/trunc_v1.json and trunc_v2.json


# Integers of an 8-bit signed input near multiples of 16 (the 8 -> 4 bit step), and halves
# (Trunc first rounds x/s + zp half to even).
INTS_8BIT = [-128, -127, -120, -24, -17, -16, -15, -9, -8, -7, -1, 0, 1, 7, 8, 9, 15, 16, 17, 24, 119, 127]
HALVES = [-8.5, -0.5, 0.5, 7.5]


def trunc_input(rng, ints, lo, hi, scale=1.0):
    """Chosen integers, halves and random integers in [lo, hi], times `scale` (float32)."""
    x = np.concatenate([f32(ints), f32(HALVES), f32(rng.integers(lo, hi, 6, endpoint=True))])
    return x * f32(scale)


def trunc1(name, note, x, scale, zeropt, in_bits, out_bits, mode):
    """A Trunc v1 case (QONNX domain opset 1)."""
    inputs = {"x": x, "scale": scale, "zeropt": zeropt, "in_bitwidth": in_bits, "out_bitwidth": out_bits}
    return case(name, "Trunc", 1, note, inputs, {"rounding_mode": mode})


def trunc_v1_cases():
    rng = np.random.default_rng(SEED_TRUNC_V1)
    cases = []
    x = trunc_input(rng, INTS_8BIT, -128, 127)
    for mode in ROUNDING_MODES:
        note = "v1: y = (mode(round(x/s + zp) / 2^(in-out)) - zp) * s; keeps the input scale, no clamp"
        cases.append(trunc1(f"trunc1_8to4_{mode.lower()}", note, x, 1.0, 0.0, 8.0, 4.0, mode))
    x = trunc_input(rng, INTS_8BIT, -128, 127, 0.25)
    cases.append(trunc1("trunc1_8to6_floor_scale0p25", "", x, 0.25, 0.0, 8.0, 6.0, "FLOOR"))
    x = trunc_input(rng, [-32768, -32767, -300, -256, -255, -1, 0, 255, 256, 300, 32767], -32768, 32767)
    cases.append(trunc1("trunc1_16to8_floor", "", x, 1.0, 0.0, 16.0, 8.0, "FLOOR"))
    x = np.concatenate([f32([-3.4, -2.5, -1.5, 0.5, 1.5, 2.6]), uniform(rng, 4, -8, 8)])
    cases.append(trunc1("trunc1_same_bits", "in == out: only the first round-half-to-even applies",
                        x, 1.0, 0.0, 8.0, 8.0, "FLOOR"))
    x = trunc_input(rng, INTS_8BIT, -128, 127)
    cases.append(trunc1("trunc1_zp2", "zero-point 2", x, 1.0, 2.0, 8.0, 5.0, "FLOOR"))
    x = trunc_input(rng, INTS_8BIT, -128, 127, 0.3)
    cases.append(trunc1("trunc1_scale0p3", "scale not a power of two", x, 0.3, 0.0, 8.0, 4.0, "ROUND"))
    return cases


def trunc2(name, note, x, scale, zeropt, in_bits, out_scale, out_bits, mode, signed=1, narrow=0):
    """A Trunc v2 case (QONNX domain opset 2)."""
    inputs = {"x": x, "scale": scale, "zeropt": zeropt, "in_bitwidth": in_bits, "out_scale": out_scale,
              "out_bitwidth": out_bits}
    attrs = {"rounding_mode": mode, "signed": signed, "narrow": narrow}
    return case(name, "Trunc", 2, note, inputs, attrs)


def trunc_v2_cases():
    rng = np.random.default_rng(SEED_TRUNC_V2)
    cases = []
    x = trunc_input(rng, INTS_8BIT, -128, 127)
    for mode in ROUNDING_MODES:
        note = ("v2: t = 2^round(log2(out_scale/s)); y = (mode(clamp(round(x/s + zp) / t)) - zp/t) * out_scale; "
                "clamp to the output range before rounding")
        cases.append(trunc2(f"trunc2_8to4_{mode.lower()}_signed", note, x, 1.0, 0.0, 8.0, 16.0, 4.0, mode))
    cases.append(trunc2("trunc2_8to4_floor_narrow", "narrow output range", x, 1.0, 0.0, 8.0, 16.0, 4.0, "FLOOR",
                        narrow=1))
    x = trunc_input(rng, [0, 1, 15, 16, 17, 31, 32, 200, 255, -5], 0, 255)
    cases.append(trunc2("trunc2_8to4_floor_unsigned", "unsigned output; negative inputs clamp to 0",
                        x, 1.0, 0.0, 8.0, 16.0, 4.0, "FLOOR", signed=0))
    x = trunc_input(rng, INTS_8BIT, -128, 127, 0.5)
    cases.append(trunc2("trunc2_scale0p5_to_2", "", x, 0.5, 0.0, 8.0, 2.0, 5.0, "FLOOR"))
    x = trunc_input(rng, INTS_8BIT, -128, 127)
    cases.append(trunc2("trunc2_nonpow2_ratio", "out_scale/s = 12: t = 16, but the output is multiplied by 12",
                        x, 1.0, 0.0, 8.0, 12.0, 4.0, "FLOOR"))
    cases.append(trunc2("trunc2_zp4", "output zero-point = zp / t", x, 1.0, 4.0, 8.0, 4.0, 6.0, "FLOOR"))
    x = trunc_input(rng, [-32768, -32767, -300, -256, -255, -1, 0, 255, 256, 300, 32767], -32768, 32767)
    cases.append(trunc2("trunc2_16to8_round", "", x, 1.0, 0.0, 16.0, 256.0, 8.0, "ROUND"))
    return cases


# ---------------------------------------------------------------------------------------------
# model-outputs/<model>.json


# The models in testdata/models/, in the order their inputs are drawn from one generator.
MODELS = ["qkeras_jettagging", "three_layer_bn_pytorch", "three_layer_keras", "three_layer_pytorch"]
# How each model runs: the QONNX model through qonnx; the float models through onnxruntime,
# except the opset-6 BatchNormalization model, which onnxruntime cannot run (no Gemm(6)).
RUNNER = {
    "qkeras_jettagging": "qonnx",
    "three_layer_bn_pytorch": "reference",
    "three_layer_keras": "onnxruntime",
    "three_layer_pytorch": "onnxruntime",
}


def model_inputs(rng):
    """64 samples of 16 features on a 2^-10 grid: 32 uniform in [-1, 1], then 32 normal with
    sigma 1.5 clipped to [-8, 8]."""
    u = rng.uniform(-1.0, 1.0, (32, 16))
    n = np.clip(rng.normal(0.0, 1.5, (32, 16)), -8.0, 8.0)
    return f32(np.round(np.concatenate([u, n]) * 1024) / 1024)


def drop_softmax(graph, output_vi=None):
    """Removes the Softmax that makes the graph output; its input becomes the output (with
    `output_vi` as its value info when given, else with no shape)."""
    out = graph.output[0].name
    node = next(n for n in graph.node if out in n.output)
    assert node.op_type == "Softmax", node.op_type
    graph.node.remove(node)
    del graph.output[:]
    if output_vi is None:
        output_vi = helper.make_empty_tensor_value_info(node.input[0])
    graph.output.append(output_vi)
    return node.input[0]


def qonnx_runner(path):
    """(run, run_logits, description): qonnx execute_onnx after cleanup_model, one sample a call."""
    model = cleanup_model(ModelWrapper(str(path)))
    # The logits model: the Softmax input's value info (shape known after cleanup) moves from
    # value_info to the graph outputs.
    logits = copy.deepcopy(model)
    softmax = logits.find_producer(logits.graph.output[0].name)
    vi = logits.get_tensor_valueinfo(softmax.input[0])
    logits.graph.value_info.remove(vi)
    drop_softmax(logits.graph, copy.deepcopy(vi))

    def runner(m):
        inp, out = m.graph.input[0].name, m.graph.output[0].name
        return lambda row: execute_onnx(m, {inp: row})[out]

    desc = f"qonnx {version('qonnx')} execute_onnx after cleanup_model, one sample per call"
    return runner(model), runner(logits), desc


def batch_one(path):
    """The float model with its batch dimension set to 1 (intermediate shapes dropped)."""
    m = onnx.load(str(path))
    del m.graph.value_info[:]
    for vi in [m.graph.input[0], *m.graph.output]:
        vi.type.tensor_type.shape.dim[0].dim_value = 1
    logits = copy.deepcopy(m)
    drop_softmax(logits.graph)
    return m, logits


def onnxruntime_runner(path):
    """(run, run_logits, description): onnxruntime on one thread, one sample a call."""

    def runner(m):
        opts = onnxruntime.SessionOptions()
        opts.intra_op_num_threads = 1
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3
        s = onnxruntime.InferenceSession(m.SerializeToString(), opts, providers=["CPUExecutionProvider"])
        inp = m.graph.input[0].name
        return lambda row: s.run(None, {inp: row})[0]

    m, logits = batch_one(path)
    return runner(m), runner(logits), f"onnxruntime {version('onnxruntime')}, batch dimension set to 1"


def reference_runner(path):
    """(run, run_logits, description): onnx's reference evaluator, one sample a call."""

    def runner(m):
        ev = ReferenceEvaluator(m)
        inp = m.graph.input[0].name
        return lambda row: ev.run(None, {inp: row})[0]

    m, logits = batch_one(path)
    desc = f"onnx.reference.ReferenceEvaluator (onnx {version('onnx')}), batch dimension set to 1"
    return runner(m), runner(logits), desc


def nested_tensor(a, with_bits):
    """{shape, data} with nested data rows (the layout of the model-outputs files)."""
    a = f32(a)
    t = {"shape": list(a.shape), "data": a.tolist()}
    if with_bits:
        t["f32_bits"] = hex_bits(a)
    return t


def model_output_doc(name, x):
    """The model-outputs document of one model for inputs `x` [64, 16]."""
    path = TESTDATA / "models" / f"{name}.onnx"
    make = {"qonnx": qonnx_runner, "onnxruntime": onnxruntime_runner, "reference": reference_runner}[RUNNER[name]]
    run, run_logits, desc = make(path)
    rows = [x[i : i + 1] for i in range(len(x))]
    outputs = np.concatenate([run(r) for r in rows])
    logits = np.concatenate([run_logits(r) for r in rows])
    return {
        "model": path.name,
        "input_name": onnx.load(str(path)).graph.input[0].name,
        "runner": desc,
        "seed": SEED_MODEL_INPUTS,
        "inputs": nested_tensor(x, False),
        "outputs": nested_tensor(outputs, True),
        "logits": nested_tensor(logits, True),
    }


def model_outputs():
    """One generator for all models, drawn in the order of MODELS."""
    rng = np.random.default_rng(SEED_MODEL_INPUTS)
    for name in MODELS:
        write_json(f"model-outputs/{name}.json", model_output_doc(name, model_inputs(rng)))


# ---------------------------------------------------------------------------------------------


def check_versions():
    found = {name: version(name) for name in PINNED}
    if found != PINNED:
        sys.exit(f"make-fixtures: need {PINNED}, found {found}; run scripts/setup-python.sh and use .venv-ref/bin/python")


def main():
    check_versions()
    write_json("qonnx-vectors/quant.json", vectors_doc(quant_cases()))
    write_json("qonnx-vectors/bipolarquant.json", vectors_doc(bipolar_cases()))
    write_json("qonnx-vectors/trunc_v1.json", vectors_doc(trunc_v1_cases()))
    write_json("qonnx-vectors/trunc_v2.json", vectors_doc(trunc_v2_cases()))
    model_outputs()


if __name__ == "__main__":
    main()
