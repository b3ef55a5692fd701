r"""Exact claims: the final mean of the metric against a closed form the problem provides.

``expected_from`` names a method of the problem (e.g. ``gap_after_steps``) that returns the exact value for
the run's configuration; the claim agrees when the largest relative error over the selected runs is at
most ``rtol`` (default :math:`10^{-10}`). Used for deterministic runs whose answer is known in closed form
(Drori & Teboulle's worst case of gradient descent). Its p-value is 0 or 1 by the verdict.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .base import Claim, values

__all__ = ["ExactClaim"]


@dataclass(frozen=True)
class ExactClaim(Claim):
    """The final mean against ``problem.<expected_from>()`` in every selected run, up to ``rtol``."""

    KIND = "exact"
    TWO_SIDED = True

    expected_from: str | None = None
    rtol: float = 1e-10

    @classmethod
    def parse(cls, kw, at, labels):
        if not kw.get("expected_from"):
            raise ValueError(f"{at}: an exact claim needs 'expected_from' (a method of the problem)")
        return kw

    def prediction(self, constants=None, cells=()):
        return None, f"problem.{self.expected_from}()"

    def judge(self, chosen, keys, cells, results, problems_by_key):
        worst, measured, expected = 0.0, None, None
        for cell, res in chosen:
            problem = problems_by_key[cell.key]
            expected = float(getattr(problem, self.expected_from)())
            vals = values(self, res)[-1]
            measured = float(np.mean(vals))
            worst = max(worst, abs(measured - expected) / max(abs(expected), 1e-300))
        verdict = "agrees" if worst <= self.rtol else "disagrees"
        return self.verdict(verdict, expected, f"problem.{self.expected_from}() in each of {len(chosen)} runs",
                            measured, (worst, worst), f"max relative error {worst:.2e} (tolerance {self.rtol:g})",
                            None, keys)

    def p_value(self, v):
        if v.measured is None or v.ci is None:
            return None
        return 0.0 if v.verdict == "disagrees" else 1.0
