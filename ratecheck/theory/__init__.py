"""What the papers say: the sympy rate table (``table.py``), the theorems with their hypotheses
(``theorems.py``, ``hypotheses.py``) and the parameter choices of Ahn & Cutkosky
(``ahn_cutkosky.py``). Claims compare measurements with these; nothing here runs a simulation.
"""
from .rate_table import *  # noqa: F401,F403
from .rate_table import __all__  # noqa: F401
