r"""Claims: a measured quantity of an experiment, a row of the theory table, and a verdict.

A claim names an optimizer (by its label in the experiment), a metric, the cells it
reads (``select`` fixes sweep axes), a **kind**, and where its prediction comes from
(a row of :mod:`ratecheck.theory`, or an explicit ``expected`` value with its source):

=====================  ===============================================================  =========================================
kind                   what is measured                                                 agrees when
=====================  ===============================================================  =========================================
``rate``               exponent of the metric against t (:func:`fit_rate`, one run)     the predicted exponent lies in the CI
``horizon_rate``       exponent of the final metric across horizons T (one run per T)   the predicted exponent lies in the CI
``upper_bound``        exponent as for ``rate`` (or ``horizon_rate`` with horizons)     the CI does not lie above the prediction
                       of the metric divided by (1 + ln T)^k when the theory row
                       records a log factor k for the claim's schedule (an O(·)
                       bound with its log factor: the divided metric is O(T^slope))
``sample_complexity``  exponent p of T(ε) ∝ ε^{-p} (:func:`fit_sample_complexity`)      the predicted p lies in the CI
``linear_rate``        contraction factor ρ per step (:func:`fit_linear_rate`)          the predicted ρ lies in the CI
``exact``              final mean of the metric vs a closed form (``expected_from``)    max relative error ≤ ``rtol`` in every cell
``outcome``            final median (CI) of the metric vs ``above``/``below``           the whole CI is on the claimed side
``hitting_sweep``      exponent p of the first step T with metric ≤ ε^power, across   the predicted p lies in the CI
                       instances built for each ε (``threshold_axis``), T ∝ ε^{-p}
``bound``              mean of the final metric (95% t-interval) vs a theorem's         the whole CI is below the bound in
                       explicit bound, ``below`` or per run from ``bound_axis``          every selected run
``hitting_ratio``      ratio of mean hitting times of a threshold (per run from         the whole CI is ``above`` (and/or
                       ``threshold_axis``), ``against`` over ``optimizer``, paired      ``below``) the stated value; the
                       bootstrap over replicates                                        ``ratio_axis`` value is shown beside
``advantage``          ratio best(``against``)/best(``optimizer``) of the mean final    the whole CI is ``above`` (and/or
                       metric, each best over the ``tune`` axis; bootstrap over         ``below``) the stated value
                       replicates re-tunes in every resample
=====================  ===============================================================  =========================================

``metric = "certificate"`` with ``lam = λ`` reads the (λ,ε)-stationarity certificate
:meth:`SimulationResult.certificate` of optimizers that output an average or EMA at the checkpoint;
``"avg_certificate"`` its average over every step t = 1..T (the E_{t∼U[T]} that Ahn & Cutkosky's
Theorem 11 bounds) and ``"avg_certificate_l1"`` that of the L1 measure (Definition 15, Theorem 18).

Theorems and hypotheses. ``theorem = KEY`` names the theorem a claim checks (:mod:`ratecheck.theorems`).
Before anything is judged, each of its hypotheses (:mod:`ratecheck.hypotheses`) is checked on every run the
claim reads: the problem's declared properties, the optimizer's configuration (schedules, conventions) and
the measure. A run outside them makes the verdict ``observation``: the measured value is still reported,
with the verdict its fit would have had, but it is never counted as agreement or disagreement.
``outside = ["name", ...]`` (with a ``note``) says the experiment leaves those hypotheses on purpose, and
``observation = true`` (with a ``note``) that it leaves the theorem altogether. A two-sided claim (``rate``,
``horizon_rate``, ``sample_complexity``, ``linear_rate``, ``hitting_sweep``, ``exact``) needs a theorem that
is tight on its instances (:attr:`Theorem.tight`); an O(·) theorem supports ``upper_bound`` claims only.

A verdict is ``agrees``, ``disagrees``, ``inconclusive`` (with the reason: local slopes
not settled, too few surviving replicates, a CI straddling the threshold, ...) or ``observation``. Like a
PEPit example, a verification returns the measured value with its interval beside the
predicted one, never a bare boolean. A fit never loosens its tolerance to agree: a
prediction with an unrecorded log factor or a non-asymptotic window is reported as such.
Each check also carries a p-value for "the prediction holds" (from its interval, normal approximation;
exact claims: 0 or 1), which :func:`ratecheck.holm.holm` adjusts over a whole report.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np
import sympy as sp

from .. import validate as V
from .. import rates as F
from ..theory import hypotheses as HYP
from .. import optimizers as _optimizers
from .. import problems as _problems
from ..theory import theorems as THM
from .. import theory as TH

__all__ = ["Claim", "Verdict", "parse_claims", "evaluate", "values", "KINDS"]

KINDS = ("rate", "horizon_rate", "upper_bound", "sample_complexity", "linear_rate", "exact", "outcome",
         "hitting_sweep", "advantage", "bound", "hitting_ratio")
_KEYS = {"name", "kind", "optimizer", "metric", "theory", "schedule", "center", "select", "expected",
         "expected_source", "expected_from", "rtol", "above", "below", "eps", "window", "method", "note",
         "min_steps", "lam", "threshold_axis", "threshold_power", "tolerance", "correction", "against", "tune", "eps_max",
         "bound_axis", "ratio_axis",
         "observation", "theorem", "outside"}


#: keys that change how a claim is judged, and what their ``note`` must say
_NOTE_REQUIRED = {
    "tolerance": "saying why (e.g. deterministic run, measured local slopes)",
    "correction": "deriving its order q (where the T^-q term comes from)",
    "eps_max": "saying why the larger thresholds are outside the asymptotic regime",
    "observation": "naming the hypothesis of the theorem the run leaves (an observation is not a check of it)",
    "outside": "saying why the experiment leaves these hypotheses on purpose",
}


@dataclass(frozen=True)
class Claim:
    """One checkable statement about an experiment (see the module docstring)."""

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
    expected_from: str | None = None
    rtol: float = 1e-10
    above: float | None = None
    below: float | None = None
    eps: tuple = ()
    window: object = "auto"
    method: str = "ols"
    note: str = ""
    #: below this horizon the claim is not checkable (its statement is about the long run); a claim
    #: across horizons reads the horizons T >= min_steps only
    min_steps: int = 0
    lam: float | None = None
    threshold_axis: str | None = None
    threshold_power: float = 1.0
    #: stated model tolerance on the predicted value, for deterministic runs whose interval has
    #: zero width (reported in the verdict, never applied silently)
    tolerance: float = 0.0
    #: relative order q of a finite-horizon correction fitted beside the exponent, c ≈ A·T^p·(1 + b·T^-q)
    #: (sweep claims only; the ``note`` must derive q) — see :func:`ratecheck.fit_rate.fit_horizon_sweep`
    correction: float | None = None
    #: advantage claims: the label compared with ``optimizer`` and the sweep axis both are tuned over
    against: str | None = None
    tune: str | None = None
    #: hitting sweeps: read only the thresholds ε <= eps_max (the claim is about ε → 0; like min_steps)
    eps_max: float | None = None
    #: bound claims: the sweep axis (e.g. ``tag.bound``) holding each run's explicit bound
    bound_axis: str | None = None
    #: hitting_ratio claims: the sweep axis holding the ratio to show beside the measured one
    ratio_axis: str | None = None
    #: the run leaves the theorem's hypotheses on purpose: reported as an observation, not a check
    observation: bool = False
    #: the theorem this claim checks (a key of :mod:`ratecheck.theorems`)
    theorem: str | None = None
    #: hypotheses of the theorem the experiment leaves on purpose (reported as an observation)
    outside: tuple = ()

    def source(self) -> str:
        if self.theory:
            return f"{self.theory}: {TH.row(self.theory).source}"
        return self.expected_source


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
    #: the checked hypotheses (:class:`ratecheck.hypotheses.Check`), empty without a theorem
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


# ------------------------------------------------------------------------ parsing
def parse_claims(tables, labels, where: str) -> list[Claim]:
    """Validate the ``[[claim]]`` tables of an experiment file."""
    if tables is None:
        return []
    if isinstance(tables, dict):
        tables = [tables]
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        raise TypeError(f"{where}: [[claim]] must be one or more tables")
    claims = []
    for i, table in enumerate(tables, 1):
        at = f"{where}: claim {i}"
        unknown = sorted(set(table) - _KEYS)
        if unknown:
            raise ValueError(f"{at}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(_KEYS))}")
        for key in ("name", "kind", "optimizer", "metric"):
            if not isinstance(table.get(key), str):
                raise ValueError(f"{at}: needs '{key}' (a string)")
        V.choice(f"{at}: kind", table["kind"], KINDS)
        if table["optimizer"] not in labels:
            raise ValueError(f"{at}: optimizer {table['optimizer']!r} is not a label of this experiment "
                             f"({', '.join(labels)})")
        kw = dict(table)
        if "theory" in kw:
            TH.row(kw["theory"])  # raises for an unknown row
        if "schedule" in kw:
            V.choice(f"{at}: schedule", kw["schedule"], ("anytime", "horizon"))
        if "center" in kw:
            V.choice(f"{at}: center", kw["center"], ("mean", "median"))
        if "select" in kw and not isinstance(kw["select"], dict):
            raise TypeError(f"{at}: select must be a table of sweep axis = value")
        kind = kw["kind"]
        needs_prediction = kind in ("rate", "horizon_rate", "upper_bound", "sample_complexity", "linear_rate",
                                    "hitting_sweep")
        if kw["metric"] in CERTIFICATES:
            if "lam" not in kw:
                raise ValueError(f"{at}: metric {kw['metric']!r} needs 'lam' (the λ of the (λ,ε) certificate)")
            kw["lam"] = V.nonnegative(f"{at}: lam", kw["lam"])
        if kind == "hitting_sweep":
            if not isinstance(kw.get("threshold_axis"), str):
                raise ValueError(f"{at}: a hitting_sweep claim needs 'threshold_axis' (the sweep axis holding ε)")
            kw["threshold_power"] = V.positive(f"{at}: threshold_power", kw.get("threshold_power", 1.0))
            if "eps_max" in kw:
                kw["eps_max"] = V.positive(f"{at}: eps_max", kw["eps_max"])
        elif "eps_max" in kw:
            raise ValueError(f"{at}: 'eps_max' belongs to hitting_sweep claims only")
        if needs_prediction and "theory" not in kw and "expected" not in kw:
            raise ValueError(f"{at}: a {kind} claim needs 'theory' (a row of ratecheck.theory) or 'expected'")
        if "expected" in kw and "theory" not in kw and not kw.get("expected_source"):
            raise ValueError(f"{at}: an explicit 'expected' needs 'expected_source' (where it comes from)")
        if kind == "exact" and not kw.get("expected_from"):
            raise ValueError(f"{at}: an exact claim needs 'expected_from' (a method of the problem)")
        if kind == "outcome" and ("above" in kw) == ("below" in kw):
            raise ValueError(f"{at}: an outcome claim needs exactly one of 'above' or 'below'")
        if kind == "bound":
            if ("below" in kw) == ("bound_axis" in kw):
                raise ValueError(f"{at}: a bound claim needs exactly one of 'below' (the bound) or 'bound_axis' "
                                 f"(the sweep axis holding each run's bound)")
            if not kw.get("expected_source"):
                raise ValueError(f"{at}: a bound claim needs 'expected_source' (the theorem and its formula)")
        elif "bound_axis" in kw:
            raise ValueError(f"{at}: 'bound_axis' belongs to bound claims only")
        if kind == "advantage":
            if kw.get("against") not in labels:
                raise ValueError(f"{at}: an advantage claim needs 'against', another label of this experiment "
                                 f"({', '.join(labels)})")
            if not isinstance(kw.get("tune"), str):
                raise ValueError(f"{at}: an advantage claim needs 'tune' (the sweep axis each method is tuned over)")
            if "above" not in kw and "below" not in kw:
                raise ValueError(f"{at}: an advantage claim needs 'above' and/or 'below' (bounds on the ratio)")
        elif kind == "hitting_ratio":
            if kw.get("against") not in labels:
                raise ValueError(f"{at}: a hitting_ratio claim needs 'against', another label of this experiment "
                                 f"({', '.join(labels)})")
            if not isinstance(kw.get("threshold_axis"), str):
                raise ValueError(f"{at}: a hitting_ratio claim needs 'threshold_axis' (the sweep axis holding "
                                 f"each run's threshold)")
            if "above" not in kw and "below" not in kw:
                raise ValueError(f"{at}: a hitting_ratio claim needs 'above' and/or 'below' (bounds on the ratio)")
            if "tune" in kw:
                raise ValueError(f"{at}: 'tune' belongs to advantage claims only")
        elif "against" in kw or "tune" in kw:
            raise ValueError(f"{at}: 'against' and 'tune' belong to advantage and hitting_ratio claims only")
        if "ratio_axis" in kw and kind != "hitting_ratio":
            raise ValueError(f"{at}: 'ratio_axis' belongs to hitting_ratio claims only")
        if kind == "sample_complexity":
            eps = kw.get("eps")
            if not isinstance(eps, list) or len(eps) < 3:
                raise ValueError(f"{at}: a sample_complexity claim needs 'eps', a list of >= 3 thresholds")
            kw["eps"] = tuple(float(e) for e in eps)
        if isinstance(kw.get("window"), list):
            kw["window"] = tuple(kw["window"])
        if "min_steps" in kw:
            kw["min_steps"] = V.integer(f"{at}: min_steps", kw["min_steps"], low=0)
        if "tolerance" in kw:
            kw["tolerance"] = V.nonnegative(f"{at}: tolerance", kw["tolerance"])
        if "correction" in kw:
            kw["correction"] = V.positive(f"{at}: correction", kw["correction"])
            if kind not in ("horizon_rate", "upper_bound", "hitting_sweep"):
                raise ValueError(f"{at}: 'correction' applies to fits across horizons or thresholds "
                                 f"(horizon_rate, upper_bound over horizons, hitting_sweep), not to {kind}")
        if "observation" in kw and not isinstance(kw["observation"], bool):
            raise TypeError(f"{at}: observation must be true or false, got {kw['observation']!r}")
        if "theorem" in kw:
            thm = THM.get(kw["theorem"])
            if kind in TWO_SIDED and thm.tight is None:
                raise ValueError(f"{at}: a {kind} claim says the rate is attained, but theorem {thm.key!r} is an "
                                 f"O(.) bound with no reason it is tight on this instance: make it an upper_bound "
                                 f"claim, or name a tight theorem")
            if "outside" in kw:
                outside = kw["outside"]
                if not isinstance(outside, list) or not all(isinstance(h, str) for h in outside):
                    raise TypeError(f"{at}: outside must be a list of hypothesis names")
                unknown_h = [h for h in outside if h not in thm.hypotheses]
                if unknown_h:
                    raise ValueError(f"{at}: outside names {unknown_h}, not hypotheses of {thm.key} "
                                     f"({', '.join(thm.hypotheses)})")
                kw["outside"] = tuple(outside)
        elif "outside" in kw:
            raise ValueError(f"{at}: 'outside' needs 'theorem' (whose hypotheses the experiment leaves)")
        for key, why in _NOTE_REQUIRED.items():
            if kw.get(key, None) not in (None, False) and not kw.get("note"):
                raise ValueError(f"{at}: '{key}' needs a 'note' {why}")
        for key in ("expected", "rtol", "above", "below"):
            if key in kw:
                kw[key] = V.real(f"{at}: {key}", kw[key])
        claims.append(Claim(**kw))
    names = [c.name for c in claims]
    if len(set(names)) != len(names):
        raise ValueError(f"{where}: claim names must be distinct")
    return claims


# ---------------------------------------------------------------------- prediction
def _prediction(claim: Claim, problem_constants: dict | None = None):
    """(predicted value as float, text) for the claim's kind."""
    if claim.expected is not None:
        return claim.expected, f"{claim.expected:g} ({claim.expected_source})"
    measure = claim.metric if claim.metric in TH.MEASURES else None
    if claim.kind == "hitting_sweep":
        # the sweep's ε is the threshold on the row's own measure (the metric is compared with ε^power)
        measure = None
    if claim.kind in ("sample_complexity", "hitting_sweep"):
        tex = TH.rate_in(claim.theory, measure, "complexity")
        lead = TH.leading_term(tex, TH.eps)
        p = sp.limit(-TH.eps * sp.diff(sp.log(lead), TH.eps), TH.eps, 0)
        return float(p), f"T(ε) ∝ ε^-{p}  [{claim.theory}]"
    pred = TH.predicted_slope(claim.theory, measure, claim.schedule)
    if claim.kind == "linear_rate":
        if pred.kind != "linear":
            raise ValueError(f"claim {claim.name!r}: row {claim.theory} is not a linear rate")
        subs = {}
        for name, value in (problem_constants or {}).items():
            sym = TH.SYMBOLS.get(name)
            if sym is not None and value is not None and not isinstance(value, (list, np.ndarray)):
                subs[sym] = sp.nsimplify(value)
        rho = pred.contraction.subs(subs)
        if rho.free_symbols:
            raise ValueError(f"claim {claim.name!r}: contraction {pred.contraction} needs constants "
                             f"{rho.free_symbols} the problem does not declare")
        return float(rho), f"ρ = {pred.contraction} = {float(rho):.6g}  [{claim.theory}]"
    if pred.kind != "power":
        raise ValueError(f"claim {claim.name!r}: row {claim.theory} predicts a linear rate; use kind linear_rate")
    text = f"{pred.slope}"
    if pred.log_power:
        text += f" (× log^{pred.log_power} T)"
    elif pred.log_power is None:
        text += " (log factor not recorded)"
    return float(pred.slope), f"{text}  [{claim.theory}, {pred.schedule}]"


