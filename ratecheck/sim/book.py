r"""What the engines record for a part: the output average with the (λ,ε) certificate's accumulators
(:class:`Output`) and the per-replicate book of running metrics, divergence and checkpoint records
(:class:`Book`), with the metrics of a point (:func:`point_metrics`)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..optimizers.base import Optimizer

__all__ = ["constants", "sqnorm", "point_metrics", "Output", "records_regret", "Book", "Part"]


def constants(problem) -> dict:
    get = getattr(problem, "constants", None)
    c = get() if callable(get) else {}
    return {"f_star": c.get("f_star", getattr(problem, "f_star", None)),
            "x_star": c.get("x_star", getattr(problem, "x_star", None))}


def sqnorm(a: np.ndarray) -> np.ndarray:
    return np.einsum("ij,ij->i", a, a)


def point_metrics(problem, x: np.ndarray, consts: dict, prefix: str = "") -> dict:
    g = problem.grad(x)
    value = np.asarray(problem.value(x), dtype=np.float64)
    out = {f"{prefix}grad_norm_sq": sqnorm(g),
           f"{prefix}grad_norm_l1": np.abs(g).sum(axis=1),
           f"{prefix}value": value}
    if consts["f_star"] is not None:
        out[f"{prefix}gap"] = value - consts["f_star"]
    if consts["x_star"] is not None:
        out[f"{prefix}dist"] = np.sqrt(sqnorm(x - np.asarray(consts["x_star"])))
    if x.shape[1] == 1:
        out[f"{prefix}theta"] = x[:, 0].copy()
    return out


class Output:
    """Online average/EMA of points p_t, with the (λ,ε) certificate's accumulators."""

    def __init__(self, problem, optimizer: Optimizer, x0: np.ndarray, certificate: bool, carry: dict | None = None):
        self.problem, self.opt, self.certificate = problem, optimizer, certificate
        if carry is not None:
            self.mean = carry["mean"]
            self.diff = np.empty_like(self.mean)
            if certificate:
                self.gbar, self.spread = carry["gbar"], carry["spread"]
                self.sums = {k: carry[k] for k in self.SUMS}
            return
        self.mean = x0.copy()
        self.diff = np.empty_like(x0)
        if certificate:
            self.gbar = problem.grad(x0)
            self.spread = np.zeros(x0.shape[0])
            self.sums = {k: np.zeros(x0.shape[0]) for k in self.SUMS}

    #: the sums over steps s = 1..t of the measures that Ahn & Cutkosky's theorems average over t
    #: (E_{t~U[T]}): ‖Σ w ∇F(p)‖₂, ‖Σ w ∇F(p)‖₁, the weighted spread, and ‖∇F(output)‖₂
    SUMS = ("sum_cert_grad_norm", "sum_cert_grad_l1", "sum_cert_spread", "sum_out_grad_norm")

    def carry(self) -> dict:
        out = {"mean": self.mean}
        if self.certificate:
            out.update(gbar=self.gbar, spread=self.spread, **self.sums)
        return out

    def accumulate(self) -> None:
        """Add this step's measures at the output point to the time sums (every step, not only checkpoints)."""
        s = self.sums
        s["sum_cert_grad_norm"] += np.sqrt(sqnorm(self.gbar))
        s["sum_cert_grad_l1"] += np.abs(self.gbar).sum(axis=1)
        s["sum_cert_spread"] += self.spread
        s["sum_out_grad_norm"] += np.sqrt(sqnorm(self.problem.grad(self.mean)))

    def averages(self, t: int) -> dict:
        """The time averages over s = 1..t, as recorded metrics (``avg_`` + the measure's name)."""
        return {"avg_" + k[4:]: v / t for k, v in self.sums.items()}

    def update(self, p: np.ndarray, t: int) -> None:
        a = self.opt.output_weight(t)
        np.subtract(p, self.mean, out=self.diff)
        if self.certificate:
            # S_t = (1-a)(S_{t-1} + a‖p_t − mean_{t−1}‖²) is the weighted spread Σ w_s‖p_s − mean_t‖²
            self.spread += a * sqnorm(self.diff)
            self.spread *= 1.0 - a
            gp = self.problem.grad(p)
            gp -= self.gbar
            gp *= a
            self.gbar += gp
        self.diff *= a
        self.mean += self.diff
        if self.certificate:
            self.accumulate()



