r"""Advantage claims: the ratio best(``against``) / best(``optimizer``) of the mean final metric, each method
tuned over the sweep axis ``tune``.

Each method's best is the smallest mean over its tuning grid; the paired bootstrap re-tunes in every resample
(the best setting may change), so the interval includes the tuning's own variability. A diverged replicate
makes its setting's mean infinite: that setting is never the best.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .base import select_cells, values
from .ratio import RatioClaim

__all__ = ["AdvantageClaim"]


@dataclass(frozen=True)
class AdvantageClaim(RatioClaim):
    """Ratio of best-tuned mean final metrics, ``against`` over ``optimizer``."""

    KIND = "advantage"
    REFUSAL = None        # a cell without the tuning axis is an error in the experiment file

    #: the sweep axis both methods are tuned over
    tune: str | None = None

    @classmethod
    def parse(cls, kw, at, labels):
        if kw.get("against") not in labels:
            raise ValueError(f"{at}: an advantage claim needs 'against', another label of this experiment "
                             f"({', '.join(labels)})")
        if not isinstance(kw.get("tune"), str):
            raise ValueError(f"{at}: an advantage claim needs 'tune' (the sweep axis each method is tuned over)")
        return super().parse(kw, at, labels)

    def judge(self, chosen, keys, cells, results, problems_by_key):
        """Ratio of best-tuned mean final metrics, with a paired bootstrap that re-tunes per resample."""
        grids = {}
        for label in (self.optimizer, self.against):
            rows = []
            for cell, res in select_cells(self, cells, results, optimizer=label):
                if cell.value(self.tune) is None:
                    raise ValueError(f"cell {cell.key} has no sweep axis {self.tune!r}")
                rows.append(values(self, res)[-1])
            grids[label] = rows
        if not grids[self.optimizer] or not grids[self.against]:
            return self.inconclusive(f"no cells for {self.optimizer!r} and {self.against!r} with select "
                                     f"{self.select}", keys)
        sizes = {v.size for rows in grids.values() for v in rows}
        if len(sizes) != 1:
            return self.inconclusive(f"the cells have different replicate counts {sorted(sizes)}: a paired "
                                     f"comparison needs equal counts", keys)
        n = sizes.pop()
        # a diverged replicate makes its cell's mean infinite: that setting is never the best
        mats = {k: np.where(np.isfinite(np.stack(v)), np.stack(v), np.inf) for k, v in grids.items()}

        def ratio(idx):
            best = {k: np.min(m[:, idx].mean(axis=-1), axis=0) for k, m in mats.items()}
            return best[self.against] / best[self.optimizer]

        point = float(ratio(np.arange(n)))
        if not math.isfinite(point):
            return self.inconclusive("every tuning of one method diverged in some replicate", keys)
        what = (f"best {self.metric} of {self.against} / best of {self.optimizer} over {self.tune} "
                f"({n} paired replicates, re-tuned in each of 2000 resamples)")
        return self.ratio_verdict(ratio, n, point, what, keys)
