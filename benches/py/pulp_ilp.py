"""The ILP peer of benches/benches/ilp_solve.rs: PuLP with the CBC solver its wheel bundles.

Usage: pulp_ilp.py REPS PROBLEM.json...  Each file is a hawq-ilp problem table (layers with
candidates, omega and named costs; budgets; ties; fixed layers). For each, the same 0/1 model as
hawq-ilp's (one binary per candidate, one candidate per layer, every budget a <= row, tied
layers take the same candidate index, fixed layers forced) is built and solved with CBC on one
thread, REPS times; the median wall time of model build + solve, the status and the objective
are printed as one JSON object on the last line, with the median time of the solver call alone
(PuLP's `solutionTime`: writing the model for CBC, running it, reading its solution back).
"""
import json
import statistics
import sys
import time

import pulp


def solve(table):
    prob = pulp.LpProblem("bits", pulp.LpMinimize)
    x = []
    for li, layer in enumerate(table["layers"]):
        x.append([pulp.LpVariable(f"x_{li}_{ci}", cat="Binary") for ci in range(len(layer["candidates"]))])
    prob += pulp.lpSum(c["omega"] * x[li][ci]
                       for li, layer in enumerate(table["layers"])
                       for ci, c in enumerate(layer["candidates"]))
    for li in range(len(x)):
        prob += pulp.lpSum(x[li]) == 1
    for b in table.get("budgets", []):
        prob += pulp.lpSum(c["costs"].get(b["cost"], 0.0) * x[li][ci]
                           for li, layer in enumerate(table["layers"])
                           for ci, c in enumerate(layer["candidates"])) <= b["limit"]
    index = {layer["name"]: li for li, layer in enumerate(table["layers"])}
    for group in table.get("ties", []):
        first = index[group[0]]
        for name in group[1:]:
            for ci in range(len(x[first])):
                prob += x[index[name]][ci] == x[first][ci]
    for name, label in table.get("fixed", {}).items():
        li = index[name]
        ci = [c["label"] for c in table["layers"][li]["candidates"]].index(label)
        prob += x[li][ci] == 1
    prob.solve(pulp.PULP_CBC_CMD(msg=0, threads=1))
    return pulp.LpStatus[prob.status], pulp.value(prob.objective), prob.solutionTime


def main():
    reps = int(sys.argv[1])
    out = []
    for path in sys.argv[2:]:
        with open(path) as f:
            table = json.load(f)
        times, solver = [], []
        for _ in range(reps):
            t = time.perf_counter()
            status, objective, solver_s = solve(table)
            times.append(time.perf_counter() - t)
            solver.append(solver_s)
        out.append({"file": path, "status": status, "objective": objective,
                    "median_s": statistics.median(times), "min_s": min(times),
                    "solver_median_s": statistics.median(solver)})
    print(json.dumps({"pulp": pulp.__version__, "results": out}))


if __name__ == "__main__":
    main()
