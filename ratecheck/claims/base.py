r"""The shared base of every claim kind: the keys all claims have, the verdict, and the pieces kinds share.

A claim names an optimizer (by its label in the experiment), a metric, the cells it reads (``select`` fixes
sweep axes), a **kind**, and where its prediction comes from (a row of :mod:`ratecheck.theory`, or an
explicit ``expected`` value with its source). Each kind is a subclass of :class:`Claim` in its own module
that declares its own keys (its extra dataclass fields), how they are parsed (:meth:`Claim.parse`), what it
predicts (:meth:`Claim.prediction`) and how it is measured and judged (:meth:`Claim.judge`). A subclass
registers itself under its ``KIND``; ``Claim(kind=..., ...)`` builds the registered class of that kind.

A verdict carries the measured value with its interval beside the predicted one, never a bare boolean; an
inconclusive verdict still carries the prediction, and its reason says in words what the run lacks.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import ClassVar

import numpy as np
from scipy.stats import norm

from .. import theory as TH
from ..theory import theorems as THM

__all__ = ["Claim", "Verdict", "CERTIFICATES", "ULP_TOL", "values", "has_metric", "select_cells", "same_value",
           "fit_seed", "registered", "power_of_ten"]

#: the (λ,ε) measures a claim can read (``lam`` is the claim's λ): at the checkpoint, or averaged over
#: every step t = 1..T as Ahn & Cutkosky's Theorems 11 and 18 bound them (L2, and Definition 15's L1)
CERTIFICATES = {"certificate": {}, "avg_certificate": {"average": True},
                "avg_certificate_l1": {"average": True, "norm": "l1"}}

#: floating-point resolution of a comparison: a deterministic run's interval has zero width,
#: and its fit can only be compared with the prediction up to rounding
ULP_TOL = 64 * np.finfo(np.float64).eps

#: kind -> class, filled by :meth:`Claim.__init_subclass__` (the kinds are listed in :mod:`.kinds`)
_CLASSES: dict[str, type] = {}


def registered() -> dict[str, type]:
    """The claim classes by kind (a copy)."""
    return dict(_CLASSES)


@dataclass(frozen=True)
class Claim:
    """One checkable statement about an experiment: the keys every kind has.

    ``Claim(kind="rate", ...)`` builds the class registered for the kind (e.g. :class:`RateClaim`).
    """

    #: the kind a subclass implements (its registry name), and its behaviour in parsing and p-values
    KIND: ClassVar[str] = ""
    #: a ``theory`` row or an ``expected`` value is required
    NEEDS_PREDICTION: ClassVar[bool] = False
    #: the claim says the measured value equals the prediction (it needs a tight theorem)
    TWO_SIDED: ClassVar[bool] = False
    #: how a ``ValueError`` raised while judging is reported (None: it propagates)
    REFUSAL: ClassVar[str | None] = "fit refused"

    name: str
    kind: str
    optimizer: str
    metric: str
    theory: str | None = None
    schedule: str | None = None
    center: str = "mean"
    select: dict = field(default_factory=dict)
    expected: float | None = None
    expected_source: str = ""
    note: str = ""
    #: below this horizon the claim is not checkable (its statement is about the long run); a claim
    #: across horizons reads the horizons T >= min_steps only
    min_steps: int = 0
    lam: float | None = None
    #: the run leaves the theorem's hypotheses on purpose: reported as an observation, not a check
    observation: bool = False
    #: the theorem this claim checks (a key of :mod:`ratecheck.theory.theorems`)
    theorem: str | None = None
    #: hypotheses of the theorem the experiment leaves on purpose (reported as an observation)
    outside: tuple = ()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("KIND"):
            _CLASSES[cls.KIND] = cls

    def __new__(cls, *args, **kwargs):
        if cls is Claim:
            kind = kwargs.get("kind", args[1] if len(args) > 1 else None)
            if kind not in _CLASSES:
                raise ValueError(f"unknown claim kind {kind!r}; known: {', '.join(_CLASSES)}")
            cls = _CLASSES[kind]
        return object.__new__(cls)

    def __post_init__(self):
        if self.KIND and self.kind != self.KIND:
            raise ValueError(f"a {type(self).__name__} has kind {self.KIND!r}, got {self.kind!r}")

    # ------------------------------------------------------------------ keys
    @classmethod
    def keys(cls) -> tuple:
        """The TOML keys of this kind (its dataclass fields)."""
        return tuple(f.name for f in fields(cls))

    @classmethod
    def parse(cls, kw: dict, at: str, labels) -> dict:
        """Validate and convert this kind's own keys in ``kw`` (a copy of the table); return it."""
        return kw

    # ------------------------------------------------------------------ prediction and judgement
    def source(self) -> str:
        if self.theory:
            return f"{self.theory}: {TH.row(self.theory).source}"
        return self.expected_source

    def prediction(self, constants: dict | None = None, cells=()) -> tuple:
        """(predicted value or None, text): what the claim expects, known before any measurement.

        ``constants`` are the problem's declared constants (a linear rate needs them) and ``cells`` the
        cells the claim reads (a bound per run reads them); without them the text still says what is expected.
        """
        if self.expected is not None:
            return self.expected, f"{self.expected:g} ({self.expected_source})"
        return None, self.expected_source

    def restrict(self, chosen: list) -> tuple:
        """(cells to read, reason or None): a kind about the long run may read only the long runs."""
        return chosen, None

    def judge(self, chosen: list, keys: tuple, cells, results, problems_by_key: dict) -> "Verdict":
        """The measurement and its verdict on the selected (cell, result) pairs."""
        raise NotImplementedError

    def verdict(self, verdict: str, predicted, text: str, measured, ci, reason: str, fit=None,
                keys=()) -> "Verdict":
        return Verdict(self, verdict, predicted, text, measured, ci, reason, fit, tuple(keys))

    def inconclusive(self, reason: str, keys=(), chosen=(), **kw) -> "Verdict":
        """An inconclusive verdict that still shows the prediction (from the chosen runs if any)."""
        constants = chosen[0][1].constants if chosen else None
        try:
            predicted, text = self.prediction(constants, [c for c, _ in chosen])
        except ValueError:
            predicted, text = None, ""
        return Verdict(self, "inconclusive", predicted, text, kw.get("measured"), kw.get("ci"), reason,
                       kw.get("fit"), tuple(keys))

    # ------------------------------------------------------------------ p-value
    def p_value(self, v: "Verdict") -> float | None:
        """p-value of "the prediction holds", from the interval by a normal approximation (one-sided for
        bounds, two-sided for equalities); a zero-width interval (deterministic run) gives 0 or 1 by the
        verdict."""
        if v.measured is None or v.ci is None or (v.verdict == "inconclusive" and v.predicted is None):
            return None
        m, (lo, hi) = float(v.measured), (float(v.ci[0]), float(v.ci[1]))
        se = (hi - lo) / (2 * norm.ppf(0.975))
        if not se > 0:
            return 0.0 if v.verdict == "disagrees" else 1.0
        return self.p_from(m, se, None if v.predicted is None else float(v.predicted))

    def p_from(self, m: float, se: float, pred: float | None) -> float | None:
        """The p-value given the measurement m, its standard error and the prediction (two-sided here)."""
        if pred is None:
            return None
        return float(2 * norm.sf(abs(m - pred) / se))


