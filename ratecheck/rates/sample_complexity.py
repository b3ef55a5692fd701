r"""Sample complexity: the exponent p of the steps :math:`T(\epsilon) \propto \epsilon^{-p}` to reach ε."""
from __future__ import annotations

import numpy as np

from .. import validate as V
from .bootstrap import BATCH_ELEMENTS, bootstrap_ci
from .common import center_of, check_options, fit_message, generator, line_fit, log_positive, slopes, surviving_columns
from .fits import ComplexityFit

__all__ = ["fit_sample_complexity"]


def _hitting_log_times(u, logc, log_eps, interpolate):
    """log T(ε) of curves logc (n_ck, ...) for thresholds log_eps (n_eps,): shape (n_eps, ...).

    T(ε) is the first checkpoint whose center is ≤ ε, log-log interpolated with the
    checkpoint before it; NaN when never reached, -inf when reached at the first checkpoint.
    """
    below = logc[None, ...] <= log_eps.reshape((-1,) + (1,) * logc.ndim)
    reached = below.any(axis=1)
    k = np.argmax(below, axis=1)
    out = np.where(reached, u[k], np.nan)
    first = reached & (k == 0)
    out = np.where(first, -np.inf, out)
    if interpolate:
        km = np.maximum(k - 1, 0)
        full = np.broadcast_to(logc[None], (log_eps.size,) + logc.shape)
        c_hi = np.take_along_axis(full, km[:, None], axis=1)[:, 0]
        c_lo = np.take_along_axis(full, k[:, None], axis=1)[:, 0]
        le = log_eps.reshape((-1,) + (1,) * (logc.ndim - 1))
        with np.errstate(all="ignore"):
            frac = np.where(c_hi > c_lo, (c_hi - le) / (c_hi - c_lo), 1.0)
        interp = u[km] + np.clip(frac, 0.0, 1.0) * (u[k] - u[km])
        out = np.where(reached & ~first, interp, out)
    return out


def fit_sample_complexity(checkpoints, values, eps_grid, *, center: str = "mean", method: str = "ols",
                          n_boot: int = 2000, confidence: float = 0.95, rng=None, ci_method: str = "expanded",
                          min_replicates: int = 5, min_points: int = 3,
                          interpolate: bool = True) -> ComplexityFit:
    r"""Fit :math:`T(\epsilon) \propto \epsilon^{-p}` across thresholds ε, with a bootstrap CI for p.

    :math:`T(\epsilon)` is the first checkpoint at which the center curve (mean or median over
    replicates) is :math:`\le \epsilon`, interpolated linearly in (log t, log value) between
    that checkpoint and the one before (``interpolate=False``: the checkpoint itself).
    ``eps_grid`` is in the units of ``values`` (thresholds on ‖∇F‖² if ``values`` are
    squared norms). Thresholds never reached, or already met at the first checkpoint, are
    excluded from the fit and listed in the result, never dropped silently. Each bootstrap
    resample recomputes :math:`T(\epsilon)` for the fitted thresholds; one it does not reach
    is left out of that resample's fit.
    """
    check_options(center, method, ci_method, n_boot, confidence, min_replicates)
    t, x_rep, n_div = surviving_columns(checkpoints, values, min_replicates)
    min_points = V.integer("min_points", min_points, low=2)
    try:
        eps_arr = np.asarray(eps_grid, dtype=np.float64).ravel()
    except (TypeError, ValueError):
        raise TypeError(f"eps_grid must be an array of positive numbers, got {eps_grid!r}") from None
    if eps_arr.size == 0 or not np.all(np.isfinite(eps_arr)) or not np.all(eps_arr > 0):
        raise ValueError(f"eps_grid must be a non-empty array of positive numbers, got {eps_grid!r}")
    eps_arr = np.sort(eps_arr)[::-1]
    gen = generator(rng)
    u = np.log(t)
    logc = log_positive(center_of(x_rep, center, axis=1))
    logc = np.where(np.isfinite(logc), logc, -np.inf)  # a non-positive center is below every ε
    log_eps = np.log(eps_arr)
    lt = _hitting_log_times(u, logc, log_eps, interpolate)
    unreached = tuple(float(e) for e in eps_arr[np.isnan(lt)])
    early = tuple(float(e) for e in eps_arr[np.isneginf(lt)])
    use = np.isfinite(lt)
    notes = []
    if unreached:
        notes.append(f"{len(unreached)} thresholds never reached within t ≤ {t[-1]:g}: {list(unreached)}")
    if early:
        notes.append(f"{len(early)} thresholds already met at the first checkpoint: {list(early)}")
    if use.sum() < min_points:
        raise ValueError(f"only {int(use.sum())} thresholds of eps_grid are crossed within the run; need at "
                         f"least min_points={min_points} (unreached: {list(unreached)}, met at the first "
                         f"checkpoint: {list(early)})")
    xe = -log_eps[use]
    slope, intercept = line_fit(xe, lt[use], method)
    r = x_rep.shape[1]

    def statistic(sample, axis=-1):
        lc = log_positive(center_of(sample, center, axis=axis))
        lc = np.where(np.isfinite(lc), lc, -np.inf)
        ltb = _hitting_log_times(u, lc, log_eps[use], interpolate)
        ltb = np.where(np.isfinite(ltb), ltb, np.nan)
        return slopes(xe, ltb, method)

    batch = max(1, BATCH_ELEMENTS // max(1, x_rep.size * int(use.sum())))
    lo, hi, note = bootstrap_ci((x_rep,), statistic, theta=slope, n_boot=n_boot, confidence=confidence,
                             ci_method=ci_method, rng=gen, batch_size=batch)
    if note:
        notes.append(note)
    return ComplexityFit(exponent=slope, ci=(lo, hi), intercept=intercept,
                         eps=tuple(float(e) for e in eps_arr[use]),
                         hitting_times=tuple(float(v) for v in np.exp(lt[use])), unreached=unreached,
                         before_first=early, method=method, center=center, ci_method=ci_method,
                         confidence=confidence, n_boot=n_boot, n_replicates=r, n_diverged=n_div,
                         n_points=int(use.sum()), message=fit_message(notes, n_div, n_div + r))
