"""Bench rows for the bring-your-own-optimizer adapters (issue 17) on W1.

Each row runs ratecheck's simulator with ``from_torch(torch.optim.Adam)`` or ``from_optax("adam")`` in
place of ratecheck's Adam (same problem, noise, checkpoints, NumPy engine: the adapters never run in the
compiled kernel) and reports its time beside the hand-written loop of the same library
(:func:`ratecheck.bench.torch_loop.run`, :func:`ratecheck.bench.jax_loop.run`). The target is at most
1.5× the hand-written loop's time. :func:`measure` returns the rows and the ratios; the benchmark runner
adds them for W1. torch runs with ``threads`` intra-op threads in both rows (default 1: on a shared
machine torch's spinning worker threads make both timings depend on the load, not on the code).
"""
from __future__ import annotations

import time

from .. import optimizers
from ..sim.simulate import log_checkpoints, simulate
from . import jax_loop, torch_loop
from .report import ADAPTER_TARGET, Row
from .workloads import WORKLOADS

__all__ = ["measure", "TARGET"]

#: the adapters' time may be at most this many times the hand-written loop's
TARGET = ADAPTER_TARGET


def _adapter(kind: str, opt):
    if kind == "torch":
        import torch
        return optimizers.from_torch(torch.optim.Adam, lr=opt.lr, betas=(opt.beta1, opt.beta2), eps=opt.eps)
    return optimizers.from_optax("adam", lr=opt.lr, b1=opt.beta1, b2=opt.beta2, eps=opt.eps)


def measure(key: str = "W1", *, quick: bool = False, torch: bool = True, jax: bool = True,
            threads: int = 1, progress=None) -> tuple[list, dict]:
    """``(rows, ratios)``: an adapter row and a hand-written row per library, and adapter/hand-written."""
    say = progress or (lambda m: None)
    w = WORKLOADS[key]
    steps = w.quick_steps if quick else w.steps
    grid = log_checkpoints(steps, w.n_checkpoints)
    work = w.work(steps)
    problem, opt = w.build()
    rows, ratios = [], {}
    for kind, enabled, loop in (("torch", torch, torch_loop.run), ("optax", jax, jax_loop.run)):
        if not enabled:
            continue
        adapter = _adapter(kind, opt)
        if kind == "torch":
            import torch as torch_module
            torch_module.set_num_threads(threads)

        def run(n):
            start = time.perf_counter()
            simulate(problem, adapter, steps=n, replicates=w.replicates, seed=w.seed, running=w.running,
                     certificate=w.certificate, n_checkpoints=w.n_checkpoints, engine="numpy")
            return time.perf_counter() - start

        say(f"  ratecheck + {adapter.name} adapter")
        run(min(steps, 5))                                     # warm: imports, compilation
        t_adapter = run(steps)
        say(f"  hand-written {kind} loop")
        t_loop = loop(w, steps, grid, threads=threads) if kind == "torch" else loop(w, steps, grid)
        rows += [Row(key, f"ratecheck + {adapter.name} adapter (numpy engine)", t_adapter, work),
                 Row(key, f"hand-written {kind} loop (for the adapter)", t_loop, work)]
        ratios[kind] = t_adapter / t_loop
    return rows, ratios
