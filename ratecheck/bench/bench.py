r"""``ratecheck bench``: ratecheck against JAX and PyTorch loops on the same simulations.

Each workload runs through :func:`ratecheck.simulate` and through the loop a competent user
would write instead, side by side in one run, with the same problem, noise law, optimizer,
hyperparameters, float64, and the same measurements (metrics at the same log-spaced
checkpoints; running minima every step where the workload asks for them; the (λ,ε)
certificate where it asks for it):

* **JAX**: ``jax.lax.fori_loop`` over the steps between checkpoints, under ``jit``, with optax's
  optimizer where optax has it (``adam``; ``amsgrad`` with the bias corrections off, which is
  the paper's convention; ``contrib.adopt``) and the update written in ``jax.numpy`` where it
  does not (clipped Adam with model EMA). Keys from the ``rbg`` generator, JAX's faster
  documented alternative to the default threefry (threefry measured about 1.5× slower here).
* **PyTorch**: in-place tensor operations under ``no_grad``, ``torch.optim.Adam`` (``fused=True``;
  ``amsgrad=True``, torch's convention, for AMSGrad) where torch has the optimizer, by hand
  otherwise (ADOPT, clipped Adam with model EMA). The thread count (1 or all cores) is chosen
  by a short trial run, whichever is faster.

Times exclude compilation and start-up (JIT compilation, kernel loading, worker start-up): each
implementation first runs a few steps, then the timed run; ``--repeat N`` keeps the best of N.
Throughput counts replicate·coordinate·steps per second. *noise only* is the time to draw the
same random numbers alone (the same generators and blocks as ratecheck, one thread per block up
to the number of cores), with NumPy's methods and, for Gaussian noise, with ratecheck's own fill
(:mod:`ratecheck._normal`, NumPy's algorithm compiled: the same numbers, several times faster):
the ceiling for a noisy problem under ratecheck's reproducibility contract, since each block's
numbers come from one sequential stream.

JAX, optax and torch are an optional extra (``pip install -e '.[bench]'``, with the CPU build
of torch); when they are missing the benchmark says so and still measures ratecheck.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import platform
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

__all__ = ["WORKLOADS", "Workload", "register", "cmd_bench", "run_benchmark", "format_table", "targets", "machine"]


@dataclass(frozen=True)
class Workload:
    key: str
    title: str
    problem: dict
    optimizer: dict
    steps: int
    replicates: int
    running: bool
    certificate: bool | None
    quick_steps: int
    seed: int = 0
    n_checkpoints: int = 40

    def build(self):
        from .. import optimizers, problems
        return problems.from_config(dict(self.problem)), optimizers.from_config(dict(self.optimizer))

    def work(self, steps: int) -> int:
        return self.replicates * int(self.problem.get("dim", 1)) * steps


def _scales(dim: int) -> list:
    return np.geomspace(1.0, 10.0, dim).tolist()


WORKLOADS = {w.key: w for w in [
    Workload("W1", "wide: Adam, noisy quadratic with coordinate scaling",
             {"name": "quadratic", "dim": 1000, "kappa": 100.0, "scales": _scales(1000),
              "noise": {"kind": "gaussian", "sigma": 1.0}},
             {"name": "adam", "lr": 1e-3}, steps=2000, replicates=256, running=False, certificate=None,
             quick_steps=100),
    Workload("W2", "many replicates: ADOPT on the ADOPT toy problem",
             {"name": "adopt_toy", "dim": 1, "k": 10.0},
             {"name": "adopt", "lr": {"schedule": "inv_sqrt_affine", "lr": 0.01, "c": 0.01}, "beta2": 0.5},
             steps=100_000, replicates=4096, running=False, certificate=None, quick_steps=2000),
    Workload("W3", "long: AMSGrad on a smooth nonconvex problem (running min ‖∇F‖², min F − F*)",
             {"name": "cosine_well", "dim": 10, "noise": {"kind": "gaussian", "sigma": 1.0}},
             {"name": "amsgrad", "lr": {"schedule": "inv_sqrt", "lr": 0.05}},
             steps=1_000_000, replicates=64, running=True, certificate=None, quick_steps=5000),
    Workload("W4", "O2NC: clipped Adam with model EMA (Ahn & Cutkosky's Algorithm 1) and its (λ,ε) certificate",
             {"name": "nonsmooth_well", "dim": 100, "noise": {"kind": "gaussian", "sigma": 1.0}},
             {"name": "clipped_adam_ema", "beta": 0.99, "clip_radius": 0.01},
             steps=20_000, replicates=256, running=False, certificate=True, quick_steps=500),
]}


# ------------------------------------------------------------------------------ ratecheck
def run_ratecheck(w: Workload, steps: int, *, workers="auto", engine: str = "auto", block_size: int | None = None):
    """(seconds, result) of one timed simulate call."""
    from ..sim.simulate import DEFAULT_BLOCK_SIZE, simulate
    problem, opt = w.build()
    start = time.perf_counter()
    res = simulate(problem, opt, steps=steps, replicates=w.replicates, seed=w.seed, running=w.running,
                   certificate=w.certificate, n_checkpoints=w.n_checkpoints, workers=workers, engine=engine,
                   block_size=block_size or DEFAULT_BLOCK_SIZE)
    return time.perf_counter() - start, res


def _engine_for(w: Workload, engine: str, workers) -> tuple[str, str]:
    """(engine that ``engine`` resolves to at the full size, label for the table)."""
    from ..sim import parallel as parallel
    from ..sim.simulate import DEFAULT_BLOCK_SIZE, choose_engine
    problem, opt = w.build()
    chosen = choose_engine(engine, problem, opt, work=w.work(w.steps), running=w.running,
                            certificate=bool(w.certificate))
    n_blocks = -(-w.replicates // DEFAULT_BLOCK_SIZE)
    n = parallel.resolve_workers(workers, limit=n_blocks if problem.rowwise else 1)
    threads = parallel.threads_per_part(workers, n) if chosen == "numba" and problem.rowwise else 1
    label = f"ratecheck ({chosen} engine, {n} process{'es' if n > 1 else ''}"
    return chosen, label + (f" × {threads} threads)" if threads > 1 else ")")


def _split_block_size(w: Workload, cores: int) -> int | None:
    """A block size that gives every core a block, when the default makes one block of a row-wise problem."""
    from ..sim.simulate import DEFAULT_BLOCK_SIZE
    problem, _ = w.build()
    if cores <= 1 or w.replicates > DEFAULT_BLOCK_SIZE or not problem.rowwise:
        return None
    return -(-w.replicates // cores)


# ------------------------------------------------------------------------- noise ceiling
_RAW = {"gaussian": "standard_normal", "rademacher": "random", "uniform": "random", "sparse": "random"}


def noise_draws(w: Workload, steps: int, block_size: int | None = None) -> list[tuple[str, list[int]]]:
    """[(generator method, numbers per block)] that the simulation draws."""
    from ..sim.simulate import DEFAULT_BLOCK_SIZE
    problem, opt = w.build()
    bs = block_size or DEFAULT_BLOCK_SIZE
    rows = [min(bs, w.replicates - s) for s in range(0, w.replicates, bs)]
    out = []
    kind = problem._batch_kind()
    if kind == "random":
        out.append(("random", [r * problem.dim * steps for r in rows]))
    elif kind == "additive":
        out.append((_RAW.get(problem.noise.kind, "standard_normal"), [r * problem.dim * steps for r in rows]))
    if opt.draw_method:
        out.append((opt.draw_method, [r * steps for r in rows]))
    return out


#: the two ways of drawing the noise alone: NumPy's own methods, and ratecheck's fill (Gaussian
#: numbers through the compiled copy of NumPy's algorithm, :mod:`ratecheck._normal`: the same numbers)
FILLS = {"numpy": "NumPy", "ratecheck": "ratecheck's fill"}


def _compiled_fill_applies(w: Workload) -> bool:
    from ..sim import normal as _normal
    return any(m == "standard_normal" for m, _ in noise_draws(w, 1)) and \
        _normal.supported(np.random.Generator(np.random.PCG64(0)))


def noise_ceiling(w: Workload, steps: int, threads: int, block_size: int | None = None,
                  fill: str = "numpy") -> float:
    """Seconds to draw the workload's random numbers alone (block streams on ``threads`` threads),
    with NumPy's methods or (``fill="ratecheck"``) the way the simulation draws them."""
    from ..problems.noise import standard_normal
    draws = noise_draws(w, steps, block_size)
    n_blocks = len(draws[0][1]) if draws else 0
    seqs = np.random.SeedSequence(w.seed).spawn(2)
    gens = [[np.random.Generator(np.random.PCG64(s)) for s in root.spawn(n_blocks)] for root in seqs]
    chunk = 2**20

    def block(b):
        buf = np.empty(chunk)
        for which, (method, counts) in enumerate(draws):
            gen = gens[min(which, 1)][b]
            if fill == "ratecheck" and method == "standard_normal":
                def draw(out, gen=gen):
                    standard_normal(gen, out)
            else:
                draw = getattr(gen, method)
            left = counts[b]
            while left > 0:
                n = min(chunk, left)
                draw(out=buf[:n])
                left -= n

    start = time.perf_counter()
    if threads <= 1 or n_blocks <= 1:
        for b in range(n_blocks):
            block(b)
    else:
        with ThreadPoolExecutor(min(threads, n_blocks)) as ex:
            list(ex.map(block, range(n_blocks)))
    return time.perf_counter() - start


