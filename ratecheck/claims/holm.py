r"""Holm's step-down adjustment of p-values: a family-wise error rate over a whole report.

A report tests many claims at once; at level α each "disagrees" has up to α chance of being a false alarm,
so with dozens of claims some would disagree by chance alone. Holm (1979): sort the m p-values,
:math:`p_{(1)} \le \dots \le p_{(m)}`, and adjust :math:`\tilde p_{(k)} = \max_{j \le k}\min\{1, (m-j+1)\,p_{(j)}\}`;
rejecting every hypothesis with :math:`\tilde p \le \alpha` keeps the probability of any false rejection
below α, under any dependence between the tests. The same numbers as
``statsmodels.stats.multitest.multipletests(p, method="holm")[1]``.

Reference: S. Holm. A simple sequentially rejective multiple test procedure. Scand. J. Statist. 6, 1979.
"""
from __future__ import annotations

import numpy as np

__all__ = ["holm", "LEVEL"]

#: the family-wise level of ratecheck's reports
LEVEL = 0.05


def holm(p_values) -> np.ndarray:
    """Holm-adjusted p-values, in the input order (``nan`` entries are left out of the family and stay ``nan``)."""
    p = np.asarray(p_values, dtype=float)
    if p.ndim != 1:
        raise ValueError(f"p_values must be one-dimensional, got shape {p.shape}")
    if np.any((p < 0) | (p > 1)):
        raise ValueError("p-values must lie in [0, 1]")
    out = np.full(p.shape, np.nan)
    ok = np.flatnonzero(np.isfinite(p))
    m = ok.size
    if m == 0:
        return out
    order = ok[np.argsort(p[ok], kind="stable")]
    adj = np.minimum(1.0, (m - np.arange(m)) * p[order])
    out[order] = np.maximum.accumulate(adj)
    return out
