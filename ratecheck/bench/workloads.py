r"""The benchmark's workloads and ratecheck's side of them.

A :class:`Workload` is one simulation (problem, optimizer, size, measurements) that every
implementation runs. This module times it through :func:`ratecheck.simulate`
(:func:`run_ratecheck`), names the engine it resolves to (:func:`engine_for`), measures its peak
memory in a fresh process (:func:`peak_memory`), and times the *noise ceiling*: drawing the same
random numbers alone (:func:`noise_ceiling`), from the same per-block generators as the simulation
(``SeedSequence(seed).spawn(2)``, one child stream per block of replicates), since under
ratecheck's reproducibility contract each block's numbers come from one sequential stream and no
implementation of the same run can draw them faster.
"""
from __future__ import annotations

import json
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from .. import optimizers, problems
from ..problems.noise import standard_normal
from ..sim import normal, parallel
from ..sim.simulate import DEFAULT_BLOCK_SIZE, choose_engine, simulate

__all__ = ["Workload", "WORKLOADS", "run_ratecheck", "engine_for", "split_block_size", "peak_memory",
           "noise_draws", "FILLS", "compiled_fill_applies", "noise_ceiling"]


@dataclass(frozen=True)
class Workload:
    """One benchmark simulation: ``problem`` and ``optimizer`` are configuration tables (the form
    :func:`ratecheck.problems.from_config` reads); ``running`` and ``certificate`` are
    :func:`ratecheck.simulate`'s measurement switches; ``quick_steps`` is the ``--quick`` horizon."""

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
        """A fresh (problem, optimizer) pair."""
        return problems.from_config(dict(self.problem)), optimizers.from_config(dict(self.optimizer))

    def work(self, steps: int) -> int:
        """replicates × dim × steps: the unit of the throughput column."""
        return self.replicates * int(self.problem.get("dim", 1)) * steps


def _scales(dim: int) -> list:
    return np.geomspace(1.0, 10.0, dim).tolist()


#: the standard workloads by key; a new one is one more entry (the runner and the table take it as it is)
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
    """(seconds, result) of one timed :func:`ratecheck.simulate` call."""
    problem, opt = w.build()
    start = time.perf_counter()
    res = simulate(problem, opt, steps=steps, replicates=w.replicates, seed=w.seed, running=w.running,
                   certificate=w.certificate, n_checkpoints=w.n_checkpoints, workers=workers, engine=engine,
                   block_size=block_size or DEFAULT_BLOCK_SIZE)
    return time.perf_counter() - start, res


def engine_for(w: Workload, engine: str, workers) -> tuple[str, str]:
    """(engine that ``engine`` resolves to at the full size, label for the table).

    Resolved once at the full size and then passed explicitly, so that the short warm-up run
    compiles the kernels the timed run uses (``"auto"`` picks by the amount of work)."""
    problem, opt = w.build()
    chosen = choose_engine(engine, problem, opt, work=w.work(w.steps), running=w.running,
                           certificate=bool(w.certificate))
    n_blocks = -(-w.replicates // DEFAULT_BLOCK_SIZE)
    n = parallel.resolve_workers(workers, limit=n_blocks if problem.rowwise else 1)
    threads = parallel.threads_per_part(workers, n) if chosen == "numba" and problem.rowwise else 1
    label = f"ratecheck ({chosen} engine, {n} process{'es' if n > 1 else ''}"
    return chosen, label + (f" × {threads} threads)" if threads > 1 else ")")


def split_block_size(w: Workload, cores: int) -> int | None:
    """A block size that gives every core a block, when the default makes one block of a row-wise
    problem (⌈replicates / cores⌉); ``None`` when the default already does, or cannot."""
    problem, _ = w.build()
    if cores <= 1 or w.replicates > DEFAULT_BLOCK_SIZE or not problem.rowwise:
        return None
    return -(-w.replicates // cores)


_MEMORY_SNIPPET = r"""
import json, resource, sys, tracemalloc
from ratecheck.bench import workloads
w = workloads.WORKLOADS[sys.argv[1]]
steps, engine = int(sys.argv[2]), sys.argv[3]
workloads.run_ratecheck(w, min(steps, 50), workers=1, engine=engine)          # imports, kernel loading
tracemalloc.start()
t, res = workloads.run_ratecheck(w, steps, workers=1, engine=engine)
current, peak = tracemalloc.get_traced_memory()
print(json.dumps({"steps": steps, "seconds": t, "traced_peak_mib": peak / 2**20,
                  "rss_peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def peak_memory(key: str, steps: int, engine: str) -> dict:
    """Peak memory of one simulation of workload ``key`` in a fresh process (so that nothing
    measured before counts): traced allocations and resident set, in MiB."""
    out = subprocess.run([sys.executable, "-c", _MEMORY_SNIPPET, key, str(steps), engine], capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


# ------------------------------------------------------------------------- noise ceiling
#: the generator method behind each additive noise kind (the transforms after the draw are not timed)
_RAW = {"gaussian": "standard_normal", "rademacher": "random", "uniform": "random", "sparse": "random"}


def noise_draws(w: Workload, steps: int, block_size: int | None = None) -> list[tuple[str, list[int]]]:
    """[(generator method, numbers per block)] that the simulation draws.

    Per block of r replicates and per step: r·dim numbers for a random oracle (the ADOPT toy
    problem's ±k draw) and r·dim for additive noise, plus r for an optimizer that draws one number
    per replicate (``draw_method``, e.g. the Exp(1) scaling of Ahn & Cutkosky's Algorithm 1)."""
    problem, opt = w.build()
    bs = block_size or DEFAULT_BLOCK_SIZE
    rows = [min(bs, w.replicates - s) for s in range(0, w.replicates, bs)]
    out = []
    if problem.oracle_kind == "random":
        out.append(("random", [r * problem.dim * steps for r in rows]))
    if problem.noise.kind != "none":
        out.append((_RAW.get(problem.noise.kind, "standard_normal"), [r * problem.dim * steps for r in rows]))
    if opt.draw_method:
        out.append((opt.draw_method, [r * steps for r in rows]))
    return out


#: the two ways of drawing the noise alone: NumPy's own methods, and ratecheck's fill (Gaussian
#: numbers through the compiled copy of NumPy's algorithm, :mod:`ratecheck.sim.normal`: the same numbers)
FILLS = {"numpy": "NumPy", "ratecheck": "ratecheck's fill"}


def compiled_fill_applies(w: Workload) -> bool:
    """Whether ratecheck's compiled Gaussian fill serves this workload (it draws Gaussian numbers
    and the compiled fill reproduces this NumPy's generator)."""
    return any(m == "standard_normal" for m, _ in noise_draws(w, 1)) and \
        normal.supported(np.random.Generator(np.random.PCG64(0)))


def noise_ceiling(w: Workload, steps: int, threads: int, block_size: int | None = None,
                  fill: str = "numpy") -> float:
    """Seconds to draw the workload's random numbers alone (block streams on ``threads`` threads),
    with NumPy's methods or (``fill="ratecheck"``) the way the simulation draws them."""
    if fill not in FILLS:
        raise ValueError(f"fill must be one of {', '.join(FILLS)}, got {fill!r}")
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
