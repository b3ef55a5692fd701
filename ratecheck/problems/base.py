r"""The problem protocol shared by every family in :mod:`ratecheck.problems`.

A problem is :math:`F : \mathbb{R}^d \to \mathbb{R}` with a stochastic gradient
oracle, evaluated on batches of points of shape ``(replicates, dim)``:

* ``value(x) -> (replicates,)``, ``grad(x) -> (replicates, dim)`` (exact);
* ``stochastic_grad(x, rng) -> (replicates, dim)``, unbiased for ``grad(x)``,
  drawing only from the given :class:`numpy.random.Generator`; time-varying
  (online) problems set ``time_varying = True`` and also take ``t``.

Any user object with ``dim``, ``value``, ``grad`` and ``stochastic_grad(x, rng)``
works with :func:`ratecheck.simulate`; the built-in families derive from
:class:`Problem`, which adds declared constants, a box domain, additive noise of
any kind (:mod:`ratecheck.problems.noise`) and coordinate scaling.

A family implements ``_value(z)``, ``_grad(z)`` and optionally ``_oracle(z, rng, t)``
(its intrinsic stochastic gradient, e.g. the counterexamples' two-point law).
With ``scales = s`` the problem is :math:`F(x) = f(s \odot x)`, so
:math:`\nabla F(x) = s \odot \nabla f(s \odot x)` and the declared constants transform
as :math:`L \to L \max s_i^2`, :math:`\mu \to \mu \min s_i^2`, :math:`G \to G \max s_i`,
:math:`H \to H \max s_i^3`, :math:`x^\star \to x^\star / s`. Additive noise is drawn
last, on the gradient of the scaled problem, with its own per-coordinate scales.

Declared constants (``None`` where they do not exist or are unknown):
``L`` gradient Lipschitz, ``mu`` strong convexity, ``G`` bound on ‖∇F‖ (Lipschitz
constant of F), ``H`` Hessian Lipschitz, ``sigma2`` bound on E‖g − ∇F‖², ``f_star``
= inf F, ``x_star`` a minimiser (shape ``(dim,)``); per coordinate (arrays of shape ``(dim,)``):
``G_coords`` with :math:`|\partial_iF| \le G_i` (Assumption 14 of Ahn & Cutkosky; scales as
:math:`G_i s_i`), ``sigma_coords`` with :math:`E|g_i - \partial_iF|^2 \le \sigma_i^2` and ``noise_bound``
with :math:`|g_i - \partial_iF| \le b_i` almost surely (``None`` when the noise is unbounded). The
last two come from the noise model when the family's oracle is exact; a family with its own
randomness declares them (or leaves them unknown).
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass, fields
from typing import ClassVar

import numpy as np

from .. import validate as V
from .noise import KINDS, Noise, make_noise

__all__ = ["Problem", "GradientPiece", "RowGradient"]

CONSTANTS = ("L", "mu", "G", "H", "sigma2", "f_star", "x_star", "G_coords", "sigma_coords", "noise_bound")
#: largest dim a problem accepts (its parameter vectors are allocated when it is built)
MAX_DIM = 10**6


@dataclass(frozen=True)
class GradientPiece:
    r"""A family's compiled exact gradient ``_grad`` of one coordinate, for the numba engine
    (:mod:`ratecheck.sim.compose`): ``expr``, an expression in ``z`` (the coordinate, already scaled),
    ``p0``, ``p1`` (per-coordinate parameters) and ``c0``, ``c1`` (numbers), from
    :meth:`Problem.kernel_parameters`, doing the NumPy code's operations in its order. A call of the C
    library's sine is written ``SIN(z * c0)`` (the kernel substitutes glibc's algorithm where it agrees,
    see :mod:`ratecheck.sim.libm_sin`); an online family's per-step number replaces ``c0`` at the query
    point. Helpers: ``nsign``, ``nclip``, ``nmax`` (NumPy's NaN rules)."""

    expr: str

    @property
    def uses_sin(self) -> bool:
        return "SIN(" in self.expr

    def key(self) -> int:
        """A number that names this code in every process (the compiled variants are cached under it)."""
        return zlib.crc32(repr(self).encode()) & 0x3FFFFFFF


@dataclass(frozen=True)
class RowGradient:
    r"""A family's compiled exact gradient ``_grad`` of a whole row, for families whose gradient is not
    coordinate-wise (each coordinate of ∇f(z) reads several coordinates of z): ``source`` defines
    ``rowgrad(z, g, P, c0, c1, w)``, which writes ∇f(z) of the row ``z`` (already scaled, length dim)
    into ``g``, doing the NumPy code's operations in its order (a NumPy loop over columns and the
    kernel's loop over them then round alike, whatever the number of rows). ``P``, ``c0``, ``c1`` come
    from :meth:`Problem.kernel_parameters` (``P`` any float array, e.g. the data flattened); ``w`` is a
    scratch vector of length ``work``, an expression in ``gc0``, ``gc1``, ``P`` and ``dim``. The kernel
    (:mod:`ratecheck.sim.compose`) calls it wherever it needs ∇F of a row: at the query point, at the
    iterate (running metrics) and at the output points (certificate). A "row_uniform" family's
    ``source`` also defines ``roworacle(z, g, P, c0, c1, w, u)``: its oracle at the row given the row's
    uniform u (``_row_uniform_oracle``). ``chain_math``: the source calls the chains' compiled
    functions (``chain_grad_row``, ``arjevani_row`` of :mod:`ratecheck.sim.chain_math`), usable only
    where they agree with NumPy's bits."""

    source: str
    work: str = "1"
    chain_math: bool = False

    uses_sin: ClassVar[bool] = False

    def key(self) -> int:
        """A number that names this code in every process (the compiled variants are cached under it)."""
        return zlib.crc32(repr(self).encode()) & 0x3FFFFFFF


@dataclass(frozen=True, kw_only=True)
class Problem:
    """Base class of the built-in problem families."""

    dim: int = 1
    noise: object = None
    scales: object = None

    name: ClassVar[str] = ""
    reference: ClassVar[str] = ""
    #: "smooth nonconvex", "strongly convex", "counterexample", "hard instance", ...
    category: ClassVar[str] = ""
    #: whether F is convex (``None``: not declared, e.g. a user's problem); a hypothesis of convex theorems
    convex: ClassVar[bool | None] = None
    time_varying: ClassVar[bool] = False
    #: parameter a sweep's ``horizon`` axis sets to the number of steps (problems built for one horizon)
    horizon_parameter: ClassVar[str | None] = None
    #: declared bound on E‖oracle − ∇f‖² of the family's own oracle (before scaling/noise)
    intrinsic_sigma2: ClassVar[float] = 0.0
    #: the family's own oracle: "exact" (= ``_grad``), "deterministic" (depends on z and t, draws
    #: nothing), "random" (``_random_oracle``: draws that depend on neither z nor t), "row_uniform"
    #: (``_row_uniform_oracle(z, u)``: its only draw is one uniform per row, ``rng.random(rows)``, which
    #: depends on neither z nor t, though what it multiplies does) or "other"
    oracle_kind: ClassVar[str] = "exact"
    #: whether value/grad/oracle compute each row on its own, with bits that do not depend on how
    #: many rows are passed together (False when a BLAS product such as ``z @ A`` is involved);
    #: only then may :func:`ratecheck.simulate` split the replicates across processes
    rowwise: ClassVar[bool] = True
    #: online families: the simulator also records ``avg_gap`` = (1/t) Σ_{s<t} (F(x_s) − F*), the
    #: average regret against x* (running metrics on, f* declared)
    regret: ClassVar[bool] = False

    # -------------------------------------------------------------------- set-up
    def __post_init__(self):
        self._set("dim", V.integer("dim", self.dim, low=1, high=MAX_DIM))
        self._set("noise", make_noise(self.noise, self.dim))
        if self.scales is not None:
            self._set("scales", V.vector("scales", self.scales, self.dim, positive_entries=True))
        self._setup()

    def _set(self, name, value):
        object.__setattr__(self, name, value)

    def _setup(self) -> None:
        """Family-specific validation and precomputation (override)."""

    # ------------------------------------------------------- family (unscaled) parts
    def _value(self, z: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def _grad(self, z: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def _oracle(self, z: np.ndarray, rng: np.random.Generator, t) -> np.ndarray:
        """The family's own stochastic gradient at z (default: exact)."""
        return self._grad(z)

    def _random_oracle(self, rng: np.random.Generator, shape: tuple) -> np.ndarray:  # pragma: no cover
        """For ``oracle_kind = "random"``: the oracle's values, drawn for ``shape`` points at once."""
        raise NotImplementedError

    def _row_uniform_oracle(self, z: np.ndarray, u: np.ndarray) -> np.ndarray:  # pragma: no cover
        """For ``oracle_kind = "row_uniform"``: the oracle at z (rows, dim) given the rows' uniforms u
        (rows,); ``_oracle(z, rng, t)`` must be ``_row_uniform_oracle(z, rng.random(rows))``."""
        raise NotImplementedError

    def _constants(self) -> dict:
        """Unscaled constants of the family (override); keys from ``CONSTANTS``."""
        return {}

    def _domain(self):
        """Unscaled box ``(lower, upper)`` as arrays of shape (dim,), or ``None``."""
        return None

    def initial_point(self) -> np.ndarray:
        """Default starting point, shape (dim,), in the problem's (scaled) coordinates."""
        z0 = self._initial_point()
        return z0 if self.scales is None else z0 / self.scales

    def _initial_point(self) -> np.ndarray:
        return np.zeros(self.dim)

    # ------------------------------------------------------------------ public API
    def value(self, x: np.ndarray) -> np.ndarray:
        x = V.points("x", x, self.dim)
        return self._value(x if self.scales is None else x * self.scales)

    def grad(self, x: np.ndarray) -> np.ndarray:
        x = V.points("x", x, self.dim)
        if self.scales is None:
            return self._grad(x)
        g = self._grad(x * self.scales)
        g *= self.scales
        return g

    def stochastic_grad(self, x: np.ndarray, rng: np.random.Generator, t: int | None = None) -> np.ndarray:
        """Unbiased stochastic gradient at ``x``; ``t`` (the query count, from 1) for online problems."""
        x = V.points("x", x, self.dim)
        if not isinstance(rng, np.random.Generator):
            raise TypeError(f"rng must be a numpy.random.Generator (e.g. numpy.random.default_rng(seed)), "
                            f"got {type(rng).__name__}")
        if self.scales is None:
            g = self._oracle(x, rng, t)
        else:
            g = self._oracle(x * self.scales, rng, t)
            g *= self.scales
        if self.noise.kind != "none":
            xi = np.empty_like(g)
            self.noise.sample(rng, xi, grad=self.grad(x) if self.noise.needs_grad else None)
            g += xi
        return g

    # ------------------------------------------- fast paths of the simulator (private)
    def _batch_kind(self) -> str | None:
        """How :func:`ratecheck.simulate` may draw this problem's randomness many steps at once.

        ``stochastic_grad(x, rng, t)`` is then, bit for bit, ``_exact_part(x, t) + R``
        ("additive"), ``R`` ("random"), ``_exact_part(x, t)`` ("exact") or
        ``row_uniform_oracle(x, U)`` ("row_uniform", U of shape (n,)), where the ``R`` (or ``U``) of
        k consecutive calls on n points is what ``_random_part_block`` fills in one call of
        shape (k·n, dim) (of shape (k·n, 1) for "row_uniform"): the generator fills its output in C
        order, one number after another, so one call of k·n rows draws the same numbers as k calls
        of n rows. ``None``: not batchable (affine noise needs ∇F(x); an oracle whose draws depend
        on x; intrinsic randomness plus additive noise, whose draws interleave).
        """
        if not self.builtin() or type(self.noise) not in KINDS.values():
            return None          # a user subclass may override anything: reference path
        noisy = self.noise.kind != "none"
        if self.noise.needs_grad or self.oracle_kind == "other":
            return None
        if self.oracle_kind in ("random", "row_uniform"):
            return None if noisy else self.oracle_kind
        return "additive" if noisy else "exact"

    def builtin(self) -> bool:
        """Whether this is an instance of a built-in family itself (each lives in the module named after it,
        ``ratecheck.problems.<name>``), not of a user's subclass, which may override anything."""
        return type(self).__module__ == f"{__package__}.{self.name}"

    def batch_kind(self) -> str | None:
        """How the simulator's fast engines may draw this problem's randomness (see ``_batch_kind``)."""
        return self._batch_kind()

    def exact_part(self, x: np.ndarray, t) -> np.ndarray:
        """The deterministic part of ``stochastic_grad`` at x (see ``_batch_kind``)."""
        return self._exact_part(x, t)

    def random_part_block(self, rng: np.random.Generator, out: np.ndarray) -> None:
        """The random parts of k consecutive calls into ``out`` (see ``_batch_kind``)."""
        self._random_part_block(rng, out)

    def row_uniform_oracle(self, x: np.ndarray, u: np.ndarray) -> np.ndarray:
        """``stochastic_grad`` at x given the rows' uniforms u, shape (rows,) ("row_uniform", no noise)."""
        if self.scales is None:
            return self._row_uniform_oracle(x, u)
        g = self._row_uniform_oracle(x * self.scales, u)
        g *= self.scales
        return g

    def two_point_law(self) -> tuple | None:
        """(threshold, hi, lo) of a two-point intrinsic oracle (g = hi if u < threshold else lo, u uniform,
        one u per coordinate), or None."""
        law = getattr(self, "_two_point", None)
        return None if law is None else tuple(law())

    def _exact_part(self, x: np.ndarray, t) -> np.ndarray:
        """The deterministic part of ``stochastic_grad`` at x (a new array); see ``_batch_kind``."""
        if self.scales is None:
            return self._oracle(x, None, t)
        g = self._oracle(x * self.scales, None, t)
        g *= self.scales
        return g

    def _random_part_block(self, rng: np.random.Generator, out: np.ndarray) -> None:
        """Fill ``out`` (k·n, dim), or (k·n, 1) for "row_uniform", C-contiguous, with the random parts of
        k consecutive calls."""
        if self.oracle_kind == "random":
            out[...] = self._random_oracle(rng, out.shape)
            if self.scales is not None:
                out *= self.scales
        elif self.oracle_kind == "row_uniform":
            rng.random(out=out)
        else:
            self.noise.sample(rng, out)

    @property
    def domain(self):
        """Box ``(lower, upper)`` the simulator projects on, or ``None``."""
        box = self._domain()
        if box is None or self.scales is None:
            return box
        return box[0] / self.scales, box[1] / self.scales

    #: the compiled gradient of one coordinate (see GradientPiece) or of a row (RowGradient); it applies to
    #: this class only if declared in its own body (a subclass that changes the gradient does not inherit it)
    kernel_gradient: ClassVar[GradientPiece | RowGradient | None] = None

    def kernel_parameters(self) -> tuple:
        """(P, c0, c1) for :attr:`kernel_gradient`: P of shape (2, dim), the rows p0, p1, for a
        GradientPiece; any float array its ``rowgrad`` reads for a RowGradient."""
        return np.zeros((2, self.dim)), 0.0, 0.0

    def project(self, x: np.ndarray) -> None:
        """Project ``x`` onto the domain in place (no-op without a domain)."""
        box = self.domain
        if box is not None:
            np.clip(x, box[0], box[1], out=x)

    def constants(self) -> dict:
        """Declared constants of the problem as posed (scaled, with noise)."""
        c = {k: None for k in CONSTANTS}
        c.update(self._constants())
        c.setdefault("sigma2", self.intrinsic_sigma2)
        if c["sigma2"] is None:
            c["sigma2"] = self.intrinsic_sigma2
        s = self.scales
        if s is not None:
            smax, smin = float(s.max()), float(s.min())
            for key, power in (("L", 2), ("G", 1), ("H", 3), ("sigma2", 2)):
                if c[key] is not None:
                    c[key] = c[key] * smax ** power
            if c["mu"] is not None:
                c["mu"] = c["mu"] * smin ** 2
            if c["x_star"] is not None:
                c["x_star"] = np.asarray(c["x_star"]) / s
        c["sigma2"] = c["sigma2"] + self.noise.sigma2(self.dim)
        if c["G_coords"] is not None:
            c["G_coords"] = np.asarray(c["G_coords"], dtype=float) * (1.0 if s is None else s)
        if self.oracle_kind == "exact" and not self.intrinsic_sigma2 and not self.noise.needs_grad:
            c["sigma_coords"] = np.sqrt(self.noise.coord_var(self.dim))
            c["noise_bound"] = self.noise.coord_bound(self.dim)
        elif self.noise.kind != "none" or s is not None:
            c["sigma_coords"] = c["noise_bound"] = None  # a family's own declaration covers its bare oracle only
        if self.noise.needs_grad and getattr(self.noise, "sigma1", 0) > 0:
            c["sigma2"] = float("inf")
        return c

    def __getattr__(self, item):
        # L, mu, G, H, sigma2, f_star, x_star as attributes
        if item in CONSTANTS:
            return self.constants()[item]
        raise AttributeError(f"{type(self).__name__!s} has no attribute {item!r}")

    def describe(self) -> dict:
        """JSON-able parameters that :func:`ratecheck.problems.make` accepts back."""
        out = {"name": self.name}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, Noise):
                value = None if value.kind == "none" else value.describe()
            elif isinstance(value, np.ndarray):
                value = value.tolist()
            out[f.name] = value
        return out