# ---------------------------------------------------------------------- evaluation
def values(claim: Claim, res) -> np.ndarray:
    """The claim's measured quantity, shape (n_checkpoints, replicates)."""
    if claim.metric in CERTIFICATES:
        return res.certificate(claim.lam, **CERTIFICATES[claim.metric])
    return res.metrics[claim.metric]


#: the (λ,ε) measures a claim can read (``lam`` is the claim's λ): at the checkpoint, or averaged over
#: every step t = 1..T as Ahn & Cutkosky's Theorems 11 and 18 bound them (L2, and Definition 15's L1)
CERTIFICATES = {"certificate": {}, "avg_certificate": {"average": True},
                "avg_certificate_l1": {"average": True, "norm": "l1"}}


def _has_metric(claim: Claim, res) -> bool:
    if claim.metric in CERTIFICATES:
        return ("avg_" if "average" in CERTIFICATES[claim.metric] else "") + "cert_grad_norm" in res.metrics
    return claim.metric in res.metrics


def _select(claim: Claim, cells, results):
    chosen = []
    for cell, res in zip(cells, results):
        if cell.label != claim.optimizer:
            continue
        values = dict(cell.values)
        if all(_same(values.get(k), v) for k, v in claim.select.items()):
            chosen.append((cell, res))
    return chosen


