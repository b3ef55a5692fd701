"""Stage 4, claims: what an experiment asserts about its runs, and the verdict on it.

A claim (``claim.py``) names a kind, the cells it reads and the theory row or value it expects;
:func:`evaluate` measures it with an estimator from :mod:`ratecheck.rates` and returns a
:class:`Verdict`; ``holm.py`` adjusts a report's p-values for multiplicity.
"""
from .claim import KINDS, Claim, Verdict, evaluate, parse_claims, values

__all__ = ["Claim", "Verdict", "parse_claims", "evaluate", "values", "KINDS"]