@dataclass(frozen=True)
class Verdict:
    """The outcome of a claim: measured value and interval beside the predicted one."""

    claim: Claim
    verdict: str
    predicted: float | None
    predicted_text: str
    measured: float | None
    ci: tuple | None
    reason: str
    fit: object = None
    cells: tuple = ()
    #: the checked hypotheses (:class:`ratecheck.theory.hypotheses.Check`), empty without a theorem
    hypotheses: tuple = ()
    #: what the measurement alone gives (agrees/disagrees/inconclusive), also for an observation
    measured_verdict: str | None = None
    #: p-value of "the prediction holds" (None when there is nothing to test)
    p_value: float | None = None
    #: the verdict after the Holm adjustment over a report (set by the report; None before)
    holm_verdict: str | None = None

    def theorem(self):
        return None if self.claim.theorem is None else THM.get(self.claim.theorem)

    def as_dict(self) -> dict:
        thm = self.theorem()
        return {"name": self.claim.name, "kind": self.claim.kind, "optimizer": self.claim.optimizer,
                "metric": self.claim.metric, "theory": self.claim.theory, "source": self.claim.source(),
                "verdict": self.verdict, "measured_verdict": self.measured_verdict or self.verdict,
                "theorem": thm.as_dict() if thm else None,
                "hypotheses": [h.as_dict() for h in self.hypotheses], "p_value": self.p_value,
                "holm_verdict": self.holm_verdict,
                "predicted": self.predicted, "predicted_text": self.predicted_text,
                "measured": self.measured, "ci": list(self.ci) if self.ci else None, "reason": self.reason,
                "cells": list(self.cells), "note": self.claim.note, "observation": self.claim.observation}


# ---------------------------------------------------------------------- shared by the kinds
def values(claim: Claim, res) -> np.ndarray:
    """The claim's measured quantity, shape (n_checkpoints, replicates)."""
    if claim.metric in CERTIFICATES:
        return res.certificate(claim.lam, **CERTIFICATES[claim.metric])
    return res.metrics[claim.metric]


def has_metric(claim: Claim, res) -> bool:
    if claim.metric in CERTIFICATES:
        return ("avg_" if "average" in CERTIFICATES[claim.metric] else "") + "cert_grad_norm" in res.metrics
    return claim.metric in res.metrics


def select_cells(claim: Claim, cells, results, optimizer: str | None = None) -> list:
    """The (cell, result) pairs of the claim's optimizer (or ``optimizer``) whose sweep values match ``select``."""
    label = claim.optimizer if optimizer is None else optimizer
    chosen = []
    for cell, res in zip(cells, results):
        if cell.label != label:
            continue
        given = dict(cell.values)
        if all(same_value(given.get(k), v) for k, v in claim.select.items()):
            chosen.append((cell, res))
    return chosen


def same_value(a, b) -> bool:
    """Whether a cell's sweep value equals a selected one (numbers up to a relative 1e-12)."""
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(a, b, rel_tol=1e-12)
    return a == b


def fit_seed(claim: Claim) -> int:
    """A fixed, claim-specific bootstrap seed: the same claim gives the same interval every run."""
    return int.from_bytes(claim.name.encode()[:8].ljust(8, b"\0"), "little") % (2**32)


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def power_of_ten(n) -> str:
    """``100000`` -> ``10⁵``, ``200000`` -> ``2·10⁵`` (as people write step counts); other numbers as ``:g``."""
    n = float(n)
    if n >= 1e4:
        k = int(math.floor(math.log10(n)))
        m = n / 10.0 ** k
        if m == round(m):
            return ("" if m == 1 else f"{int(m)}·") + "10" + str(k).translate(_SUPERSCRIPT)
    return f"{n:g}"