def _same(a, b) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(a, b, rel_tol=1e-12)
    return a == b


def _fit_seed(claim: Claim) -> int:
    # fixed, claim-specific bootstrap seed: the same claim gives the same interval every run
    return int.from_bytes(claim.name.encode()[:8].ljust(8, b"\0"), "little") % (2**32)


#: floating-point resolution of a comparison: a deterministic run's interval has zero width,
#: and its fit can only be compared with the prediction up to rounding
_ULP_TOL = 64 * np.finfo(np.float64).eps


def _verdict_interval(claim, predicted, text, measured, ci, fit, keys, *, asymptotic=True, why=""):
    verdict = _verdict_plain(claim, predicted, text, measured, ci, fit, keys, asymptotic=asymptotic, why=why)
    if claim.correction and asymptotic:
        verdict = replace(verdict, reason=f"{verdict.reason} ({fit.message})")
    return verdict


def _verdict_plain(claim, predicted, text, measured, ci, fit, keys, *, asymptotic=True, why=""):
    tol = _ULP_TOL * max(abs(predicted), abs(measured), 1.0)
    ci = (ci[0] - tol, ci[1] + tol) if ci[1] - ci[0] < tol else ci
    stated = ""
    if claim.tolerance and asymptotic and not ci[0] <= predicted <= ci[1]:
        ci = (ci[0] - claim.tolerance, ci[1] + claim.tolerance)
        stated = f" (within the stated tolerance ±{claim.tolerance:g}: {claim.note})"
    if not asymptotic:
        return Verdict(claim, "inconclusive", predicted, text, measured, ci,
                       f"not asymptotic: {why}", fit, keys)
    if claim.kind == "upper_bound":
        if ci[0] > predicted:
            return Verdict(claim, "disagrees", predicted, text, measured, ci,
                           "the measured exponent is above the bound beyond its CI", fit, keys)
        return Verdict(claim, "agrees", predicted, text, measured, ci,
                       "within the bound" if ci[1] <= predicted else "the CI contains the bound", fit, keys)
    if ci[0] <= predicted <= ci[1]:
        return Verdict(claim, "agrees", predicted, text, measured, ci, "the prediction lies in the CI" + stated,
                       fit, keys)
    return Verdict(claim, "disagrees", predicted, text, measured, ci, "the prediction lies outside the CI",
                   fit, keys)


