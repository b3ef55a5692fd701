"""Parsing the ``[[claim]]`` tables of an experiment file into claim objects.

The keys every claim has are checked here (names, labels, the theory row, the theorem and the hypotheses
it leaves, notes that keys which change a judgement must carry); each kind then checks its own keys
(:meth:`Claim.parse`). A key that belongs to other kinds is refused with the kinds it belongs to.
"""
from __future__ import annotations

from dataclasses import fields

from .. import theory as TH
from .. import validate as V
from ..theory import theorems as THM
from .base import CERTIFICATES, Claim
from .kinds import ALL_KEYS, CLASSES, KINDS

__all__ = ["parse_claims", "NOTE_REQUIRED"]

#: keys that change how a claim is judged, and what their ``note`` must say
NOTE_REQUIRED = {
    "tolerance": "saying why (e.g. deterministic run, measured local slopes)",
    "correction": "deriving its order q (where the T^-q term comes from)",
    "eps_max": "saying why the larger thresholds are outside the asymptotic regime",
    "observation": "naming the hypothesis of the theorem the run leaves (an observation is not a check of it)",
    "outside": "saying why the experiment leaves these hypotheses on purpose",
}


def _misplaced(key: str, kind: str, at: str) -> str:
    if key == "correction":
        return (f"{at}: 'correction' applies to fits across horizons or thresholds "
                f"(horizon_rate, upper_bound over horizons, hitting_sweep), not to {kind}")
    owners = [k for k, cls in CLASSES.items() if key in {f.name for f in fields(cls)}]
    return f"{at}: '{key}' belongs to {' and '.join(owners)} claims only"


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
        claims.append(_parse_one(table, labels, f"{where}: claim {i}"))
    names = [c.name for c in claims]
    if len(set(names)) != len(names):
        raise ValueError(f"{where}: claim names must be distinct")
    return claims


def _parse_one(table: dict, labels, at: str) -> Claim:
    unknown = sorted(set(table) - ALL_KEYS)
    if unknown:
        raise ValueError(f"{at}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(ALL_KEYS))}")
    for key in ("name", "kind", "optimizer", "metric"):
        if not isinstance(table.get(key), str):
            raise ValueError(f"{at}: needs '{key}' (a string)")
    V.choice(f"{at}: kind", table["kind"], KINDS)
    if table["optimizer"] not in labels:
        raise ValueError(f"{at}: optimizer {table['optimizer']!r} is not a label of this experiment "
                         f"({', '.join(labels)})")
    kind = table["kind"]
    cls = CLASSES[kind]
    kw = dict(table)
    if "theory" in kw:
        TH.row(kw["theory"])  # raises for an unknown row
    if "schedule" in kw:
        V.choice(f"{at}: schedule", kw["schedule"], ("anytime", "horizon"))
    if "center" in kw:
        V.choice(f"{at}: center", kw["center"], ("mean", "median"))
    if "select" in kw and not isinstance(kw["select"], dict):
        raise TypeError(f"{at}: select must be a table of sweep axis = value")
    if kw["metric"] in CERTIFICATES:
        if "lam" not in kw:
            raise ValueError(f"{at}: metric {kw['metric']!r} needs 'lam' (the λ of the (λ,ε) certificate)")
        kw["lam"] = V.nonnegative(f"{at}: lam", kw["lam"])
    misplaced = sorted(set(kw) - set(cls.keys()))
    if misplaced:
        raise ValueError(_misplaced(misplaced[0], kind, at))
    if cls.NEEDS_PREDICTION and "theory" not in kw and "expected" not in kw:
        raise ValueError(f"{at}: a {kind} claim needs 'theory' (a row of ratecheck.theory) or 'expected'")
    if "expected" in kw and "theory" not in kw and not kw.get("expected_source"):
        raise ValueError(f"{at}: an explicit 'expected' needs 'expected_source' (where it comes from)")
    kw = cls.parse(kw, at, labels)
    if "min_steps" in kw:
        kw["min_steps"] = V.integer(f"{at}: min_steps", kw["min_steps"], low=0)
    if "tolerance" in kw:
        kw["tolerance"] = V.nonnegative(f"{at}: tolerance", kw["tolerance"])
    if "correction" in kw:
        kw["correction"] = V.positive(f"{at}: correction", kw["correction"])
    if "observation" in kw and not isinstance(kw["observation"], bool):
        raise TypeError(f"{at}: observation must be true or false, got {kw['observation']!r}")
    if "theorem" in kw:
        kw = _theorem(kw, cls, at)
    elif "outside" in kw:
        raise ValueError(f"{at}: 'outside' needs 'theorem' (whose hypotheses the experiment leaves)")
    for key, why in NOTE_REQUIRED.items():
        if kw.get(key, None) not in (None, False) and not kw.get("note"):
            raise ValueError(f"{at}: '{key}' needs a 'note' {why}")
    for key in ("expected", "rtol", "above", "below"):
        if key in kw:
            kw[key] = V.real(f"{at}: {key}", kw[key])
    return cls(**kw)


def _theorem(kw: dict, cls, at: str) -> dict:
    """Check the named theorem: tight for a two-sided claim, and ``outside`` names its hypotheses."""
    thm = THM.get(kw["theorem"])
    if cls.TWO_SIDED and thm.tight is None:
        raise ValueError(f"{at}: a {cls.KIND} claim says the rate is attained, but theorem {thm.key!r} is an "
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
    return kw
