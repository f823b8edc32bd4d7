"""The training and Hessian peer of the benches: the same MLP in JAX on the CPU.

Usage:
  jax_peer.py train X.npy LABELS.npy --widths 16,64,32,32,5 --batch 1024 --epochs N
  jax_peer.py hessian X.npy LABELS.npy --widths 16,64,32,32,5 --batch 1024 --reps N

X is float32 [n, features], LABELS int [n]. The model is a float32 MLP with ReLU between dense
layers and softmax cross-entropy on the logits, initialised like PyTorch's Linear (uniform in
+-1/sqrt(fan_in)). `train` runs one warm-up epoch (compilation), then N epochs of Adam
(lr 1e-3, shuffled batches, the last partial batch kept) with every step jitted; the median and
fastest wall time per epoch are reported. `hessian` times, interleaved, the gradient of the loss
with respect to the weight matrices and one exact Hessian-vector product (forward-over-reverse,
jax.jvp of jax.grad) with a Rademacher direction, on one batch; medians and minima of N
repetitions. Prints one JSON object on the last line.
"""
import argparse
import json
import statistics
import time

import numpy as np
import jax
import jax.numpy as jnp


def init(widths, key):
    params = []
    for fan_in, fan_out in zip(widths[:-1], widths[1:]):
        key, kw, kb = jax.random.split(key, 3)
        bound = 1.0 / np.sqrt(fan_in)
        params.append((jax.random.uniform(kw, (fan_in, fan_out), jnp.float32, -bound, bound),
                       jax.random.uniform(kb, (fan_out,), jnp.float32, -bound, bound)))
    return params


def logits(params, x):
    for i, (w, b) in enumerate(params):
        x = x @ w + b
        if i + 1 < len(params):
            x = jax.nn.relu(x)
    return x


def loss(params, x, y):
    return -jnp.mean(jnp.take_along_axis(jax.nn.log_softmax(logits(params, x)), y[:, None], axis=1))


def adam_step(lr=1e-3, b1=0.9, b2=0.999, eps=1e-8):
    @jax.jit
    def step(params, m, v, t, x, y):
        g = jax.grad(loss)(params, x, y)
        m = jax.tree_util.tree_map(lambda m, g: b1 * m + (1 - b1) * g, m, g)
        v = jax.tree_util.tree_map(lambda v, g: b2 * v + (1 - b2) * g * g, v, g)
        mh = jax.tree_util.tree_map(lambda m: m / (1 - b1 ** t), m)
        vh = jax.tree_util.tree_map(lambda v: v / (1 - b2 ** t), v)
        params = jax.tree_util.tree_map(lambda p, m, v: p - lr * m / (jnp.sqrt(v) + eps), params, mh, vh)
        return params, m, v
    return step


def train(a, x, y):
    params = init(a.widths, jax.random.PRNGKey(0))
    m = jax.tree_util.tree_map(jnp.zeros_like, params)
    v = jax.tree_util.tree_map(jnp.zeros_like, params)
    step = adam_step()
    rng = np.random.default_rng(0)
    t = 0
    times = []
    for epoch in range(a.epochs + 1):
        start = time.perf_counter()
        order = rng.permutation(len(x))
        for lo in range(0, len(x), a.batch):
            idx = order[lo:lo + a.batch]
            t += 1
            params, m, v = step(params, m, v, t, x[idx], y[idx])
        jax.block_until_ready(params)
        if epoch > 0:  # epoch 0 compiles
            times.append(time.perf_counter() - start)
    return {"median_s_per_epoch": statistics.median(times), "min_s_per_epoch": min(times),
            "epochs": a.epochs, "samples": len(x)}


def hessian(a, x, y):
    params = init(a.widths, jax.random.PRNGKey(0))
    xb, yb = jnp.asarray(x[:a.batch]), jnp.asarray(y[:a.batch])
    biases = [b for _, b in params]

    def weight_loss(ws):
        return loss([(w, b) for w, b in zip(ws, biases)], xb, yb)

    ws = [w for w, _ in params]
    key = jax.random.PRNGKey(1)
    vs = [jnp.where(jax.random.bernoulli(k, 0.5, w.shape), 1.0, -1.0).astype(jnp.float32)
          for k, w in zip(jax.random.split(key, len(ws)), ws)]
    grad = jax.jit(jax.grad(weight_loss))
    hvp = jax.jit(lambda ws, vs: jax.jvp(jax.grad(weight_loss), (ws,), (vs,))[1])
    jax.block_until_ready(grad(ws))
    jax.block_until_ready(hvp(ws, vs))
    tg, th = [], []
    for _ in range(a.reps):
        s = time.perf_counter()
        jax.block_until_ready(grad(ws))
        tg.append(time.perf_counter() - s)
        s = time.perf_counter()
        jax.block_until_ready(hvp(ws, vs))
        th.append(time.perf_counter() - s)
    return {"gradient_median_s": statistics.median(tg), "gradient_min_s": min(tg),
            "hvp_median_s": statistics.median(th), "hvp_min_s": min(th), "reps": a.reps, "batch": a.batch}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("what", choices=["train", "hessian"])
    p.add_argument("x")
    p.add_argument("labels")
    p.add_argument("--widths", type=lambda s: [int(w) for w in s.split(",")], default=[16, 64, 32, 32, 5])
    p.add_argument("--batch", type=int, default=1024)
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--reps", type=int, default=100)
    a = p.parse_args()
    x = np.ascontiguousarray(np.load(a.x).astype(np.float32))
    y = np.asarray(np.load(a.labels)).astype(np.int32)
    out = train(a, x, y) if a.what == "train" else hessian(a, x, y)
    out["jax"] = jax.__version__
    out["devices"] = [str(d) for d in jax.devices()]
    print(json.dumps(out))


if __name__ == "__main__":
    main()
