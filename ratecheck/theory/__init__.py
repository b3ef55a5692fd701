"""What the papers say; nothing here runs a simulation. Claims compare measurements with these.

The optimal-rate table is data (``rate_table.py``: one :class:`Rate` per row, in the paper's symbols from
``symbols.py``); beside it the algebra on a row: ``conversions.py`` (between T(ε) and ε(T), leading terms),
``predictions.py`` (the rate in a measured quantity and its predicted log-log slope), ``reductions.py``
((λ,ε)-stationarity reductions) and ``render.py`` (markdown, or LaTeX through ``latex.py``). The theorems
with their hypotheses are ``theorems.py`` and ``hypotheses.py``; Ahn & Cutkosky's parameter choices
``ahn_cutkosky.py``.
"""
from .conversions import leading_term
from .predictions import Prediction, predicted_slope, rate_in
from .rate_table import Rate, accuracy, complexity, keys, row, table
from .reductions import Reduction, reduce_rate, reductions
from .render import render
from .symbols import MEASURES, SYMBOLS, D, Delta, G, H, L, Lbar, R, T, d, delta, eps, h, lam, mu, sigma

__all__ = ["Rate", "Prediction", "Reduction", "SYMBOLS", "MEASURES", "table", "row", "keys",
           "accuracy", "complexity", "leading_term", "rate_in", "predicted_slope", "reductions",
           "reduce_rate", "render", "T", "eps", "lam", "delta", "L", "sigma", "Delta", "mu", "G", "D",
           "d", "H", "Lbar", "R", "h"]