def evaluate(claim: Claim, cells, results, problems_by_key=None) -> Verdict:
    """Evaluate one claim on an experiment's cells and results (same order): its theorem's hypotheses on the
    runs it reads, then the measurement; outside the hypotheses the verdict is ``observation``."""
    v = _measure(claim, cells, results, problems_by_key)
    v = replace(v, measured_verdict=v.verdict, p_value=_p_value(v))
    checks = _check_hypotheses(claim, cells, results)
    failed = [h for h in checks if not h.holds]
    if failed or claim.observation:
        listed = "; ".join(f"{h.name}: no — {h.why}" + (" (on purpose)" if h.name in claim.outside else "")
                           for h in failed)
        why = listed if failed else "outside the theorem on purpose"
        v = replace(v, verdict="observation", reason=f"outside the theorem ({why}); the measurement alone: "
                                                      f"{v.verdict}, {v.reason}")
    return replace(v, hypotheses=tuple(checks))


#: claim kinds that say the measured value equals the prediction (they need a tight theorem)
TWO_SIDED = ("rate", "horizon_rate", "sample_complexity", "linear_rate", "hitting_sweep", "exact")


def _check_hypotheses(claim: Claim, cells, results) -> list:
    """Each hypothesis of the claim's theorem on the runs of the claim's optimizer (the worst run decides)."""
    if claim.theorem is None:
        return []
    thm = THM.get(claim.theorem)
    runs = [(_problems.from_config(dict(cell.problem_config)),
             _optimizers.from_config(dict(cell.optimizer_config)).describe()) for cell, _ in _select(claim, cells, results)]
    out = []
    for name in thm.hypotheses:
        checks = [HYP.check(name, problem, opt, claim) for problem, opt in runs]
        if checks:
            out.append(next((h for h in checks if not h.holds), checks[0]))
    return out


