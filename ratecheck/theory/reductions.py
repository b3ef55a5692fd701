r"""(λ,ε)-stationarity reductions, derived symbolically.

:func:`reductions` derives, symbolically, that an :math:`(L^2/\epsilon,\epsilon)`-stationary
point of an L-smooth F and an :math:`(H/2,\epsilon)`-stationary point of an F with
H-Lipschitz Hessian both have :math:`\|\nabla F\|\le 2\epsilon`, and what the rate
:math:`\lambda^{1/2}\epsilon^{-7/2}` becomes under each substitution
(:math:`L\epsilon^{-4}`; :math:`(H/2)^{1/2}\epsilon^{-7/2}`; :math:`\delta^{-1}\epsilon^{-3}` with
:math:`\lambda=\epsilon/\delta^2`, the Goldstein row).
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from .rate_table import row
from .symbols import H, L, delta, eps, lam

__all__ = ["Reduction", "gradient_bound", "reduce_rate", "reductions"]


@dataclass(frozen=True)
class Reduction:
    r"""A (λ,ε)-stationarity reduction: which λ, what it gives, and the rate after substitution.

    Attributes
    ----------
    name, assumption, source : str
    lam : sympy.Expr
        The λ substituted (in ε, L, H, δ).
    bound : sympy.Expr or None
        Upper bound on ‖∇F(x)‖ of a (λ,ε)-stationary x, from bounding the two terms of
        ‖∇F‖_[λ] separately (a ≤ ε and λ s ≤ ε): the reference's 2ε.
    sharp_bound : sympy.Expr or None
        The maximum of the same bound over the feasible split a + λ s ≤ ε.
    rate : sympy.Expr
        :math:`\lambda^{1/2}\epsilon^{-7/2}` with λ substituted.
    """

    name: str
    assumption: str
    lam: sp.Expr
    bound: sp.Expr | None
    sharp_bound: sp.Expr | None
    rate: sp.Expr
    source: str


_a, _s = sp.symbols("a s", nonnegative=True)


def gradient_bound(remainder, lam_value):
    r"""Bounds on ‖∇F(x)‖ for x with a + λ s ≤ ε.

    Write p for the distribution of ‖∇F(x)‖_[λ] (mean x), a = ‖E_p ∇F(w)‖ and
    s = E_p‖w − x‖². Then ‖∇F(x)‖ ≤ a + r(s) with r the remainder of the assumption:
    r(s) = L√s (L-smooth and Jensen) or r(s) = (H/2) s (Taylor with H-Lipschitz Hessian,
    the first-order term vanishing because E_p w = x). Loose: a ≤ ε and s ≤ ε/λ separately;
    sharp: max over a ∈ [0, ε] of a + r((ε − a)/λ).
    """
    loose = sp.simplify(eps + remainder(eps / lam_value))
    f = sp.simplify(_a + remainder((eps - _a) / lam_value))
    candidates = [sp.Integer(0), eps]
    df = sp.diff(f, _a)
    if df != 0:
        candidates += [c for c in sp.solve(df, _a) if c.is_real is not False]
    values = [sp.simplify(f.subs(_a, c)) for c in candidates]
    sharp = values[0]
    for v in values[1:]:
        if sp.simplify(v - sharp).is_positive:
            sharp = v
    return loose, sharp


def reduce_rate(lam_value) -> sp.Expr:
    r""":math:`\lambda^{1/2}\epsilon^{-7/2}` (the (λ,ε) row) with λ substituted."""
    return sp.simplify(row("lambda_stationary").expr.subs(lam, lam_value))


def reductions() -> tuple:
    """The three reductions of the theory reference, each derived symbolically."""
    lam_smooth = L**2 / eps
    lam_hess = H / 2
    smooth = gradient_bound(lambda s: L * sp.sqrt(s), lam_smooth)
    hess = gradient_bound(lambda s: H / 2 * s, lam_hess)
    return (
        Reduction("smooth", "F is L-smooth", lam_smooth, smooth[0], smooth[1], reduce_rate(lam_smooth),
                  "Ahn & Cutkosky 2024, Lemma 4 (citing Zhang & Cutkosky 2024, Lemma 2.3); Corollary 13"),
        Reduction("hessian", "∇²F is H-Lipschitz", lam_hess, hess[0], hess[1], reduce_rate(lam_hess),
                  "Ahn & Cutkosky 2024, Lemma 4 (citing Zhang & Cutkosky 2024, Lemma 2.3); Corollary 13"),
        Reduction("goldstein", "F is G-Lipschitz; with λ = ε/δ², (λ,ε) relaxes (δ,ε)-Goldstein",
                  eps / delta**2, None, None, reduce_rate(eps / delta**2),
                  "Ahn & Cutkosky 2024, Lemma 5 (citing Zhang & Cutkosky 2024, Lemma 2.4): ε' = (1 + 2G/(λδ²))ε"),
    )
