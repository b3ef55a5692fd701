"""How numbers are printed in reports and on the terminal: never an interval with equal ends that are not.

A confidence interval printed with four significant digits can show equal ends (``[-0.500, -0.500]``)
for a narrow interval; :func:`interval` adds digits until the ends differ (up to 17, which tells any two
floats apart), and :func:`measured_text` prints the measured value with the same digits. An ``exact``
claim's measured value is a quantity (e.g. the final gap) and its spread a relative error: they are
printed as such, never as a value beside an "interval" of another quantity.
"""
from __future__ import annotations

import math

__all__ = ["number", "interval", "measured_text"]

#: significant digits printed at least
DIGITS = 4


def number(x, digits: int = DIGITS) -> str:
    """``x`` with ``digits`` significant digits; "—" for None."""
    return "—" if x is None else f"{x:.{digits}g}"


def _digits(lo: float, hi: float) -> int:
    """The fewest significant digits (at least :data:`DIGITS`) that print ``lo`` and ``hi`` differently
    (when they differ)."""
    digits = DIGITS
    if lo == hi or not (math.isfinite(lo) and math.isfinite(hi)):
        return digits
    while digits < 17 and f"{lo:.{digits}g}" == f"{hi:.{digits}g}":
        digits += 1
    return digits


def interval(lo: float, hi: float) -> str:
    """``[lo, hi]`` with enough digits that the ends print equal only if they are equal."""
    d = _digits(lo, hi)
    return f"[{lo:.{d}g}, {hi:.{d}g}]"


def measured_text(verdict) -> str:
    """A verdict's measurement as printed: ``value [lo, hi]`` (same digits), or for an ``exact`` claim
    the value and its largest relative error from the prediction."""
    v = verdict
    if v.ci is None:
        return number(v.measured)
    lo, hi = v.ci
    if getattr(v.claim, "kind", None) == "exact":
        return f"{number(v.measured)} (max relative error {number(max(abs(lo), abs(hi)), 3)})"
    d = _digits(lo, hi)
    return f"{number(v.measured, d)} {interval(lo, hi)}"