def _p_value(v: Verdict) -> float | None:
    """p-value of "the claim's prediction holds", from the interval by a normal approximation (one-sided for
    bounds, two-sided for equalities); a zero-width interval (deterministic run) gives 0 or 1 by the verdict."""
    from scipy.stats import norm
    claim = v.claim
    if v.measured is None or v.ci is None or (v.verdict == "inconclusive" and v.predicted is None):
        return None
    m, (lo, hi) = float(v.measured), (float(v.ci[0]), float(v.ci[1]))
    if claim.kind == "exact":
        return 0.0 if v.verdict == "disagrees" else 1.0
    se = (hi - lo) / (2 * norm.ppf(0.975))
    if not se > 0:
        return 0.0 if v.verdict == "disagrees" else 1.0
    if claim.kind in ("advantage", "hitting_ratio"):
        ps = [norm.cdf((m - a) / se) for a in [claim.above] if a is not None]
        ps += [norm.cdf((b - m) / se) for b in [claim.below] if b is not None]
        return float(min(1.0, len(ps) * min(ps)))
    if v.predicted is None:
        return None
    pred = float(v.predicted)
    if claim.kind in ("upper_bound", "bound") or (claim.kind == "outcome" and claim.below is not None):
        return float(norm.sf((m - pred) / se))       # evidence against "measured <= prediction"
    if claim.kind == "outcome":
        return float(norm.cdf((m - pred) / se))      # evidence against "measured >= threshold"
    return float(2 * norm.sf(abs(m - pred) / se))


def _measure(claim: Claim, cells, results, problems_by_key=None) -> Verdict:
    """The measurement and its verdict, before the hypotheses are looked at."""
    chosen = _select(claim, cells, results)
    keys = tuple(c.key for c, _ in chosen)
    if not chosen:
        return Verdict(claim, "inconclusive", None, "", None, None,
                       f"no cell matches optimizer {claim.optimizer!r} and select {claim.select}", None, keys)
    if claim.kind in ("horizon_rate", "upper_bound") and len(chosen) > 1 and claim.min_steps:
        # a claim about the long run reads the horizons T >= min_steps of a sweep
        long = [(c, r) for c, r in chosen if r.steps >= claim.min_steps]
        if len(long) < 3:
            return Verdict(claim, "inconclusive", None, "", None, None,
                           f"horizon too short: {len(long)} of {len(chosen)} horizons reach T >= {claim.min_steps}, "
                           f"a fit across horizons needs 3 (run the full version)", None, keys)
        chosen = long
        keys = tuple(c.key for c, _ in chosen)
    short = [c.key for c, r in chosen if r.steps < claim.min_steps]
    if short:
        return Verdict(claim, "inconclusive", None, "", None, None,
                       f"horizon too short: {short[0]} ran {chosen[0][1].steps} steps, the claim is about "
                       f"t >= {claim.min_steps} (run the full version)", None, keys)
    for cell, res in chosen:
        if not _has_metric(claim, res):
            return Verdict(claim, "inconclusive", None, "", None, None,
                           f"metric {claim.metric!r} not recorded in {cell.key}", None, keys)
    if claim.kind == "advantage":
        return _evaluate_advantage(claim, cells, results)
    if claim.kind == "hitting_ratio":
        try:
            return _evaluate_hitting_ratio(claim, cells, results)
        except ValueError as err:
            return Verdict(claim, "inconclusive", None, "", None, None, f"refused: {err}", None, keys)
    try:
        if claim.kind in ("exact", "outcome", "bound"):
            return _evaluate_direct(claim, chosen, keys, problems_by_key or {})
        return _evaluate_fit(claim, chosen, keys)
    except ValueError as err:  # too few survivors, too short a window, ...: refused fits
        return Verdict(claim, "inconclusive", None, "", None, None, f"fit refused: {err}", None, keys)