# ------------------------------------------------------------------------------------ JAX
def _jax_available() -> str | None:
    try:
        import jax  # noqa: F401
        import optax  # noqa: F401
    except ImportError:
        return None
    return f"jax {jax.__version__}, optax {optax.__version__}"


def run_jax(w: Workload, steps: int, grid: np.ndarray, *, warm_steps: int = 3) -> float:
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
        h, c = jnp.asarray(problem._h), jnp.asarray(problem.center)

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


# ---------------------------------------------------------------------------------- torch
def _torch_available() -> str | None:
    try:
        import torch
    except ImportError:
        return None
    return f"torch {torch.__version__}"


def run_torch(w: Workload, steps: int, grid: np.ndarray, *, threads: int | None = None) -> float:
    """Seconds of the PyTorch loop for ``steps`` steps (``threads``: intra-op threads)."""
    import torch
    if threads:
        torch.set_num_threads(threads)
    problem, opt = w.build()
    reps, d = w.replicates, problem.dim
    f64 = torch.float64
    gen = torch.Generator().manual_seed(w.seed)
    x0 = torch.tensor(np.broadcast_to(problem.initial_point(), (reps, d)).copy(), dtype=f64)
    name = problem.name
    sigma = problem.noise.sigma if problem.noise.kind == "gaussian" else 0.0
    gbuf, nbuf = torch.empty(reps, d, dtype=f64), torch.empty(reps, d, dtype=f64)

    if name == "quadratic":
        s = torch.tensor(problem.scales if problem.scales is not None else np.ones(d), dtype=f64)
        h, c = torch.tensor(problem._h, dtype=f64), torch.tensor(problem.center, dtype=f64)
        sh = s * h

        def grad(x, out):
            torch.mul(x, s, out=out)
            out.sub_(c).mul_(sh)
            return out

        def value(x):
            r = x * s - c
            return 0.5 * (h * r * r).sum(1)
    elif name in ("cosine_well", "nonsmooth_well"):
        a, b = problem.a, problem.b
        smooth = name == "cosine_well"

        def grad(x, out):
            torch.mul(x, b, out=out)
            out.sin_().mul_(a * b)
            return out.add_(x) if smooth else out.add_(torch.sign(x))

        def value(x):
            first = 0.5 * (x * x).sum(1) if smooth else x.abs().sum(1)
            return first + 2 * a * (torch.sin(0.5 * b * x) ** 2).sum(1)
    else:
        k = problem.k

        def grad(x, out):
            return out.fill_(1.0)

        def value(x):
            return x[:, 0]

    checkpoints = set(int(t) for t in grid)
    sink = []
    start = time.perf_counter()
    with torch.no_grad():
        if opt.name in ("adam", "amsgrad"):
            x = torch.nn.Parameter(x0.clone())
            amsgrad = opt.name == "amsgrad"
            lr0 = opt.lr.lr
            topt = torch.optim.Adam([x], lr=lr0, betas=(opt.beta1, opt.beta2), eps=max(opt.eps, 1e-8),
                                    amsgrad=amsgrad, fused=True)
            group = topt.param_groups[0]
            rmin = torch.full((reps,), math.inf, dtype=f64)
            rsum = torch.zeros(reps, dtype=f64)
            rgap = torch.full((reps,), math.inf, dtype=f64)
            for t in range(1, steps + 1):
                g = grad(x, gbuf)
                if w.running:
                    gn = (g * g).sum(1)
                    torch.minimum(rmin, gn, out=rmin)
                    rsum.add_(gn)
                    torch.minimum(rgap, value(x), out=rgap)
                torch.randn(reps, d, generator=gen, out=nbuf)
                g.add_(nbuf, alpha=sigma)
                x.grad = g
                if amsgrad:
                    group["lr"] = lr0 / math.sqrt(t)
                topt.step()
                if t in checkpoints:
                    gg = grad(x, nbuf)
                    sink.append(((gg * gg).sum(1).numpy().copy(), value(x).numpy().copy()))
        elif opt.name == "adopt":
            x = x0.clone()
            m, v = torch.zeros_like(x), torch.zeros_like(x)
            u, ghat = torch.empty_like(x), torch.empty_like(x)
            lr0, cc, b1, b2, eps = opt.lr.lr, opt.lr.c, opt.beta1, opt.beta2, opt.eps
            hi, lo = torch.tensor(k * k, dtype=f64), torch.tensor(-k, dtype=f64)
            for t in range(1, steps + 1):
                torch.rand(reps, d, generator=gen, out=u)
                g = torch.where(u < 1.0 / k, hi, lo)
                if t == 1:
                    torch.mul(g, g, out=v)
                else:
                    kk = t - 1
                    torch.sqrt(v, out=ghat).clamp_(min=eps)
                    torch.div(g, ghat, out=ghat).clamp_(-kk ** 0.25, kk ** 0.25)
                    m.lerp_(ghat, 1 - b1)
                    x.add_(m, alpha=-lr0 / math.sqrt(1 + cc * kk)).clamp_(-1.0, 1.0)
                    v.mul_(b2).addcmul_(g, g, value=1 - b2)
                if t in checkpoints:
                    sink.append((x[:, 0].numpy().copy(),))
        else:  # clipped_adam_ema (Algorithm 1: Exp(1) scaling) with the certificate and its time sums
            scale, beta, D = -(opt.lr.lr * opt.clip_radius), opt.beta, opt.clip_radius
            tiny = float(np.finfo(np.float64).tiny)
            x = x0.clone()
            m, v = torch.zeros_like(x), torch.zeros_like(x)
            xbar, gbar = x.clone(), grad(x, torch.empty_like(x)).clone()
            spread = torch.zeros(reps, dtype=f64)
            sums = torch.zeros(4, reps, dtype=f64)
            z, diff, gx, gm = (torch.empty_like(x) for _ in range(4))
            alpha = torch.empty(reps, 1, dtype=f64)
            for t in range(1, steps + 1):
                torch.sqrt(v, out=z).clamp_(min=tiny)
                torch.div(m, z, out=z).mul_(scale).clamp_(-D, D)
                alpha.exponential_(generator=gen)
                x.addcmul_(alpha, z)                          # x_t = x_{t-1} + α z
                grad(x, gx)                                   # the gradient at x_t
                torch.randn(reps, d, generator=gen, out=nbuf)
                nbuf.mul_(sigma).add_(gx)
                m.mul_(beta).add_(nbuf)
                v.mul_(beta * beta).addcmul_(nbuf, nbuf)
                a = (1 - beta) / (1 - beta ** t)              # EMA of the iterates
                torch.sub(x, xbar, out=diff)
                spread.add_((diff * diff).sum(1), alpha=a).mul_(1 - a)
                gbar.lerp_(gx, a)
                xbar.add_(diff, alpha=a)
                grad(xbar, gm)
                sums[0].add_(torch.linalg.vector_norm(gbar, dim=1))
                sums[1].add_(gbar.abs().sum(1))
                sums[2].add_(spread)
                sums[3].add_(torch.linalg.vector_norm(gm, dim=1))
                if t in checkpoints:
                    sink.append(((gm * gm).sum(1).numpy().copy(), gbar.norm(dim=1).numpy().copy(),
                                 gbar.abs().sum(1).numpy().copy(), spread.numpy().copy(), (sums / t).numpy().copy()))
    return time.perf_counter() - start


