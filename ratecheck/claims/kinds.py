"""The registry of claim kinds: kind name -> class. Adding a kind is one module with a :class:`Claim`
subclass of :class:`~ratecheck.claims.base.Claim` (its ``KIND``, keys, ``parse``, ``prediction``, ``judge``) plus
one line here."""
from __future__ import annotations

from dataclasses import fields

from .advantage import AdvantageClaim
from .bound import BoundClaim
from .exact import ExactClaim
from .hitting_ratio import HittingRatioClaim
from .hitting_sweep import HittingSweepClaim
from .linear_rate import LinearRateClaim
from .outcome import OutcomeClaim
from .rate import HorizonRateClaim, RateClaim, UpperBoundClaim
from .sample_complexity import SampleComplexityClaim

__all__ = ["CLASSES", "KINDS", "ALL_KEYS", "get"]

#: kind -> class, in the order the documentation lists them
CLASSES: dict[str, type] = {cls.KIND: cls for cls in (
    RateClaim, HorizonRateClaim, UpperBoundClaim, SampleComplexityClaim, LinearRateClaim, ExactClaim,
    OutcomeClaim, HittingSweepClaim, AdvantageClaim, BoundClaim, HittingRatioClaim)}
KINDS = tuple(CLASSES)
#: every key some kind has (an unknown key is refused with this list)
ALL_KEYS = frozenset(f.name for cls in CLASSES.values() for f in fields(cls))


def get(kind: str) -> type:
    """The class of a kind (``ValueError`` naming the known kinds otherwise)."""
    if kind not in CLASSES:
        raise ValueError(f"unknown claim kind {kind!r}; known: {', '.join(KINDS)}")
    return CLASSES[kind]