def _evaluate_fit(claim: Claim, chosen, keys) -> Verdict:
    seed = _fit_seed(claim)
    if claim.kind == "hitting_sweep":
        return _evaluate_hitting(claim, chosen, keys, seed)
    horizons = [c.value("horizon") for c, _ in chosen]
    swept = len(chosen) > 1
    if swept and (None in horizons or len(set(horizons)) != len(horizons)):
        raise ValueError(f"claim {claim.name!r} selects {len(chosen)} cells that do not differ by horizon only; "
                         f"add 'select' to fix the other sweep axes")
    constants = chosen[0][1].constants
    predicted, text = _prediction(claim, constants)
    if claim.kind == "sample_complexity":
        cell, res = chosen[0]
        fit = F.fit_sample_complexity(res.checkpoints, values(claim, res), np.array(claim.eps),
                                      center=claim.center, method=claim.method, rng=seed)
        return _verdict_interval(claim, predicted, text, fit.exponent, fit.ci, fit, keys)
    if claim.kind == "linear_rate":
        cell, res = chosen[0]
        fit = F.fit_linear_rate(res.checkpoints, values(claim, res), center=claim.center,
                                method=claim.method, window=claim.window, rng=seed,
                                min_replicates=1 if res.replicates < 5 else 5)
        return _verdict_interval(claim, predicted, text, fit.rho, fit.ci, fit, keys,
                                 asymptotic=fit.asymptotic is not False, why=fit.message)
    k = _log_power(claim)
    if claim.kind == "horizon_rate" or (claim.kind == "upper_bound" and swept):
        order = np.argsort(horizons)
        hs = np.array(horizons, dtype=float)[order]
        vals = [values(claim, chosen[i][1])[-1] / _log_factor(h, k) for i, h in zip(order, hs)]
        fit = F.fit_horizon_sweep(hs, vals, center=claim.center, method=claim.method, rng=seed,
                                  correction=claim.correction)
    else:
        if swept:
            raise ValueError(f"a {claim.kind} claim reads one run; {len(chosen)} cells match")
        cell, res = chosen[0]
        vals = values(claim, res) / _log_factor(res.checkpoints.astype(float), k)[:, None]
        fit = F.fit_rate(res.checkpoints, vals, center=claim.center, method=claim.method,
                         window=claim.window, rng=seed)
    ok = fit.asymptotic is not False and math.isfinite(fit.exponent)
    verdict = _verdict_interval(claim, predicted, text, fit.exponent, fit.ci, fit, keys, asymptotic=ok,
                                why=fit.message)
    if k:
        verdict = replace(verdict, reason=f"{verdict.reason}; fitted on {claim.metric} / (1 + ln T)^{k}, "
                                          f"the row's log factor for this schedule")
    return verdict


def _log_power(claim: Claim):
    """The log factor an upper-bound claim divides out: the row's log power for its schedule (0 if none)."""
    if claim.kind != "upper_bound" or not claim.theory or claim.expected is not None:
        return 0
    measure = claim.metric if claim.metric in TH.MEASURES else None
    pred = TH.predicted_slope(claim.theory, measure, claim.schedule)
    return pred.log_power or 0


def _log_factor(t, k):
    """(1 + ln t)^k (1 when k = 0): the bound's (1 + log T)^k of the O((1 + log T)^k T^p) rows."""
    return (1.0 + np.log(t)) ** float(k) if k else np.ones_like(np.asarray(t, dtype=float))


def _hitting_steps(checkpoints, values, threshold) -> np.ndarray:
    """First checkpoint at which each replicate's value is <= threshold (NaN if never)."""
    hit = values <= threshold
    first = np.argmax(hit, axis=0)
    out = checkpoints[first].astype(float)
    out[~hit.any(axis=0)] = np.nan
    return out


def _evaluate_hitting(claim: Claim, chosen, keys, seed) -> Verdict:
    predicted, text = _prediction(claim)
    eps_values, times = [], []
    for cell, res in chosen:
        eps_value = cell.value(claim.threshold_axis)
        if eps_value is None:
            raise ValueError(f"cell {cell.key} has no sweep axis {claim.threshold_axis!r}")
        if claim.eps_max is not None and float(eps_value) > claim.eps_max:
            continue
        steps = _hitting_steps(res.checkpoints, values(claim, res), float(eps_value) ** claim.threshold_power)
        alive = ~res.diverged
        missed = int(np.sum(np.isnan(steps) & alive))
        if missed:
            return Verdict(claim, "inconclusive", predicted, text, None, None,
                           f"{missed} of {int(alive.sum())} replicates never reached ε = {eps_value:g} in "
                           f"{cell.key} within {res.steps} steps (censored): lengthen the run", None, keys)
        eps_values.append(float(eps_value))
        times.append(steps)
    order = np.argsort(1.0 / np.array(eps_values))
    inv = (1.0 / np.array(eps_values))[order]
    fit = F.fit_horizon_sweep(inv, [times[i] for i in order], center=claim.center, method=claim.method,
                              rng=seed, min_replicates=1 if min(len(t) for t in times) < 5 else 5,
                              correction=claim.correction)
    return _verdict_interval(claim, predicted, text, fit.exponent, fit.ci, fit, keys,
                             asymptotic=fit.asymptotic is not False and math.isfinite(fit.exponent),
                             why=fit.message)