def _torch_threads(w: Workload, steps: int, grid_fn) -> int:
    """The faster intra-op thread count (1 or all cores) on a short trial."""
    from ..sim import parallel as parallel
    cores = parallel.cpu_count()
    if cores == 1:
        return 1
    trial = max(10, min(steps // 20, 2000))
    times = {n: run_torch(w, trial, grid_fn(trial), threads=n) for n in (1, cores)}
    return min(times, key=times.get)


# ----------------------------------------------------------------------------- memory
_MEMORY_SNIPPET = r"""
import json, resource, sys, tracemalloc
from ratecheck import bench
w = bench.WORKLOADS[sys.argv[1]]
steps, engine = int(sys.argv[2]), sys.argv[3]
bench.run_ratecheck(w, min(steps, 50), workers=1, engine=engine)          # imports, kernel loading
tracemalloc.start()
t, res = bench.run_ratecheck(w, steps, workers=1, engine=engine)
current, peak = tracemalloc.get_traced_memory()
print(json.dumps({"steps": steps, "seconds": t, "traced_peak_mib": peak / 2**20,
                  "rss_peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def peak_memory(key: str, steps: int, engine: str) -> dict:
    """Peak memory of one simulation in a fresh process: traced allocations and resident set."""
    out = subprocess.run([sys.executable, "-c", _MEMORY_SNIPPET, key, str(steps), engine], capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


# ------------------------------------------------------------------------------ runner
@dataclass
class Row:
    workload: str
    implementation: str
    seconds: float | None
    work: int
    note: str = ""
    #: a block size other than the default (a ratecheck run, or the noise ceiling drawn for the same blocks)
    block_size: int | None = None

    @property
    def throughput(self) -> float | None:
        return None if not self.seconds else self.work / self.seconds


@dataclass
class Report:
    rows: list = field(default_factory=list)
    memory: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    machine: dict = field(default_factory=dict)


def machine() -> dict:
    """The machine the benchmark runs on."""
    from .. import __version__
    from ..sim import parallel as parallel
    cpu = platform.processor() or "?"
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:  # pragma: no cover - not Linux
        pass
    info = {"cpu": cpu, "cores": parallel.cpu_count(), "python": platform.python_version(),
            "numpy": np.__version__, "ratecheck": __version__}
    try:
        import numba
        info["numba"] = numba.__version__
    except ImportError:
        info["numba"] = None
    try:
        info["load_average"] = os.getloadavg()[0]
    except OSError:  # pragma: no cover
        pass
    return info


def _best(fn, repeat: int) -> float:
    return min(fn() for _ in range(max(1, repeat)))


def run_benchmark(keys, *, quick: bool = False, repeat: int = 1, workers="auto", engine: str = "auto",
                  jax: bool = True, torch: bool = True, memory: bool = True, progress=None) -> Report:
    """Measure the workloads ``keys``; ``progress(message)`` is called as it goes."""
    from ..sim import parallel as parallel
    from ..sim.simulate import log_checkpoints
    say = progress or (lambda m: None)
    rep = Report(machine=machine())
    jax_name = _jax_available() if jax else None
    torch_name = _torch_available() if torch else None
    if jax and not jax_name:
        rep.notes.append("JAX/optax not installed: pip install -e '.[bench]' (skipped)")
    if torch and not torch_name:
        rep.notes.append("PyTorch not installed: pip install -e '.[bench]' with torch==2.13.0, the CPU build (skipped)")
    cores = parallel.cpu_count()

    def add(row: Row) -> None:  # report each measurement as it lands: an interrupted run keeps what it measured
        rep.rows.append(row)
        if row.seconds:
            say(f"    {row.seconds:.3f} s, {row.throughput / 1e6:.1f} M/s  ({row.implementation})")

    for key in keys:
        w = WORKLOADS[key]
        steps = w.quick_steps if quick else w.steps
        grid = log_checkpoints(steps, w.n_checkpoints)
        work = w.work(steps)
        chosen, label = _engine_for(w, engine, workers)
        say(f"{key}: {w.title}; {w.replicates} replicates × dim {w.problem.get('dim', 1)} × {steps} steps")
        say(f"  {label}")
        run_ratecheck(w, min(steps, 50), workers=workers, engine=chosen)      # warm: kernels, workers
        t_rc = _best(lambda: run_ratecheck(w, steps, workers=workers, engine=chosen)[0], repeat)
        add(Row(key, label, t_rc, work))
        fills = ["numpy", "ratecheck"] if _compiled_fill_applies(w) else ["numpy"]
        for fill in fills:
            say(f"  noise only ({FILLS[fill]})")
            t1 = _best(lambda: noise_ceiling(w, steps, 1, fill=fill), repeat)
            add(Row(key, f"noise only ({FILLS[fill]}), 1 thread", t1, work))
            if cores > 1 and len(noise_draws(w, steps)[0][1]) > 1:
                tn = _best(lambda: noise_ceiling(w, steps, cores, fill=fill), repeat)
                add(Row(key, f"noise only ({FILLS[fill]}), {cores} threads", tn, work))
        split = _split_block_size(w, cores)
        if split:
            # one block of the default size is one random stream on one core; a user with a wide problem and
            # several cores picks smaller blocks (results are then reproducible for that block size)
            label_s = f"ratecheck ({chosen} engine, {cores} processes, block_size={split})"
            say(f"  {label_s}")
            run_ratecheck(w, min(steps, 50), workers=workers, engine=chosen, block_size=split)
            t_s = _best(lambda: run_ratecheck(w, steps, workers=workers, engine=chosen, block_size=split)[0], repeat)
            add(Row(key, label_s, t_s, work, block_size=split))
            for fill in fills:
                t_ns = _best(lambda: noise_ceiling(w, steps, cores, split, fill=fill), repeat)
                add(Row(key, f"noise only ({FILLS[fill]}), {cores} threads, block_size={split}", t_ns, work,
                        block_size=split))
        if jax_name:
            say(f"  {jax_name}")
            t = _best(lambda: run_jax(w, steps, grid), repeat)
            add(Row(key, f"JAX fori_loop + optax ({jax_name.split(',')[0]})", t, work))
        if torch_name:
            n = _torch_threads(w, steps, lambda s: log_checkpoints(s, w.n_checkpoints))
            say(f"  {torch_name}, {n} thread(s)")
            t = _best(lambda: run_torch(w, steps, grid, threads=n), repeat)
            add(Row(key, f"PyTorch ({torch_name}, {n} thread{'s' if n > 1 else ''})", t, work))
    if memory and "W3" in keys:
        chosen = _engine_for(WORKLOADS["W3"], engine, 1)[0]       # the engine of the full-size run
        for steps in ((10**3, 10**4) if quick else (10**4, 10**6)):
            say(f"memory: W3 at {steps} steps ({chosen} engine)")
            rep.memory.append(peak_memory("W3", steps, chosen) | {"engine": chosen})
    return rep


def targets(rep: Report) -> list[str]:
    """The issue's targets, each with its measured value (met or not)."""
    out = []
    by = {}
    for r in rep.rows:
        by.setdefault(r.workload, []).append(r)
    for key, rows in by.items():
        for rc_row in (r for r in rows if r.implementation.startswith("ratecheck")):
            which = f" (block_size={rc_row.block_size})" if rc_row.block_size else ""
            for prefix, need in (("JAX", 2.0), ("PyTorch", 3.0)):
                other = next((r for r in rows if r.implementation.startswith(prefix)), None)
                if other is not None:
                    ratio = other.seconds / rc_row.seconds
                    out.append(f"{key}: ratecheck{which} {ratio:.2f}× faster than {prefix} (target ≥ {need:g}×): "
                               f"{'met' if ratio >= need else 'NOT met'}")
            if key == "W1":
                # the ceiling for the same blocks: all cores drawing the same streams
                noise = [r for r in rows if r.implementation.startswith("noise only")
                         and r.block_size == rc_row.block_size]
                best = min(noise, key=lambda r: r.seconds)
                ratio = rc_row.seconds / best.seconds
                out.append(f"W1: ratecheck{which} takes {ratio:.2f}× the noise-generation ceiling "
                           f"({best.implementation}; target ≤ 2×): {'met' if ratio <= 2 else 'NOT met'}")
    if len(rep.memory) == 2:
        a, b = rep.memory
        ratio = b["traced_peak_mib"] / a["traced_peak_mib"]
        rss = b["rss_peak_mib"] / a["rss_peak_mib"]
        out.append(f"W3 peak memory at {b['steps']:,} steps / at {a['steps']:,} steps: {ratio:.2f} (traced), "
                   f"{rss:.2f} (resident) (target ≤ 1.10): {'met' if max(ratio, rss) <= 1.1 else 'NOT met'}")
    return out


def format_table(rep: Report) -> str:
    """The report as a Markdown table."""
    lines = ["| workload | implementation | time [s] | throughput [M/s] | time / ratecheck |",
             "|---|---|---:|---:|---:|"]
    base = {}
    for r in rep.rows:
        if r.implementation.startswith("ratecheck"):
            base[r.workload] = r.seconds
    last = None
    for r in rep.rows:
        name = r.workload if r.workload != last else ""
        last = r.workload
        ratio = "" if not r.seconds or not base.get(r.workload) else f"{r.seconds / base[r.workload]:.2f}"
        lines.append(f"| {name} | {r.implementation} | {r.seconds:.2f} | {r.throughput / 1e6:.1f} | {ratio} |")
    out = "\n".join(lines)
    if rep.memory:
        out += "\n\n| W3 steps | peak traced allocations [MiB] | peak resident set [MiB] |\n|---:|---:|---:|\n"
        out += "\n".join(f"| {m['steps']:,} | {m['traced_peak_mib']:.1f} | {m['rss_peak_mib']:.0f} |"
                         for m in rep.memory)
    return out


def cmd_bench(args) -> int:
    """The ``ratecheck bench`` command."""
    keys = args.only or list(WORKLOADS)
    for k in keys:
        if k not in WORKLOADS:
            raise ValueError(f"--only: unknown workload {k!r}; known: {', '.join(WORKLOADS)}")
    workers = args.workers if args.workers == "auto" else int(args.workers)
    rep = run_benchmark(keys, quick=args.quick, repeat=args.repeat, workers=workers, engine=args.engine,
                        jax=not args.no_jax, torch=not args.no_torch, memory=not args.no_memory,
                        progress=lambda m: print(m, file=sys.stderr, flush=True))
    m = rep.machine
    print(f"ratecheck bench{' --quick' if args.quick else ''}: {m['cores']} cores, {m['cpu']}, "
          f"Python {m['python']}, NumPy {m['numpy']}, numba {m['numba'] or 'not installed'}; "
          f"best of {args.repeat}; load average at start {m.get('load_average', float('nan')):.2f}")
    print()
    for note in rep.notes:
        print(f"note: {note}")
    print(format_table(rep))
    lines = targets(rep)
    if lines:
        print("\ntargets:")
        for line in lines:
            print(f"- {line}")
    for key in keys:
        w = WORKLOADS[key]
        print(f"\n{key}: {w.title}; {w.replicates} replicates, dim {w.problem.get('dim', 1)}, "
              f"{w.quick_steps if args.quick else w.steps} steps")
    if args.json:
        from dataclasses import asdict
        with open(args.json, "w") as fh:
            json.dump({"machine": rep.machine, "notes": rep.notes, "memory": rep.memory,
                       "rows": [asdict(r) | {"throughput": r.throughput} for r in rep.rows]}, fh, indent=2)
    return 0


def register(subparsers) -> argparse.ArgumentParser:
    """Add the ``bench`` subcommand to ``subparsers`` (from ``ArgumentParser.add_subparsers``)."""
    p = subparsers.add_parser("bench", help="time ratecheck against JAX and PyTorch loops on standard workloads",
                              description=__doc__.split("\n\n")[0].replace("``", ""))
    p.add_argument("--only", nargs="+", metavar="W", help=f"workloads to run ({', '.join(WORKLOADS)})")
    p.add_argument("--quick", action="store_true", help="short versions (a smoke test, not a measurement)")
    p.add_argument("--repeat", type=int, default=1, help="timed runs per implementation; the best is kept")
    p.add_argument("--workers", default="auto", help="ratecheck worker processes (default: auto)")
    p.add_argument("--engine", default="auto", choices=["auto", "reference", "numpy", "numba"],
                   help="ratecheck engine (default: auto)")
    p.add_argument("--no-jax", action="store_true", help="skip the JAX loops")
    p.add_argument("--no-torch", action="store_true", help="skip the PyTorch loops")
    p.add_argument("--no-memory", action="store_true", help="skip the W3 peak-memory runs")
    p.add_argument("--json", metavar="PATH", help="also write the measurements as JSON")
    p.set_defaults(func=cmd_bench)
    return p


def main(argv=None) -> int:  # pragma: no cover - `python -m ratecheck.bench`
    parser = argparse.ArgumentParser(prog="ratecheck")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["bench", *(sys.argv[1:] if argv is None else argv)])
    return args.func(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
