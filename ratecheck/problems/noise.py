r"""Gradient-noise models, added to the exact gradient of any problem.

Each model draws :math:`\xi` with :math:`\mathbb{E}\xi = 0` and per-coordinate scale
``sigma`` (a number, or a list of ``dim`` numbers for per-coordinate noise scales).
``sigma2(dim)`` is the declared total variance :math:`\mathbb{E}\|\xi\|^2`
(``inf`` when it is unbounded), the σ² of the bounded-variance assumption.

=============  =====================================================================  ===============
kind           draw per coordinate i                                                  E‖ξ‖²
=============  =====================================================================  ===============
``none``       0                                                                      0
``gaussian``   :math:`\sigma_i z`, z ~ N(0,1)                                         Σσ_i²
``student_t``  :math:`\sigma_i \sqrt{(\nu-2)/\nu}\, T_\nu` (ν>2: std σ_i); ν≤2: σ_i T_ν   Σσ_i² or ∞
``rademacher`` :math:`\pm\sigma_i` with probability 1/2 each (bounded by σ_i)           Σσ_i²
``uniform``    :math:`U[-\sqrt3\sigma_i, \sqrt3\sigma_i]` (bounded by √3σ_i)             Σσ_i²
``sparse``     :math:`\sigma_i (B - p)/\sqrt{p(1-p)}`, B ~ Bernoulli(p): rare spikes    Σσ_i²
``affine``     :math:`\sqrt{\sigma_0^2 + \sigma_1^2\|\nabla F\|^2}\; w_i z`, Σw_i² = 1      σ0² + σ1²‖∇F‖²
=============  =====================================================================  ===============

For ``affine`` the per-coordinate shape ``w`` is ``sigma`` normalised to unit norm
(uniform by default), so the total variance is exactly σ0² + σ1²‖∇F(x)‖².

``coord_bound(dim)`` is the per-coordinate almost-sure bound :math:`|\xi_i| \le b_i` (``None`` when the
noise is unbounded: Gaussian, Student-t, affine): Rademacher σ_i, uniform √3σ_i, sparse
:math:`\sigma_i\max(p, 1-p)/\sqrt{p(1-p)}`. It is what a bounded-gradient hypothesis
(‖g‖∞ ≤ G almost surely) reads; ``coord_var`` is what a per-coordinate variance hypothesis reads.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import ClassVar

import numpy as np

from .. import validate as V
from ..registry import check_parameters

__all__ = ["Noise", "make_noise", "noise_kinds"]

KINDS: dict[str, type] = {}


def _register(cls):
    KINDS[cls.kind] = cls
    return cls


#: fills at least this large go through the compiled copy of NumPy's algorithm (when numba is
#: installed): the same numbers, several times faster; smaller ones are not worth a call into it
COMPILED_MIN = 1 << 14


#: the compiled fill (rng, out) -> out, installed by :mod:`ratecheck.sim.normal` when it is imported (the
#: simulator imports it; this module, upstream of the simulator, does not import it)
FAST_FILL: list = []


def standard_normal(rng, out: np.ndarray) -> np.ndarray:
    """``rng.standard_normal(out=out)``: the same numbers and generator state whichever path
    fills it (large fills: :func:`ratecheck.sim.normal.standard_normal`, checked against NumPy)."""
    if out.size >= COMPILED_MIN and FAST_FILL:
        return FAST_FILL[0](rng, out)
    return rng.standard_normal(out=out)


@dataclass(frozen=True, kw_only=True)
class Noise:
    """Base class of additive gradient noise; ``sigma`` is the per-coordinate scale."""

    sigma: object = 1.0
    kind: ClassVar[str] = ""
    #: whether the noise law depends on the exact gradient (affine variance)
    needs_grad: ClassVar[bool] = False

    def scales(self, dim: int) -> np.ndarray:
        """Per-coordinate scales, shape (dim,) (cached: read-only, do not modify)."""
        cached = self.__dict__.get("_scales_cache")
        if cached is None or cached.shape[0] != dim:
            cached = V.vector("noise.sigma", self.sigma, dim)
            cached.flags.writeable = False
            object.__setattr__(self, "_scales_cache", cached)
        return cached

    def _times_scales(self, out: np.ndarray) -> None:
        """``out *= sigma`` per coordinate; skipped when every sigma is 1 (x·1 = x exactly)."""
        s = self.scales(out.shape[1])
        unit = self.__dict__.get("_unit_cache")
        if unit is None or unit[0] is not s:
            unit = (s, bool(np.all(s == 1.0)))
            object.__setattr__(self, "_unit_cache", unit)
        if not unit[1]:
            out *= s

    def coord_var(self, dim: int) -> np.ndarray:
        """Per-coordinate variance E ξ_i² (the default: sigma_i²)."""
        return self.scales(dim) ** 2

    def sigma2(self, dim: int) -> float:
        """Declared total variance E‖ξ‖²."""
        return float(self.coord_var(dim).sum())

    def coord_bound(self, dim: int) -> np.ndarray | None:
        """Per-coordinate almost-sure bound b_i with |ξ_i| ≤ b_i, or ``None`` when ξ is unbounded."""
        s = self.scales(dim)
        return np.zeros(dim) if not np.any(s > 0) else None

    def validate(self, dim: int) -> "Noise":
        s = self.scales(dim)
        if np.any(s < 0):
            raise ValueError(f"noise.sigma must be >= 0, got {self.sigma!r}")
        return self

    def sample(self, rng: np.random.Generator, out: np.ndarray, grad=None) -> np.ndarray:
        """Fill ``out`` (replicates, dim) with one draw per entry; returns ``out``."""
        raise NotImplementedError

    def describe(self) -> dict:
        d = {"kind": self.kind}
        for f in fields(self):
            value = getattr(self, f.name)
            d[f.name] = value.tolist() if isinstance(value, np.ndarray) else value
        return d


@_register
@dataclass(frozen=True, kw_only=True)
class NoNoise(Noise):
    """No noise: the exact gradient."""

    sigma: object = 0.0
    kind: ClassVar[str] = "none"

    def sample(self, rng, out, grad=None):
        out.fill(0.0)
        return out


@_register
@dataclass(frozen=True, kw_only=True)
class Gaussian(Noise):
    """Gaussian noise with per-coordinate standard deviation sigma."""

    kind: ClassVar[str] = "gaussian"

    def sample(self, rng, out, grad=None):
        standard_normal(rng, out)
        self._times_scales(out)
        return out


@_register
@dataclass(frozen=True, kw_only=True)
class StudentT(Noise):
    """Heavy-tailed Student-t noise with nu degrees of freedom (std sigma when nu > 2)."""

    nu: float = 3.0
    kind: ClassVar[str] = "student_t"

    def validate(self, dim):
        V.positive("noise.nu", self.nu)
        return super().validate(dim)

    def _factor(self) -> float:
        return math.sqrt((self.nu - 2.0) / self.nu) if self.nu > 2 else 1.0

    def coord_var(self, dim):
        if self.nu <= 2:
            return np.full(dim, math.inf)
        return self.scales(dim) ** 2

    def sample(self, rng, out, grad=None):
        out[...] = rng.standard_t(self.nu, size=out.shape)
        out *= self.scales(out.shape[1]) * self._factor()
        return out


@_register
@dataclass(frozen=True, kw_only=True)
class Rademacher(Noise):
    """Bounded noise: +sigma or -sigma with probability 1/2 each."""

    kind: ClassVar[str] = "rademacher"

    def coord_bound(self, dim):
        return np.array(self.scales(dim))

    def sample(self, rng, out, grad=None):
        rng.random(out=out)
        np.less(out, 0.5, out=out)          # 1.0 / 0.0
        out *= 2.0
        out -= 1.0
        self._times_scales(out)
        return out


@_register
@dataclass(frozen=True, kw_only=True)
class Uniform(Noise):
    """Bounded noise: uniform on [-sqrt(3) sigma, sqrt(3) sigma] (std sigma)."""

    kind: ClassVar[str] = "uniform"

    def coord_bound(self, dim):
        return math.sqrt(3.0) * self.scales(dim)

    def sample(self, rng, out, grad=None):
        rng.random(out=out)
        out -= 0.5
        out *= 2.0 * math.sqrt(3.0) * self.scales(out.shape[1])
        return out


@_register
@dataclass(frozen=True, kw_only=True)
class Sparse(Noise):
    """Sparse spikes: sigma (B - p)/sqrt(p(1-p)) with B ~ Bernoulli(p); mean 0, std sigma."""

    p: float = 0.1
    kind: ClassVar[str] = "sparse"

    def validate(self, dim):
        V.real("noise.p", self.p, low=0.0, high=1.0, low_open=True, high_open=True)
        return super().validate(dim)

    def coord_bound(self, dim):
        p = self.p
        return self.scales(dim) * max(p, 1.0 - p) / math.sqrt(p * (1.0 - p))

    def sample(self, rng, out, grad=None):
        p = self.p
        rng.random(out=out)
        np.less(out, p, out=out)
        out -= p
        out *= self.scales(out.shape[1]) / math.sqrt(p * (1.0 - p))
        return out


@_register
@dataclass(frozen=True, kw_only=True)
class Affine(Noise):
    """Affine variance: E‖ξ‖² = sigma0² + sigma1² ‖∇F(x)‖², Gaussian, shaped by sigma."""

    sigma0: float = 1.0
    sigma1: float = 0.0
    kind: ClassVar[str] = "affine"
    needs_grad: ClassVar[bool] = True

    def validate(self, dim):
        V.nonnegative("noise.sigma0", self.sigma0)
        V.nonnegative("noise.sigma1", self.sigma1)
        s = super().validate(dim).scales(dim)
        if not np.any(s > 0):
            raise ValueError("noise.sigma (the per-coordinate shape of affine noise) must not be all 0")
        return self

    def _shape(self, dim):
        s = self.scales(dim)
        return s / np.sqrt(np.sum(s * s))

    def coord_bound(self, dim):
        return None if self.sigma0 > 0 or self.sigma1 > 0 else np.zeros(dim)

    def coord_var(self, dim):
        if self.sigma1 > 0:
            return np.full(dim, math.inf)
        return self.sigma0 ** 2 * self._shape(dim) ** 2

    def sample(self, rng, out, grad=None):
        rng.standard_normal(out=out)
        out *= self._shape(out.shape[1])
        if self.sigma1 > 0:
            amp = np.sqrt(self.sigma0 ** 2 + self.sigma1 ** 2 * np.einsum("ij,ij->i", grad, grad))
            out *= amp[:, None]
        else:
            out *= self.sigma0
        return out


def noise_kinds() -> list[str]:
    return sorted(KINDS)


def make_noise(config, dim: int) -> Noise:
    """Build a noise model from ``None``, a :class:`Noise`, or ``{"kind": ..., ...}``."""
    if config is None:
        return NoNoise()
    if isinstance(config, Noise):
        return config.validate(dim)
    if not isinstance(config, dict):
        raise TypeError(f"noise must be a table like {{kind = 'gaussian', sigma = 1.0}}, got {config!r}")
    params = dict(config)
    kind = params.pop("kind", None)
    if kind is None:
        raise ValueError(f"noise needs a 'kind', one of {', '.join(noise_kinds())}")
    if kind not in KINDS:
        raise V.unknown_name("noise kind", kind, KINDS)
    cls = KINDS[kind]
    check_parameters("noise kind", kind, cls, params)
    for key, value in params.items():
        if isinstance(value, list):
            params[key] = tuple(value)
    return cls(**params).validate(dim)
