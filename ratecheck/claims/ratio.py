r"""The shared base of the two comparison claims (``advantage``, ``hitting_ratio``): a ratio of two methods'
measurements with a paired bootstrap interval over replicates, against ``above`` and/or ``below``.

Replicate i of both methods saw the same noise (common random numbers), so the bootstrap resamples replicate
indices jointly (2000 resamples, seeded by the claim's name); the interval is the 2.5–97.5% quantiles of the
resampled ratios. The claim agrees when the whole interval is on the stated side of every bound, disagrees
when it is entirely on the wrong side of one. Its p-value is Bonferroni over the stated bounds, each
one-sided from the interval by a normal approximation.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import norm

from .base import Claim, fit_seed

__all__ = ["RatioClaim"]


@dataclass(frozen=True)
class RatioClaim(Claim):
    """A ratio ``against`` / ``optimizer`` whose whole interval must be above and/or below stated values."""

    against: str | None = None
    above: float | None = None
    below: float | None = None

    @classmethod
    def parse(cls, kw, at, labels):
        if "above" not in kw and "below" not in kw:
            article = "an" if cls.KIND[0] in "aeiou" else "a"
            raise ValueError(f"{at}: {article} {cls.KIND} claim needs 'above' and/or 'below' (bounds on the ratio)")
        return kw

    def bounds(self) -> list:
        return [(v, side) for v, side in ((self.above, "above"), (self.below, "below")) if v is not None]

    def prediction(self, constants=None, cells=()):
        bounds = self.bounds()
        return bounds[0][0], " and ".join(f"ratio {side} {v:g}" for v, side in bounds)

    def ratio_verdict(self, ratio, n: int, point: float, what: str, keys, shown: str = ""):
        """Paired bootstrap CI of ``ratio(replicate indices)`` against the claim's ``above``/``below``."""
        gen = np.random.default_rng(fit_seed(self))
        boot = np.array([ratio(gen.integers(0, n, n)) for _ in range(2000)])
        lo, hi = (float(v) for v in np.quantile(boot[np.isfinite(boot)], [0.025, 0.975]))
        bounds = self.bounds()
        text = self.prediction()[1] + shown
        wrong = [f"CI entirely {('below' if side == 'above' else 'above')} {v:g}" for v, side in bounds
                 if (hi < v if side == "above" else lo > v)]
        right = all((lo > v if side == "above" else hi < v) for v, side in bounds)
        if right:
            return self.verdict("agrees", bounds[0][0], text, point, (lo, hi), f"the whole CI is {text}: {what}",
                                None, keys)
        if wrong:
            return self.verdict("disagrees", bounds[0][0], text, point, (lo, hi), f"{wrong[0]}: {what}", None, keys)
        return self.verdict("inconclusive", bounds[0][0], text, point, (lo, hi),
                            f"the CI [{lo:.3g}, {hi:.3g}] straddles a bound: {what}", None, keys)

    def p_from(self, m, se, pred):
        ps = [norm.cdf((m - a) / se) for a in [self.above] if a is not None]
        ps += [norm.cdf((b - m) / se) for b in [self.below] if b is not None]
        return float(min(1.0, len(ps) * min(ps)))
