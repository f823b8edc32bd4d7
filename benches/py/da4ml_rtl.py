"""Writes da4ml's pipelined Verilog for a fixed-point MLP described in JSON (the same integer
weights and bit widths our RTL writer builds), so that both go through the same Yosys flow.

Usage: da4ml_rtl.py MODEL.json OUT_DIR LATENCY_CUTOFF
MODEL.json: {"name", "n_inputs", "input": [k, i, f],
             "layers": [{"dense": {"w": [[...]] (n_in x n_out, real values), "b": [...]}},
                        {"relu": {}}, {"quant": {"kif": [k, i, f], "round": "TRN"|"RND",
                                                  "overflow": "WRAP"|"SAT"|"SAT_SYM"}}]}
Prints one JSON line: the top module, the Verilog files (relative to OUT_DIR/src), da4ml's adder
count and its estimated cost.
"""
import importlib.metadata
import json
import sys
from pathlib import Path

import numpy as np
from da4ml.codegen import VerilogModel
from da4ml.trace import FixedVariableArrayInput, HWConfig, comb_trace
from da4ml.trace.ops import quantize, relu


def main():
    spec = json.loads(Path(sys.argv[1]).read_text())
    out = Path(sys.argv[2])
    cutoff = float(sys.argv[3])
    inp = FixedVariableArrayInput(spec["n_inputs"], hwconf=HWConfig(1, -1, -1))
    k, i, f = spec["input"]
    x = quantize(inp, k, i, f)
    for layer in spec["layers"]:
        if "dense" in layer:
            d = layer["dense"]
            x = x @ np.array(d["w"], dtype=np.float64) + np.array(d["b"], dtype=np.float64)
        elif "relu" in layer:
            x = relu(x)
        elif "quant" in layer:
            q = layer["quant"]
            k, i, f = q["kif"]
            x = quantize(x, k, i, f, overflow_mode=q["overflow"], round_mode=q["round"])
        else:
            raise ValueError(f"unknown layer {layer}")
    comb = comb_trace(inp, x, keep_dead_inputs=True)
    name = spec["name"]
    model = VerilogModel(comb, name, out, latency_cutoff=cutoff, print_latency=False)
    model.write()
    src = out / "src"
    used = [p.name for p in sorted(src.glob(f"{name}*.v")) if p.name != f"{name}_wrapper.v"]
    static = [f"static/{p.name}" for p in sorted((src / "static").glob("*.v")) if p.name != "lookup_table.v"]
    adders = sum(1 for op in comb.ops if op.opcode in (0, 1))
    print(json.dumps({"top": name, "dir": str(src), "files": used + static, "adders": adders, "cost": float(comb.cost),
                      "da4ml": importlib.metadata.version("da4ml")}))


if __name__ == "__main__":
    main()
