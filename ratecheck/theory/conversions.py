r"""Converting a rate between its two forms, :math:`T(\epsilon)` and :math:`\epsilon(T)`, and its leading term.

Conversions
-----------
If :math:`T(\epsilon)` is a single term, :math:`\epsilon(T)` is its exact inverse,
e.g. :math:`T = \Delta L\sigma^2\epsilon^{-4} \iff \epsilon = (\Delta L\sigma^2/T)^{1/4}`.
If it is a sum of powers :math:`T = \sum_{i=1}^n a_i\epsilon^{-p_i}` (the stochastic
rows with a lower-order deterministic term), the exact inverse :math:`\epsilon^*`
satisfies

.. math:: \max_i (a_i/T)^{1/p_i} \;\le\; \epsilon^* \;\le\; n^{1/\min_i p_i}\,\max_i (a_i/T)^{1/p_i},

(each term is at most :math:`T`, and one term is at least :math:`T/n`), so
:math:`\epsilon(T) = \sum_i (a_i/T)^{1/p_i}` is a Θ-equivalent inverse; it is what
:func:`accuracy` returns, each term inverted by ``sympy.solve``. Round trips are
exact for single-term rows and exact in the leading term otherwise.
"""
from __future__ import annotations

import functools

import sympy as sp

from .symbols import eps

__all__ = ["positive_root", "monomial_in", "invert", "inverted", "leading_term"]


def positive_root(equation, var) -> sp.Expr:
    """The unique positive solution of ``equation`` for ``var`` (``sympy.solveset`` on (0, ∞))."""
    roots = sp.solveset(equation, var, sp.Interval.open(0, sp.oo))
    if isinstance(roots, sp.FiniteSet):
        roots = list(roots)
    else:  # e.g. the log-ratio of the linear rate, whose sign sympy cannot decide
        roots = [r for r in sp.solve(equation, var)
                 if r.is_positive is not False and r.is_real is not False and not r.has(sp.I)]
    if len(roots) != 1:
        raise ValueError(f"cannot invert {equation} for a unique positive {var}: roots {roots}")
    return sp.simplify(roots[0])


def monomial_in(term, var) -> bool:
    """``term`` = c · var**p with c free of var."""
    _, rest = term.as_independent(var, as_Add=False)
    return rest == var or (rest.is_Pow and rest.base == var and not rest.exp.has(var))


def invert(expr, var, target) -> sp.Expr:
    """Solve ``target = expr(var)`` for var; a sum of powers is inverted term by term (Θ)."""
    terms = sp.Add.make_args(sp.expand(expr))
    if len(terms) > 1 and all(monomial_in(t, var) for t in terms):
        return sp.Add(*[positive_root(sp.Eq(target, t), var) for t in terms])
    return positive_root(sp.Eq(target, expr), var)


@functools.lru_cache(maxsize=None)
def inverted(expr, var, target) -> sp.Expr:
    # sympy expressions are immutable and hashable; solving is the slow part of render()
    return invert(expr, var, target)


def leading_term(expr, var) -> sp.Expr:
    """The dominant term of a sum: as ``var`` → 0 for ε, as ``var`` → ∞ for T."""
    terms = sp.Add.make_args(sp.expand(expr))
    if len(terms) == 1:
        return expr
    at = 0 if var == eps else sp.oo
    best = terms[0]
    for t in terms[1:]:
        if sp.limit(best / t, var, at) == 0:
            best = t
    return best
