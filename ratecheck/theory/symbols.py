r"""The symbols of the rate table (all positive), the measured quantities a row's rate applies to, and the
unicode rendering of an expression (``epsilon`` -> ε, ``**`` -> ^).

:data:`MEASURES` maps a simulator metric to (the native measure kind it is a power of, that power, an extra
power of T): e.g. ``min_grad_norm_sq`` = :math:`\min_t\|\nabla F(x_t)\|^2` is the square of a gradient-norm
measure, and ``regret`` = T × the average regret.
"""
from __future__ import annotations

import re

import sympy as sp

__all__ = ["T", "eps", "lam", "delta", "L", "sigma", "Delta", "mu", "G", "D", "d", "H", "Lbar", "R", "h",
           "SYMBOLS", "UNICODE", "HALF", "MEASURES", "FORMS", "text"]

# ---------------------------------------------------------------------------- symbols
T, eps, lam, delta = sp.symbols("T epsilon lambda delta", positive=True)
L, sigma, Delta, mu, G, D, d = sp.symbols("L sigma Delta mu G D d", positive=True)
#: Hessian Lipschitz constant, mean-squared smoothness constant, ‖x_0 − x*‖, step factor (η = h/L)
H, Lbar, R, h = sp.symbols("H Lbar R h", positive=True)

#: every symbol a rate may use, by name; all are declared positive
SYMBOLS = {s.name: s for s in (T, eps, lam, delta, L, sigma, Delta, mu, G, D, d, H, Lbar, R, h)}

UNICODE = {"epsilon": "ε", "lambda": "λ", "delta": "δ", "sigma": "σ", "Delta": "Δ", "mu": "μ",
            "Lbar": "L̄", "pi": "π"}

HALF = sp.Rational(1, 2)

# ---------------------------------------------------------------------------- measures
#: measured quantity -> (native kind, power of that kind, extra power of T)
#: e.g. ``min_grad_norm_sq`` = min_t ‖∇F(x_t)‖² is the square of a gradient-norm measure.
MEASURES = {
    "grad_norm": ("grad_norm", sp.Integer(1), sp.Integer(0)),
    "grad_norm_sq": ("grad_norm", sp.Integer(2), sp.Integer(0)),
    "min_grad_norm_sq": ("grad_norm", sp.Integer(2), sp.Integer(0)),
    "avg_grad_norm_sq": ("grad_norm", sp.Integer(2), sp.Integer(0)),
    "out_grad_norm_sq": ("grad_norm", sp.Integer(2), sp.Integer(0)),
    "gap": ("gap", sp.Integer(1), sp.Integer(0)),
    "min_gap": ("gap", sp.Integer(1), sp.Integer(0)),
    "out_gap": ("gap", sp.Integer(1), sp.Integer(0)),
    "dist": ("dist", sp.Integer(1), sp.Integer(0)),
    "out_dist": ("dist", sp.Integer(1), sp.Integer(0)),
    "goldstein": ("goldstein", sp.Integer(1), sp.Integer(0)),
    "lambda_norm": ("lambda_norm", sp.Integer(1), sp.Integer(0)),
    "certificate": ("lambda_norm", sp.Integer(1), sp.Integer(0)),
    # Ahn & Cutkosky's measures: E_{t~U[T]} of the (λ,ε) measure at the EMA point, L2 and L1
    # (Definition 15), and E_t ‖∇F(x̄_t)‖ (Corollary 13), all to the first power
    "avg_certificate": ("lambda_norm", sp.Integer(1), sp.Integer(0)),
    "avg_certificate_l1": ("lambda_norm_l1", sp.Integer(1), sp.Integer(0)),
    "avg_out_grad_norm": ("grad_norm", sp.Integer(1), sp.Integer(0)),
    "avg_regret": ("avg_regret", sp.Integer(1), sp.Integer(0)),
    # (1/T) Σ_{t<T} (F(x_t) − F*) on an online family with i.i.d. losses: its expectation is the
    # expected average regret against x*, at most the regret against the best point in hindsight
    "avg_gap": ("avg_regret", sp.Integer(1), sp.Integer(0)),
    "regret": ("avg_regret", sp.Integer(1), sp.Integer(1)),
}

FORMS = ("complexity", "accuracy")


def text(expr) -> str:
    s = sp.sstr(expr)
    s = re.sub(r"\b(" + "|".join(UNICODE) + r")\b", lambda m: UNICODE[m.group(1)], s)
    return s.replace("**", "^").replace("*", "·")
