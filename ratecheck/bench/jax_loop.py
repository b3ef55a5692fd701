r"""The JAX loop a competent user would write for a benchmark workload.

``jax.lax.fori_loop`` over the steps between two checkpoints, under ``jit``, in float64, with
optax's optimizer where optax has it (``adam``; ``amsgrad`` with the bias corrections off, which
is the paper's convention, with step α/√t, t = optax's zero-based ``count`` + 1;
``contrib.adopt`` with α/√(1 + c·count)) and the update written in ``jax.numpy`` where it does not
(clipped Adam with model EMA, Ahn & Cutkosky's Algorithm 1 with Exp(1) scaling and the (λ,ε)
certificate's time sums). Keys from the ``rbg`` generator, JAX's faster documented alternative to
the default threefry (threefry measured about 1.5× slower here). At each checkpoint the metrics
are computed and copied to the host, as a simulation records them.

JAX and optax are optional (``pip install -e '.[bench]'``): they are imported inside the
functions, and :func:`available` says whether they are installed.
"""
from __future__ import annotations

import time

import numpy as np

from .workloads import Workload

__all__ = ["available", "run"]


def available() -> str | None:
    """``"jax X, optax Y"`` when both are installed, else ``None``."""
    try:
        import jax
        import optax
    except ImportError:
        return None
    return f"jax {jax.__version__}, optax {optax.__version__}"


def run(w: Workload, steps: int, grid: np.ndarray, *, warm_steps: int = 3) -> float:
    """Seconds of the JAX loop for ``steps`` steps (compiled first on ``warm_steps``)."""
    import jax
    import jax.numpy as jnp
    import optax
    jax.config.update("jax_enable_x64", True)
    problem, opt = w.build()
    reps, d = w.replicates, problem.dim
    key0 = jax.random.key(w.seed, impl="rbg")
    x0 = jnp.asarray(np.broadcast_to(problem.initial_point(), (reps, d)).copy())
    f64 = jnp.float64
    name = problem.name

    if name == "quadratic":
        s = jnp.asarray(problem.scales) if problem.scales is not None else jnp.ones(d)
        h, c = jnp.asarray(problem.hessian_diagonal), jnp.asarray(problem.center)

        def grad(x):
            return s * (h * (s * x - c))

        def value(x):
            r = s * x - c
            return 0.5 * jnp.sum(h * r * r, axis=1)
    elif name == "cosine_well":
        a, b = problem.a, problem.b

        def grad(x):
            return x + a * b * jnp.sin(b * x)

        def value(x):
            return 0.5 * jnp.sum(x * x, axis=1) + 2 * a * jnp.sum(jnp.sin(0.5 * b * x) ** 2, axis=1)
    elif name == "nonsmooth_well":
        a, b = problem.a, problem.b

        def grad(x):
            return jnp.sign(x) + a * b * jnp.sin(b * x)

        def value(x):
            return jnp.sum(jnp.abs(x) + 2 * a * jnp.sin(0.5 * b * x) ** 2, axis=1)
    else:  # adopt_toy
        k = problem.k

        def grad(x):
            return jnp.ones_like(x)

        def value(x):
            return x[:, 0]
    sigma = problem.noise.sigma if problem.noise.kind == "gaussian" else 0.0

    def noisy(x, key):
        return grad(x) + sigma * jax.random.normal(key, x.shape, dtype=f64)

    oname = opt.name
    if oname in ("adam", "amsgrad", "adopt"):
        if oname == "adam":
            tx = optax.adam(opt.lr.lr, b1=opt.beta1, b2=opt.beta2, eps=opt.eps)
        elif oname == "amsgrad":
            lr = opt.lr.lr
            tx = optax.amsgrad(lambda count: lr / jnp.sqrt(count + 1.0), b1=opt.beta1, b2=opt.beta2,
                               eps=opt.eps, bias_correction_mu=False, bias_correction_nu=False)
        else:
            lr, cc = opt.lr.lr, opt.lr.c
            tx = optax.contrib.adopt(lambda count: lr / jnp.sqrt(1.0 + cc * count), b1=opt.beta1,
                                     b2=opt.beta2, eps=opt.eps)

        def body(i, carry):
            x, st, key, rmin, rsum, rgap = carry
            key, sub = jax.random.split(key)
            if name == "adopt_toy":
                u = jax.random.uniform(sub, x.shape, dtype=f64)
                g = jnp.where(u < 1.0 / k, k * k, -k)
            else:
                if w.running:
                    gx = grad(x)
                    gn = jnp.sum(gx * gx, axis=1)
                    rmin, rsum = jnp.minimum(rmin, gn), rsum + gn
                    rgap = jnp.minimum(rgap, value(x))
                g = noisy(x, sub)
            upd, st = tx.update(g, st, x)
            x = optax.apply_updates(x, upd)
            if name == "adopt_toy":
                x = jnp.clip(x, -1.0, 1.0)
            return x, st, key, rmin, rsum, rgap

        carry = (x0, tx.init(x0), key0, jnp.full(reps, jnp.inf), jnp.zeros(reps), jnp.full(reps, jnp.inf))
        point = 0

        def metrics(c):
            x = c[point]
            gx = grad(x)
            return jnp.sum(gx * gx, axis=1), value(x)
    else:  # clipped_adam_ema (Algorithm 1: Exp(1) scaling) with the certificate and its time sums
        scale, beta, D = -(opt.lr.lr * opt.clip_radius), opt.beta, opt.clip_radius
        tiny = float(np.finfo(np.float64).tiny)

        def norm(u):
            return jnp.sqrt(jnp.sum(u * u, axis=1))

        def body(i, carry):
            x, m, v, xbar, gbar, spread, sums, key, t = carry
            t = t + 1.0
            key, k1, k2 = jax.random.split(key, 3)
            z = jnp.clip(scale * m / jnp.maximum(jnp.sqrt(v), tiny), -D, D)
            x = x + jax.random.exponential(k1, (reps, 1), dtype=f64) * z     # x_t = x_{t-1} + α z
            gx = grad(x)                                                      # the gradient at x_t
            g = gx + sigma * jax.random.normal(k2, x.shape, dtype=f64)
            m = beta * m + g
            v = beta * beta * v + g * g
            a = (1 - beta) / (1 - beta ** t)                                  # EMA of the iterates
            diff = x - xbar
            spread = (1 - a) * (spread + a * jnp.sum(diff * diff, axis=1))
            gbar = gbar + a * (gx - gbar)
            xbar = xbar + a * diff
            sums = sums + jnp.stack([norm(gbar), jnp.sum(jnp.abs(gbar), axis=1), spread, norm(grad(xbar))])
            return x, m, v, xbar, gbar, spread, sums, key, t

        z = jnp.zeros((reps, d))
        carry = (x0, z, z, x0, grad(x0), jnp.zeros(reps), jnp.zeros((4, reps)), key0, jnp.zeros((), f64))
        point = 3

        def metrics(c):
            gb = grad(c[point])
            return jnp.sum(gb * gb, axis=1), norm(c[4]), jnp.sum(jnp.abs(c[4]), axis=1), c[5], c[6] / c[8]

    advance = jax.jit(lambda c, n: jax.lax.fori_loop(0, n, body, c))
    measure = jax.jit(metrics)
    jax.block_until_ready(measure(advance(carry, warm_steps)))
    start = time.perf_counter()
    done = 0
    for t in grid:
        carry = advance(carry, int(t) - done)
        done = int(t)
        np.asarray(measure(carry)[0])          # metrics to the host, as a simulation records them
    jax.block_until_ready(carry)
    return time.perf_counter() - start
