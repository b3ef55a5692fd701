r"""The PyTorch loop a competent user would write for a benchmark workload.

In-place tensor operations under ``no_grad`` in float64: ``torch.optim.Adam`` (``fused=True``;
``amsgrad=True``, torch's convention, for AMSGrad, with the step α/√t set on the parameter group
each step) where torch has the optimizer, by hand otherwise (ADOPT with the k^(1/4) clip and
α/√(1 + c·k); clipped Adam with model EMA, Ahn & Cutkosky's Algorithm 1 with Exp(1) scaling and
the (λ,ε) certificate's time sums). At each checkpoint the metrics are copied to NumPy, as a
simulation records them. The thread count (1 or all cores) is chosen by a short trial run,
whichever is faster (:func:`best_threads`).

PyTorch is optional (``pip install -e '.[bench]'``, the CPU build): it is imported inside the
functions, and :func:`available` says whether it is installed.
"""
from __future__ import annotations

import math
import time

import numpy as np

from ..sim import parallel
from .workloads import Workload

__all__ = ["available", "run", "best_threads"]


def available() -> str | None:
    """``"torch X"`` when PyTorch is installed, else ``None``."""
    try:
        import torch
    except ImportError:
        return None
    return f"torch {torch.__version__}"


def run(w: Workload, steps: int, grid: np.ndarray, *, threads: int | None = None) -> float:
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
        h, c = torch.tensor(problem.hessian_diagonal, dtype=f64), torch.tensor(problem.center, dtype=f64)
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


def best_threads(w: Workload, steps: int, grid_fn) -> int:
    """The faster intra-op thread count (1 or all cores) on a short trial of ``steps // 20`` steps
    (10 to 2000); ``grid_fn(steps)`` gives a trial's checkpoints."""
    cores = parallel.cpu_count()
    if cores == 1:
        return 1
    trial = max(10, min(steps // 20, 2000))
    times = {n: run(w, trial, grid_fn(trial), threads=n) for n in (1, cores)}
    return min(times, key=times.get)