def _evaluate_direct(claim: Claim, chosen, keys, problems_by_key) -> Verdict:
    if claim.kind == "exact":
        worst, measured, expected = 0.0, None, None
        for cell, res in chosen:
            problem = problems_by_key[cell.key]
            expected = float(getattr(problem, claim.expected_from)())
            vals = values(claim, res)[-1]
            measured = float(np.mean(vals))
            worst = max(worst, abs(measured - expected) / max(abs(expected), 1e-300))
        verdict = "agrees" if worst <= claim.rtol else "disagrees"
        return Verdict(claim, verdict, expected, f"problem.{claim.expected_from}() in each of {len(chosen)} runs",
                       measured, (worst, worst), f"max relative error {worst:.2e} (tolerance {claim.rtol:g})",
                       None, keys)
    if claim.kind == "bound":
        return _evaluate_bound(claim, chosen, keys)
    # outcome: median of the final metric across replicates, with a distribution-free CI
    verdicts = []
    for cell, res in chosen:
        vals = values(claim, res)[-1]
        vals = np.sort(vals[np.isfinite(vals)])
        n = vals.size
        if n == 0:
            why = (f"every replicate diverged in {cell.key}" if res.n_diverged == res.replicates else
                   f"no finite final value in {cell.key}: {res.n_diverged} of {res.replicates} replicates "
                   f"diverged, the metric overflowed in the others (iterate finite)")
            return Verdict(claim, "inconclusive", None, "", None, None, why, None, keys)
        lo, hi = _median_ci(vals)
        verdicts.append((cell.key, float(np.median(vals)), lo, hi, n))
    threshold = claim.above if claim.above is not None else claim.below
    side = "above" if claim.above is not None else "below"
    text = f"final median {side} {threshold:g}"
    inside = [(k, m, lo, hi) for k, m, lo, hi, _ in verdicts
              if (lo > threshold if side == "above" else hi < threshold)]
    outside = [(k, m, lo, hi) for k, m, lo, hi, _ in verdicts
               if (hi < threshold if side == "above" else lo > threshold)]
    key, med, lo, hi, n = min(verdicts, key=lambda v: v[1]) if side == "above" else max(verdicts, key=lambda v: v[1])
    if len(inside) == len(verdicts):
        verdict, reason = "agrees", f"every selected run's median CI is {side} {threshold:g}"
    elif outside:
        verdict, reason = "disagrees", f"{outside[0][0]}: median {outside[0][1]:.3g} CI entirely on the wrong side"
    else:
        verdict, reason = "inconclusive", f"{key}: median CI [{lo:.3g}, {hi:.3g}] straddles {threshold:g}"
    return Verdict(claim, verdict, threshold, text, med, (lo, hi), reason, None, keys)


def _mean_ci(vals: np.ndarray, confidence: float = 0.95):
    """Student-t interval for the mean of independent replicates (a point for n < 2)."""
    from scipy import stats
    m = float(np.mean(vals))
    if vals.size < 2:
        return m, m
    half = float(stats.t.ppf(0.5 + confidence / 2, vals.size - 1) * np.std(vals, ddof=1) / math.sqrt(vals.size))
    return m - half, m + half


def _evaluate_bound(claim: Claim, chosen, keys) -> Verdict:
    """Mean final metric (an expectation, as the theorems bound it) against each run's explicit bound."""
    rows = []
    for cell, res in chosen:
        bound = claim.below if claim.bound_axis is None else cell.value(claim.bound_axis)
        if bound is None:
            raise ValueError(f"cell {cell.key} has no sweep axis {claim.bound_axis!r}")
        vals = values(claim, res)[-1]
        vals = vals[np.isfinite(vals)]
        if vals.size < 2:
            return Verdict(claim, "inconclusive", float(bound), "", None, None,
                           f"{cell.key}: {vals.size} finite final value(s); a mean needs at least 2", None, keys)
        lo, hi = _mean_ci(vals)
        rows.append((cell.key, float(np.mean(vals)), lo, hi, float(bound)))
    worst = max(rows, key=lambda r: r[3] / r[4])     # the run closest to (or furthest past) its bound
    key, mean, lo, hi, bound = worst
    text = f"mean ≤ {bound:.4g} ({claim.expected_source})"
    detail = "; ".join(f"{k}: {m:.4g} [{a:.4g}, {b:.4g}] vs {bd:.4g}" for k, m, a, b, bd in rows)
    if all(r[3] < r[4] for r in rows):
        verdict, reason = "agrees", f"every run's mean CI is below its bound ({detail})"
    elif any(r[2] > r[4] for r in rows):
        bad = next(r for r in rows if r[2] > r[4])
        verdict, reason = "disagrees", f"{bad[0]}: mean CI [{bad[2]:.4g}, {bad[3]:.4g}] above the bound {bad[4]:.4g}"
    else:
        verdict, reason = "inconclusive", f"{key}: mean CI [{lo:.4g}, {hi:.4g}] straddles the bound {bound:.4g}"
    return Verdict(claim, verdict, bound, text, mean, (lo, hi), reason, None, keys)


