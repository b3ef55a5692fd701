r"""Hypotheses of theorems as named, checkable conditions on a run: the problem, the optimizer, the claim.

A theorem (:mod:`ratecheck.theorems`) lists the conditions it assumes by name; :func:`check` evaluates each
on the runs a claim reads and says why it holds or fails, from what the problem and its noise model
declare (:meth:`ratecheck.problems.Problem.constants`, ``convex``), what the optimizer's configuration is
(its schedules and conventions) and which measure the claim reads. A condition that cannot be decided
(e.g. a user-defined problem that declares nothing) fails, with the reason: a verdict is only as good as
the reading of the theorem it checks.

=========================  ==========================================================================
name                       holds when
=========================  ==========================================================================
``L_smooth``               the problem declares L (∇F is L-Lipschitz)
``H_hessian_lipschitz``    the problem declares H (∇²F is H-Lipschitz)
``G_lipschitz``            the problem declares G (‖∇F‖ ≤ G)
``per_coordinate_lipschitz`` the problem declares G_i (|∂_iF| ≤ G_i, Assumption 14 of Ahn & Cutkosky)
``convex``                 the family declares itself convex
``strongly_convex``        the problem declares μ > 0
``bounded_domain``         the problem has a box domain
``bounded_variance``       E‖g − ∇F‖² ≤ σ² < ∞ is declared
``per_coordinate_variance`` σ_i is declared for every coordinate
``bounded_second_moment``  E‖g‖² ≤ G² + σ² (G and a finite σ² declared)
``bounded_gradients``      ‖g‖∞ bounded almost surely: G_i (or G) and an almost-sure noise bound declared
``exact_gradients``        no noise at all
``step_inv_sqrt``          the step is α/√t (schedule ``inv_sqrt``)
``step_horizon``           the step is constant within a run and the claim reads horizons (α ∝ 1/√T)
``step_inv_mu``            the step is 1/(μt) (schedule ``inv_mu``)
``momentum_inv_sqrt``      1 − β1,t = β/√t (β1 schedule ``one_minus_inv_sqrt``)
``momentum_geometric``     β1,t = β1 λ^t (β1 schedule ``geometric``)
``beta1_lt_sqrt_beta2``    β1 < √β2 (for a β1 schedule: its largest value)
``eps_positive``           the optimizer's ε > 0
=========================  ==========================================================================

Parametrised names read ``name=value``: ``algorithm=NAME`` (the optimizer is NAME), ``option=KEY:VALUE``
(its hyperparameter KEY is VALUE), ``measure=M1|M2`` (the claim reads one of these metrics),
``family=F1|F2`` (the problem is one of these families).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["Check", "check", "NAMES", "describe"]


@dataclass(frozen=True)
class Check:
    """One hypothesis evaluated on one experiment: ``holds`` and why (JSON: ``{"name", "holds", "why"}``)."""

    name: str
    holds: bool
    why: str

    def as_dict(self) -> dict:
        return {"name": self.name, "holds": self.holds, "why": self.why}


def _declared(c, key):
    value = c.get(key)
    if value is None:
        return False
    try:
        return bool(math.isfinite(float(value)))
    except TypeError:       # arrays
        return bool(np.all(np.isfinite(value)))


def _noise_kind(problem) -> str:
    noise = getattr(problem, "noise", None)
    return getattr(noise, "kind", "unknown")


def _schedule_name(value) -> str:
    if isinstance(value, dict):
        return value.get("schedule", "?")
    return "constant" if isinstance(value, (int, float)) else "?"


def _problem_checks(name, problem):
    c = problem.constants() if hasattr(problem, "constants") else {}
    fam = getattr(problem, "name", type(problem).__name__)
    noise = _noise_kind(problem)
    if name == "L_smooth":
        ok = _declared(c, "L")
        return ok, f"L = {c['L']:g} declared by {fam}" if ok else f"{fam} declares no L (not smooth)"
    if name == "H_hessian_lipschitz":
        ok = _declared(c, "H")
        return ok, f"H = {c['H']:g} declared by {fam}" if ok else f"{fam} declares no H"
    if name == "G_lipschitz":
        ok = _declared(c, "G")
        return ok, (f"G = {c['G']:g} declared by {fam}" if ok else
                    f"{fam} declares no G: its gradient is not bounded")
    if name == "per_coordinate_lipschitz":
        ok = _declared(c, "G_coords")
        return ok, f"G_i declared by {fam}" if ok else f"{fam} declares no per-coordinate bound G_i"
    if name == "convex":
        ok = getattr(problem, "convex", None) is True
        return ok, f"{fam} is convex" if ok else f"{fam} is not declared convex"
    if name == "strongly_convex":
        ok = _declared(c, "mu") and c["mu"] > 0
        return ok, f"μ = {c['mu']:g}" if ok else f"{fam} declares no μ > 0"
    if name == "bounded_domain":
        ok = getattr(problem, "domain", None) is not None
        return ok, "box domain" if ok else f"{fam} has no bounded domain"
    if name == "bounded_variance":
        ok = _declared(c, "sigma2")
        return ok, (f"σ² = {c['sigma2']:g} ({noise} noise)" if ok else f"unbounded variance ({noise} noise)")
    if name == "per_coordinate_variance":
        ok = _declared(c, "sigma_coords")
        return ok, f"σ_i declared ({noise} noise)" if ok else f"no per-coordinate σ_i declared ({noise} noise)"
    if name == "bounded_second_moment":
        ok = _declared(c, "G") and _declared(c, "sigma2")
        return ok, ("E‖g‖² ≤ G² + σ²" if ok else
                    "E‖g‖² is not bounded: " + ("no G (the gradient grows)" if not _declared(c, "G") else
                                                f"unbounded variance ({noise} noise)"))
    if name == "bounded_gradients":
        grad_ok = _declared(c, "G_coords") or _declared(c, "G")
        noise_ok = _declared(c, "noise_bound")
        if grad_ok and noise_ok:
            return True, f"‖g‖∞ bounded almost surely ({noise} noise)"
        why = []
        if not grad_ok:
            why.append(f"{fam} declares no G (its gradient is unbounded)")
        if not noise_ok:
            why.append(f"{noise} noise is unbounded" if noise != "unknown" else "no almost-sure noise bound declared")
        return False, "; ".join(why)
    if name == "exact_gradients":
        ok = noise == "none" and _declared(c, "sigma2") and c["sigma2"] == 0
        return ok, "exact gradients" if ok else f"stochastic gradients ({noise} noise, σ² = {c.get('sigma2')})"
    if name.startswith("family="):
        wanted = name.split("=", 1)[1].split("|")
        return fam in wanted, f"problem {fam}" + ("" if fam in wanted else f", theorem's instance: {' or '.join(wanted)}")
    return None


def _optimizer_checks(name, opt: dict, claim):
    alg = opt.get("name", "?")
    if name.startswith("algorithm="):
        wanted = name.split("=", 1)[1].split("|")
        return alg in wanted, f"optimizer {alg}" + ("" if alg in wanted else f", theorem's: {' or '.join(wanted)}")
    if name.startswith("option="):
        key, value = name.split("=", 1)[1].split(":", 1)
        have = opt.get(key)
        ok = str(have).lower() == value.lower()
        return ok, f"{key} = {have}" + ("" if ok else f", theorem needs {value}")
    if name == "step_inv_sqrt":
        s = _schedule_name(opt.get("lr"))
        return s == "inv_sqrt", f"step schedule {s}" + ("" if s == "inv_sqrt" else ", theorem needs α/√t")
    if name == "step_inv_mu":
        s = _schedule_name(opt.get("lr"))
        return s == "inv_mu", f"step schedule {s}" + ("" if s == "inv_mu" else ", theorem needs 1/(μt)")
    if name == "step_horizon":
        s = _schedule_name(opt.get("lr"))
        ok = s in ("constant", "horizon_sqrt") and getattr(claim, "schedule", None) == "horizon"
        return ok, (f"step {s} within a run, tuned to the horizon" if ok else
                    f"step schedule {s} with claim schedule {getattr(claim, 'schedule', None)}, theorem needs "
                    f"a constant step c/√T tuned to the horizon")
    if name in ("momentum_inv_sqrt", "momentum_geometric"):
        want = {"momentum_inv_sqrt": "one_minus_inv_sqrt", "momentum_geometric": "geometric"}[name]
        s = _schedule_name(opt.get("beta1"))
        text = {"one_minus_inv_sqrt": "1 − β/√t", "geometric": "β1·λ^t"}[want]
        return s == want, (f"momentum {text}" if s == want else
                           f"momentum {'constant' if s == 'constant' else s}, theorem needs {text}")
    if name == "beta1_lt_sqrt_beta2":
        b1, b2 = opt.get("beta1"), opt.get("beta2")
        if isinstance(b1, dict):
            b1 = b1.get("beta1", b1.get("beta"))
        if not isinstance(b1, (int, float)) or not isinstance(b2, (int, float)):
            return False, f"β1 = {b1}, β2 = {b2}: not comparable"
        ok = b1 < math.sqrt(b2)
        return ok, f"β1 = {b1:g} {'<' if ok else '≥'} √β2 = {math.sqrt(b2):.4g}"
    if name == "eps_positive":
        eps = opt.get("eps")
        ok = isinstance(eps, (int, float)) and eps > 0
        return ok, f"ε = {eps}" + ("" if ok else ", theorem needs ε > 0")
    return None


def _claim_checks(name, claim):
    if name.startswith("measure="):
        wanted = name.split("=", 1)[1].split("|")
        m = claim.metric
        return m in wanted, (f"measure {m}" if m in wanted else
                             f"measure {m}, theorem bounds {' or '.join(wanted)}")
    return None


#: every plain name :func:`check` understands (parametrised ones: algorithm=, option=, measure=, family=)
NAMES = ("L_smooth", "H_hessian_lipschitz", "G_lipschitz", "per_coordinate_lipschitz", "convex", "strongly_convex",
         "bounded_domain", "bounded_variance", "per_coordinate_variance", "bounded_second_moment",
         "bounded_gradients", "exact_gradients", "step_inv_sqrt", "step_horizon", "step_inv_mu",
         "momentum_inv_sqrt", "momentum_geometric", "beta1_lt_sqrt_beta2", "eps_positive")
PARAMETRISED = ("algorithm=", "option=", "measure=", "family=")


def known(name: str) -> bool:
    return name in NAMES or name.startswith(PARAMETRISED)


def check(name: str, problem, optimizer_config: dict, claim) -> Check:
    """Evaluate one hypothesis on one run (its problem object, its optimizer's ``describe()`` and the claim)."""
    if not known(name):
        raise ValueError(f"unknown hypothesis {name!r}; known: {', '.join(NAMES)}, or {', '.join(PARAMETRISED)}...")
    for fn, args in ((_problem_checks, (name, problem)), (_optimizer_checks, (name, optimizer_config, claim)),
                     (_claim_checks, (name, claim))):
        out = fn(*args)
        if out is not None:
            return Check(name, bool(out[0]), out[1])
    raise ValueError(f"hypothesis {name!r} is not decidable here")  # pragma: no cover - known() guards it


def describe(name: str) -> str:
    """A short text of a hypothesis for tables (the names are self-describing; parameters spelled out)."""
    for prefix in PARAMETRISED:
        if name.startswith(prefix):
            return f"{prefix[:-1]} {name[len(prefix):].replace('|', ' or ')}"
    return name.replace("_", " ")
