"""Evaluating a claim: its theorem's hypotheses on the runs it reads, then its measurement and verdict.

Before anything is judged, each hypothesis of the claim's theorem (:mod:`ratecheck.theory.hypotheses`) is
checked on every run the claim reads; a run outside them makes the verdict ``observation`` (the measured
value is still reported, with the verdict its fit would have had, but it is never counted as agreement or
disagreement). The checks every kind shares come first: the claim reads some cell, the runs are long enough
for a statement about the long run, the metric was recorded. Where a run cannot check the claim (a quick
version of the experiment: smaller grid, shorter horizon) the reason says so in words, and the prediction
is still shown.
"""
from __future__ import annotations

from dataclasses import replace

from .. import optimizers
from .. import problems
from ..theory import hypotheses as HYP
from ..theory import theorems as THM
from .base import Claim, Verdict, has_metric, power_of_ten, same_value, select_cells

__all__ = ["evaluate", "measure", "check_hypotheses"]


def evaluate(claim: Claim, cells, results, problems_by_key=None) -> Verdict:
    """Evaluate one claim on an experiment's cells and results (same order): its theorem's hypotheses on the
    runs it reads, then the measurement; outside the hypotheses the verdict is ``observation``."""
    v = measure(claim, cells, results, problems_by_key)
    v = replace(v, measured_verdict=v.verdict, p_value=claim.p_value(v))
    checks = check_hypotheses(claim, cells, results)
    failed = [h for h in checks if not h.holds]
    if failed or claim.observation:
        listed = "; ".join(f"{h.name}: no — {h.why}" + (" (on purpose)" if h.name in claim.outside else "")
                           for h in failed)
        why = listed if failed else "outside the theorem on purpose"
        v = replace(v, verdict="observation", reason=f"outside the theorem ({why}); the measurement alone: "
                                                      f"{v.verdict}, {v.reason}")
    return replace(v, hypotheses=tuple(checks))


def check_hypotheses(claim: Claim, cells, results) -> list:
    """Each hypothesis of the claim's theorem on the runs of the claim's optimizer (the worst run decides)."""
    if claim.theorem is None:
        return []
    thm = THM.get(claim.theorem)
    runs = [(problems.from_config(dict(cell.problem_config)),
             optimizers.from_config(dict(cell.optimizer_config)).describe())
            for cell, _ in select_cells(claim, cells, results)]
    out = []
    for name in thm.hypotheses:
        checks = [HYP.check(name, problem, opt, claim) for problem, opt in runs]
        if checks:
            out.append(next((h for h in checks if not h.holds), checks[0]))
    return out


def _missing_cell(claim: Claim, cells) -> str:
    """Why no cell matches, in words: the optimizer or the swept value this version of the experiment lacks."""
    own = [c for c in cells if c.label == claim.optimizer]
    if not own:
        return f"no run of {claim.optimizer!r} in this version of the experiment"
    for axis, wanted in claim.select.items():
        name = axis.split(".")[-1]
        have = sorted({c.value(axis) for c in own if c.value(axis) is not None}, key=str)
        if not have:
            return f"no run of {claim.optimizer!r} sweeps {axis} (the claim selects {name} = {_short(wanted)})"
        if not any(same_value(v, wanted) for v in have):
            return (f"needs the run of {claim.optimizer!r} with {name} = {_short(wanted)}, which this version of "
                    f"the experiment does not include (it runs {name} ∈ {{{', '.join(_short(v) for v in have)}}}): "
                    f"run the full version")
    return f"no run of {claim.optimizer!r} matches all of {claim.select} together"


def _short(v) -> str:
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def measure(claim: Claim, cells, results, problems_by_key=None) -> Verdict:
    """The measurement and its verdict, before the hypotheses are looked at."""
    chosen = select_cells(claim, cells, results)
    keys = tuple(c.key for c, _ in chosen)
    if not chosen:
        return claim.inconclusive(_missing_cell(claim, cells), keys)
    chosen, why = claim.restrict(chosen)
    if why:
        return claim.inconclusive(why, keys, chosen)
    keys = tuple(c.key for c, _ in chosen)
    short = [(c.key, r.steps) for c, r in chosen if r.steps < claim.min_steps]
    if short:
        key, steps = short[0]
        return claim.inconclusive(f"horizon too short: needs T ≥ {power_of_ten(claim.min_steps)}; this version of the experiment "
                                  f"stops at T = {power_of_ten(steps)} ({key}): run the full version", keys, chosen)
    for cell, res in chosen:
        if not has_metric(claim, res):
            return claim.inconclusive(f"metric {claim.metric!r} not recorded in {cell.key}", keys, chosen)
    if claim.REFUSAL is None:
        return claim.judge(chosen, keys, cells, results, problems_by_key or {})
    try:
        return claim.judge(chosen, keys, cells, results, problems_by_key or {})
    except ValueError as err:  # too few survivors, too short a window, ...: refused fits
        return claim.inconclusive(f"{claim.REFUSAL}: {err}", keys, chosen)
