r"""Hitting-ratio claims: the ratio of mean hitting times of a threshold, ``against`` over ``optimizer``.

Each method reads one run (``select`` picks it); the threshold is the run's value of the sweep axis
``threshold_axis``, and a replicate's hitting time is its first checkpoint with the metric at or below it.
A replicate that never reaches the threshold is censored and refuses the claim (lengthen the run).
``ratio_axis`` names a sweep axis whose value (e.g. a theorem's ratio of bounds) is shown beside the
measured ratio.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .base import select_cells, values
from .hitting_sweep import hitting_steps
from .ratio import RatioClaim

__all__ = ["HittingRatioClaim"]


@dataclass(frozen=True)
class HittingRatioClaim(RatioClaim):
    """Mean first step with the metric <= the run's threshold: ``against`` / ``optimizer``, paired bootstrap."""

    KIND = "hitting_ratio"
    REFUSAL = "refused"

    threshold_axis: str | None = None
    #: the sweep axis holding the ratio to show beside the measured one
    ratio_axis: str | None = None

    @classmethod
    def parse(cls, kw, at, labels):
        if kw.get("against") not in labels:
            raise ValueError(f"{at}: a hitting_ratio claim needs 'against', another label of this experiment "
                             f"({', '.join(labels)})")
        if not isinstance(kw.get("threshold_axis"), str):
            raise ValueError(f"{at}: a hitting_ratio claim needs 'threshold_axis' (the sweep axis holding "
                             f"each run's threshold)")
        return super().parse(kw, at, labels)

    def judge(self, chosen, keys, cells, results, problems_by_key):
        times, thresholds, shown, keys = {}, {}, {}, ()
        for label in (self.optimizer, self.against):
            picked = select_cells(self, cells, results, optimizer=label)
            keys += tuple(c.key for c, _ in picked)
            if len(picked) != 1:
                raise ValueError(f"{len(picked)} cells of {label!r} match select {self.select}; a hitting ratio "
                                 f"compares one run of each method: add 'select'")
            cell, res = picked[0]
            threshold = cell.value(self.threshold_axis)
            if threshold is None:
                raise ValueError(f"cell {cell.key} has no sweep axis {self.threshold_axis!r}")
            steps = hitting_steps(res.checkpoints, values(self, res), float(threshold))
            missed = int(np.sum(np.isnan(steps)))
            if missed:
                raise ValueError(f"{missed} of {steps.size} replicates of {label!r} never reached {threshold:g} "
                                 f"within {res.steps} steps (censored): lengthen the run")
            times[label], thresholds[label] = steps, float(threshold)
            if self.ratio_axis is not None and cell.value(self.ratio_axis) is not None:
                shown[label] = float(cell.value(self.ratio_axis))
        a, b = times[self.optimizer], times[self.against]
        if a.size != b.size:
            raise ValueError(f"the runs have different replicate counts ({a.size}, {b.size}): a paired comparison "
                             f"needs equal counts")

        def ratio(idx):
            return float(b[idx].mean() / a[idx].mean())

        beside = f" (beside {self.ratio_axis.split('.')[-1]} = {next(iter(shown.values())):.4g})" if shown else ""
        what = (f"mean first step with {self.metric} <= {thresholds[self.optimizer]:g}: {b.mean():.4g} for "
                f"{self.against}, {a.mean():.4g} for {self.optimizer} ({a.size} paired replicates, 2000 resamples)")
        return self.ratio_verdict(ratio, a.size, ratio(np.arange(a.size)), what, keys, beside)
