r"""What a row predicts for a measured quantity: its rate in that measure, and the log-log slope in T.

Measures and predicted slopes
-----------------------------
A measured quantity is a power of the row's native measure: the stationarity rows
bound :math:`\mathbb E\|\nabla F\| \le \epsilon`, and their upper-bound proofs bound
:math:`\min_t \mathbb E\|\nabla F(x_t)\|^2 \le \epsilon^2`, which implies the former by
Jensen (:math:`(\mathbb E\|\nabla F\|)^2 \le \mathbb E\|\nabla F\|^2`; the converse does not
hold in general). A metric such as ``min_grad_norm_sq`` is therefore read as
:math:`\epsilon(T)^2`. :func:`predicted_slope` returns the exponent
:math:`\lim_{T\to\infty} d\log \epsilon(T)^k / d\log T` (a ``Rational``), the power of
:math:`\log T` the named schedule adds, or, for a geometric rate, the per-step
contraction factor :math:`\epsilon(T+1)/\epsilon(T)` instead of a slope.

Schedules: ``"horizon"`` means step sizes tuned to the horizon (e.g. α/√T for a run
of T steps; one run per horizon, see :func:`ratecheck.fit_rate.fit_horizon_sweep`),
``"anytime"`` a schedule that does not know T (e.g. α/√t). For SGD on smooth
nonconvex functions the anytime α/√t costs a log factor: the descent lemma gives
:math:`\min_t \mathbb E\|\nabla F\|^2 \le (2\Delta + L\sigma^2\sum_t\alpha_t^2)/\sum_t\alpha_t`,
and :math:`\sum_{t\le T} 1/t \approx \ln T`, :math:`\sum_{t\le T} 1/\sqrt t \approx 2\sqrt T`,
hence :math:`O(\log T/\sqrt T)`; a log factor does not change the exponent but biases a
finite-range log-log fit towards a shallower slope.
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from .. import validate as V
from .rate_table import Rate, accuracy, complexity, row
from .symbols import FORMS, MEASURES, T, eps, text

__all__ = ["Prediction", "measure_of", "power_in_native", "rate_in", "predicted_slope"]


def measure_of(name):
    if name not in MEASURES:
        raise V.unknown_name("measure", name, MEASURES)
    return MEASURES[name]


def power_in_native(rate: Rate, measure) -> tuple:
    """(power of the native measure, extra power of T) for a measured quantity."""
    if measure is None:
        return sp.Integer(1), sp.Integer(0)
    kind, power, t_power = measure_of(measure)
    if kind == rate.kind:
        return power, t_power
    for other, rel, _ in rate.equivalents:
        if other == kind:
            return power * rel, t_power
    allowed = sorted(m for m, (k, _, _) in MEASURES.items()
                     if k == rate.kind or k in {e[0] for e in rate.equivalents})
    raise ValueError(f"row {rate.key!r} bounds {rate.measure}; measure {measure!r} ({kind}) does not "
                     f"follow from it. Allowed measures: {', '.join(allowed)}")


def rate_in(rate, measure=None, form: str = "accuracy") -> sp.Expr:
    r"""The row's rate for a measured quantity, in either form.

    With ``measure="min_grad_norm_sq"`` on a row bounding :math:`\mathbb E\|\nabla F\|\le\epsilon`
    the accuracy is :math:`\epsilon(T)^2` and the complexity is :math:`T(\epsilon_2^{1/2})` for
    the threshold :math:`\epsilon_2` on the squared norm (returned in the symbol ε).
    """
    rate = row(rate)
    V.choice("form", form, FORMS)
    k, t_power = power_in_native(rate, measure)
    if form == "accuracy":
        return sp.powsimp(sp.expand_power_base(accuracy(rate) ** k * T**t_power, force=True), force=True)
    if t_power != 0:
        raise ValueError(f"measure {measure!r} grows with T; a complexity is defined for "
                         f"{rate.measure} only")
    return sp.expand(complexity(rate).subs(eps, eps ** (1 / k)))


@dataclass(frozen=True)
class Prediction:
    """What theory predicts for a measured quantity against T.

    ``kind="power"``: the quantity behaves as :math:`T^{\\text{slope}}(\\log T)^{\\text{log\\_power}}`
    (``log_power`` None = not recorded for this schedule). ``kind="linear"``: it contracts by
    ``contraction`` per step and has no log-log slope.
    """

    row: str
    measure: str
    schedule: str
    kind: str
    slope: sp.Rational | None
    log_power: sp.Rational | None
    contraction: sp.Expr | None
    note: str

    def __str__(self) -> str:
        if self.kind == "linear":
            return f"{self.row}, {self.measure}: contraction {text(self.contraction)} per step"
        logs = "" if not self.log_power else f" · (log T)^{self.log_power}"
        unk = " (log factor not recorded)" if self.log_power is None else ""
        return f"{self.row}, {self.measure}, {self.schedule}: T^({self.slope}){logs}{unk}"


def predicted_slope(rate, measure=None, schedule=None) -> Prediction:
    r"""Predicted log-log exponent in T of a measured quantity (or a contraction factor).

    Parameters
    ----------
    rate : Rate or str
        A row of :func:`table` or its key.
    measure : str, optional
        A name of :data:`MEASURES` (the simulator's metric names: ``min_grad_norm_sq``,
        ``gap``, …); default the row's native measure.
    schedule : {"anytime", "horizon"}, optional
        Default: the first schedule the row is stated for.

    Returns
    -------
    Prediction
        ``slope`` = :math:`\lim_{T\to\infty} d\log q(T)/d\log T` as a ``Rational`` for a power
        law, with ``log_power`` the extra power of log T of the schedule; for a geometric
        rate ``slope`` is None and ``contraction`` = :math:`q(T+1)/q(T)`.

    Examples
    --------
    ``predicted_slope("stoch_smooth_nonconvex", "min_grad_norm_sq", "horizon").slope == -1/2``;
    with ``"anytime"`` the slope is the same and ``log_power == 1`` (O(log T/√T)).
    """
    rate = row(rate)
    if schedule is None:
        schedule = rate.schedules[0][0] if rate.schedules else "horizon"
    V.choice("schedule", schedule, ("anytime", "horizon"))
    entry = {name: (lp, text) for name, lp, text in rate.schedules}.get(schedule, (None, "not recorded"))
    q = rate_in(rate, measure, "accuracy")
    name = measure or rate.kind
    ratio = sp.simplify(sp.powsimp(sp.powdenest(q.subs(T, T + 1) / q, force=True), force=True))
    if T not in ratio.free_symbols:
        return Prediction(rate.key, name, schedule, "linear", None, sp.Integer(0), ratio,
                          f"geometric decay by {text(ratio)} per step; {entry[1]}")
    slope = sp.limit(T * sp.diff(sp.log(q), T), T, sp.oo)
    if not (slope.is_Rational):
        raise ValueError(f"row {rate.key!r}: {name} is not a power law in T (limit {slope})")
    note = entry[1]
    if entry[0]:
        note += f"; the log factor biases a finite-range log-log fit towards a slope above {slope}"
    return Prediction(rate.key, name, schedule, "power", sp.Rational(slope), entry[0], None, note)