@dataclass
class Part:
    records: dict
    x: np.ndarray
    output_x: np.ndarray | None
    alive: np.ndarray
    diverged_step: np.ndarray


def records_regret(problem, consts: dict) -> bool:
    """Whether ``avg_gap`` is recorded: an online family (``regret``) with a declared f*."""
    return bool(getattr(problem, "regret", False)) and consts["f_star"] is not None


class Book:
    """Per-replicate bookkeeping shared by the engines: running metrics, divergence, records."""

    def __init__(self, problem, consts: dict, grid: np.ndarray, reps: int, running: bool | str,
                 certificate: bool, carry: dict | None = None):
        self.problem, self.consts, self.grid = problem, consts, grid
        self.running, self.certificate = running, certificate
        if carry is not None:
            self.alive, self.diverged_step = carry["alive"], carry["diverged_step"]
            self.records = dict(carry["records"])
            if running:
                self.run_min, self.run_sum = carry["run_min"], carry["run_sum"]
                self.run_min_gap = carry.get("run_min_gap")
                self.run_sum_gap = carry.get("run_sum_gap")
            return
        self.alive = np.ones(reps, dtype=bool)
        self.diverged_step = np.full(reps, -1, dtype=np.int64)
        self.records: dict[str, np.ndarray] = {}
        if running:
            self.run_min = np.full(reps, np.inf)
            self.run_sum = np.zeros(reps)
            values = running is True          # running="gradient": no value per step
            self.run_min_gap = np.full(reps, np.inf) if values and consts["f_star"] is not None else None
            self.run_sum_gap = np.zeros(reps) if values and records_regret(problem, consts) else None

    def carry(self) -> dict:
        out = {"alive": self.alive, "diverged_step": self.diverged_step, "records": self.records}
        if self.running:
            out.update(run_min=self.run_min, run_sum=self.run_sum)
            if self.run_min_gap is not None:
                out["run_min_gap"] = self.run_min_gap
            if self.run_sum_gap is not None:
                out["run_sum_gap"] = self.run_sum_gap
        return out

    def running_step(self, x: np.ndarray) -> None:
        gn = sqnorm(self.problem.grad(x))
        np.minimum(self.run_min, gn, out=self.run_min)
        self.run_sum += gn
        if self.run_min_gap is not None:
            gap = self.problem.value(x) - self.consts["f_star"]
            np.minimum(self.run_min_gap, gap, out=self.run_min_gap)
            if self.run_sum_gap is not None:
                self.run_sum_gap += gap

    def check(self, x: np.ndarray, t: int) -> None:
        """Mark replicates whose iterate became non-finite at step t, and freeze them at NaN."""
        if not np.isfinite(np.sum(x)):
            bad = self.alive & ~np.isfinite(x).all(axis=1)
            if bad.any():
                self.diverged_step[bad] = t
                self.alive &= ~bad
                x[bad] = np.nan

    def record(self, k: int, t: int, x: np.ndarray, output) -> None:
        consts, problem, grid = self.consts, self.problem, self.grid
        row = point_metrics(problem, x, consts)
        if self.running:
            row["min_grad_norm_sq"] = self.run_min
            row["avg_grad_norm_sq"] = self.run_sum / t
            if self.run_min_gap is not None:
                row["min_gap"] = self.run_min_gap
            if self.run_sum_gap is not None:
                row["avg_gap"] = self.run_sum_gap / t
        if output is not None:
            row.update(point_metrics(problem, output.mean, consts, prefix="out_"))
            if self.certificate:
                row["cert_grad_norm"] = np.sqrt(sqnorm(output.gbar))
                row["cert_grad_l1"] = np.abs(output.gbar).sum(axis=1)
                row["cert_spread"] = output.spread
                row.update(output.averages(t))
        for name, values in row.items():
            if name not in self.records:
                self.records[name] = np.full((grid.size, self.alive.size), np.nan)
            self.records[name][k] = np.where(self.alive, values, np.nan)

    def part(self, x: np.ndarray, output) -> Part:
        return Part(records=self.records, x=x.copy(), output_x=None if output is None else output.mean.copy(),
                    alive=self.alive, diverged_step=self.diverged_step)


