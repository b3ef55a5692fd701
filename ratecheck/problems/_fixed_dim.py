"""Shared check for families defined in one dimension only."""
from __future__ import annotations

from .. import validate as V


def one_dimensional(family: str, dim) -> int:
    """Validate ``dim`` for a family whose construction is one-dimensional."""
    dim = V.integer("dim", dim, low=1)
    if dim != 1:
        raise ValueError(f"dim must be 1 for {family} (the construction is one-dimensional), got {dim}")
    return dim