def _evaluate_advantage(claim: Claim, cells, results) -> Verdict:
    """Ratio of best-tuned mean final metrics, with a paired bootstrap that re-tunes per resample."""
    grids = {}
    for label in (claim.optimizer, claim.against):
        picked = _select(replace(claim, optimizer=label), cells, results)
        rows = []
        for cell, res in picked:
            if cell.value(claim.tune) is None:
                raise ValueError(f"cell {cell.key} has no sweep axis {claim.tune!r}")
            rows.append(values(claim, res)[-1])
        grids[label] = rows
    keys = tuple(c.key for c, _ in _select(claim, cells, results))
    if not grids[claim.optimizer] or not grids[claim.against]:
        return Verdict(claim, "inconclusive", None, "", None, None,
                       f"no cells for {claim.optimizer!r} and {claim.against!r} with select {claim.select}", None, keys)
    sizes = {v.size for rows in grids.values() for v in rows}
    if len(sizes) != 1:
        return Verdict(claim, "inconclusive", None, "", None, None,
                       f"the cells have different replicate counts {sorted(sizes)}: a paired comparison needs "
                       f"equal counts", None, keys)
    n = sizes.pop()
    # a diverged replicate makes its cell's mean infinite: that setting is never the best
    mats = {k: np.where(np.isfinite(np.stack(v)), np.stack(v), np.inf) for k, v in grids.items()}

    def ratio(idx):
        best = {k: np.min(m[:, idx].mean(axis=-1), axis=0) for k, m in mats.items()}
        return best[claim.against] / best[claim.optimizer]

    point = float(ratio(np.arange(n)))
    if not math.isfinite(point):
        return Verdict(claim, "inconclusive", None, "", None, None,
                       "every tuning of one method diverged in some replicate", None, keys)
    what = (f"best {claim.metric} of {claim.against} / best of {claim.optimizer} over {claim.tune} "
            f"({n} paired replicates, re-tuned in each of 2000 resamples)")
    return _ratio_verdict(claim, ratio, n, point, what, keys)


def _ratio_verdict(claim: Claim, ratio, n: int, point: float, what: str, keys, shown: str = "") -> Verdict:
    """Paired bootstrap CI of ``ratio(replicate indices)`` against the claim's ``above``/``below``."""
    gen = np.random.default_rng(_fit_seed(claim))
    boot = np.array([ratio(gen.integers(0, n, n)) for _ in range(2000)])
    lo, hi = (float(v) for v in np.quantile(boot[np.isfinite(boot)], [0.025, 0.975]))
    bounds = [(claim.above, "above"), (claim.below, "below")]
    bounds = [(v, side) for v, side in bounds if v is not None]
    text = " and ".join(f"ratio {side} {v:g}" for v, side in bounds) + shown
    wrong = [f"CI entirely {('below' if side == 'above' else 'above')} {v:g}" for v, side in bounds
             if (hi < v if side == "above" else lo > v)]
    right = all((lo > v if side == "above" else hi < v) for v, side in bounds)
    if right:
        return Verdict(claim, "agrees", bounds[0][0], text, point, (lo, hi), f"the whole CI is {text}: {what}",
                       None, keys)
    if wrong:
        return Verdict(claim, "disagrees", bounds[0][0], text, point, (lo, hi), f"{wrong[0]}: {what}", None, keys)
    return Verdict(claim, "inconclusive", bounds[0][0], text, point, (lo, hi),
                   f"the CI [{lo:.3g}, {hi:.3g}] straddles a bound: {what}", None, keys)


def _evaluate_hitting_ratio(claim: Claim, cells, results) -> Verdict:
    """Mean first step at which each replicate's metric is <= the run's threshold: ``against`` / ``optimizer``."""
    times, thresholds, shown, keys = {}, {}, {}, ()
    for label in (claim.optimizer, claim.against):
        picked = _select(replace(claim, optimizer=label), cells, results)
        keys += tuple(c.key for c, _ in picked)
        if len(picked) != 1:
            raise ValueError(f"{len(picked)} cells of {label!r} match select {claim.select}; a hitting ratio "
                             f"compares one run of each method: add 'select'")
        cell, res = picked[0]
        threshold = cell.value(claim.threshold_axis)
        if threshold is None:
            raise ValueError(f"cell {cell.key} has no sweep axis {claim.threshold_axis!r}")
        steps = _hitting_steps(res.checkpoints, values(claim, res), float(threshold))
        missed = int(np.sum(np.isnan(steps)))
        if missed:
            raise ValueError(f"{missed} of {steps.size} replicates of {label!r} never reached {threshold:g} "
                             f"within {res.steps} steps (censored): lengthen the run")
        times[label], thresholds[label] = steps, float(threshold)
        if claim.ratio_axis is not None and cell.value(claim.ratio_axis) is not None:
            shown[label] = float(cell.value(claim.ratio_axis))
    a, b = times[claim.optimizer], times[claim.against]
    if a.size != b.size:
        raise ValueError(f"the runs have different replicate counts ({a.size}, {b.size}): a paired comparison "
                         f"needs equal counts")

    def ratio(idx):
        return float(b[idx].mean() / a[idx].mean())

    beside = f" (beside {claim.ratio_axis.split('.')[-1]} = {next(iter(shown.values())):.4g})" if shown else ""
    what = (f"mean first step with {claim.metric} <= {thresholds[claim.optimizer]:g}: {b.mean():.4g} for "
            f"{claim.against}, {a.mean():.4g} for {claim.optimizer} ({a.size} paired replicates, 2000 resamples)")
    return _ratio_verdict(claim, ratio, a.size, ratio(np.arange(a.size)), what, keys, beside)


def _median_ci(sorted_vals: np.ndarray, confidence: float = 0.95):
    """Distribution-free CI for the median from order statistics (binomial); a point for n < 6."""
    from scipy import stats
    n = sorted_vals.size
    if n < 6:
        m = float(np.median(sorted_vals))
        return m, m
    alpha = 1 - confidence
    lo_idx = int(stats.binom.ppf(alpha / 2, n, 0.5))
    hi_idx = int(stats.binom.isf(alpha / 2, n, 0.5))
    lo_idx = max(lo_idx - 1, 0)
    hi_idx = min(hi_idx, n - 1)
    return float(sorted_vals[lo_idx]), float(sorted_vals[hi_idx])
