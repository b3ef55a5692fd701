r"""The rate table as text: markdown (unicode symbols) or a LaTeX tabular that compiles with pdflatex.

In LaTeX the rates are ``sympy.latex`` of the stored and derived forms, and every text cell goes through
:func:`ratecheck.theory.latex.latex_text` (symbols such as ‖∇F‖ and ε in math mode, ``$\|\nabla F\|$`` and
``$\varepsilon$``; specials escaped), so the output is ASCII.
"""
from __future__ import annotations

import sympy as sp

from .. import validate as V
from .latex import latex_text
from .rate_table import Rate, accuracy, complexity, table
from .symbols import text

__all__ = ["COLUMNS", "render"]

COLUMNS = ("key", "setting", "measure", "rate", "derived", "lower bound", "attained by", "source", "tight")


def _cells(rate: Rate, fmt: str) -> list:
    stored, derived = (("T(ε) = ", "ε(T) = ") if rate.form == "complexity" else ("ε(T) = ", "T(ε) = "))
    other = accuracy(rate) if rate.form == "complexity" else complexity(rate)
    tight = {True: "tight", None: "unverified", False: "upper bound"}[rate.tight]
    if fmt == "latex":
        var, ovar = ((r"T(\epsilon)", r"\epsilon(T)") if rate.form == "complexity"
                     else (r"\epsilon(T)", r"T(\epsilon)"))
        rate_cell = f"${var} = {sp.latex(rate.expr)}$"
        other_cell = f"${ovar} = {sp.latex(other)}$"
        return [latex_text(rate.key), latex_text(rate.setting), latex_text(rate.measure), rate_cell, other_cell,
                latex_text(rate.lower_bound), latex_text("; ".join(rate.attained_by)), latex_text(rate.source),
                tight]
    return [rate.key, rate.setting, rate.measure, stored + text(rate.expr), derived + text(other),
            rate.lower_bound, "; ".join(rate.attained_by), rate.source, tight]


def render(format: str = "markdown") -> str:
    """The table as text: ``"markdown"`` (unicode symbols) or ``"latex"`` (a tabular, ASCII)."""
    V.choice("format", format, ("markdown", "latex"))
    rows = [_cells(r, format) for r in table()]
    if format == "markdown":
        lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
        lines += ["| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |" for cells in rows]
        return "\n".join(lines) + "\n"
    spec = "l" * len(COLUMNS)
    lines = [r"\begin{tabular}{" + spec + "}", r"\hline",
             " & ".join(COLUMNS) + r" \\", r"\hline"]
    lines += [" & ".join(cells) + r" \\" for cells in rows]
    lines += [r"\hline", r"\end{tabular}"]
    return "\n".join(lines) + "\n"
