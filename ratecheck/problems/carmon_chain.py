r"""Carmon, Duchi, Hinder & Sidford's zero-chain: the deterministic ε⁻² lower bound instance.

The unscaled chain of length T (= ``dim``) is

.. math::  \bar F_T(y) = -\Psi(1)\Phi(y_1) + \sum_{i=2}^{T}\big[\Psi(-y_{i-1})\Phi(-y_i)
           - \Psi(y_{i-1})\Phi(y_i)\big],

.. math::  \Psi(u) = \begin{cases} 0 & u \le 1/2 \\ \exp\!\big(1 - (2u-1)^{-2}\big) & u > 1/2
           \end{cases},\qquad
           \Phi(u) = \sqrt e\int_{-\infty}^{u} e^{-s^2/2}\,ds = \sqrt{2\pi e}\;\mathrm{ndtr}(u).

Its partial derivatives, with :math:`\Phi'(u) = \sqrt e\,e^{-u^2/2}` (even),
:math:`\Psi'(u) = 4\Psi(u)/(2u-1)^3` for u > 1/2, :math:`c_0 = \Psi(1) = 1` and
:math:`c_{i-1} = \Psi(y_{i-1}) + \Psi(-y_{i-1})`, are

.. math::  \partial_i \bar F_T(y) = -c_{i-1}\Phi'(y_i)
           - \mathbb 1\{i < T\}\big[\Psi'(-y_i)\Phi(-y_{i+1}) + \Psi'(y_i)\Phi(y_{i+1})\big].

Zero-chain property: Ψ and Ψ' vanish on (−∞, 1/2], so :math:`\partial_i\bar F_T(y) = 0`
whenever :math:`|y_{i-1}| \le 1/2` and :math:`|y_i| \le 1/2`. Hence, with
:math:`\mathrm{prog}_\alpha(y) = \max\{i : |y_i| > \alpha\}` (0 if none, α ≤ 1/2), the
gradient vanishes beyond coordinate :math:`\mathrm{prog}_\alpha(y) + 1`: a gradient step
"discovers" at most one new coordinate (:meth:`CarmonChain.progress` returns
:math:`\mathrm{prog}_{1/4}`). The code sets Ψ to 0 where it is below :math:`e^{-700}`
(2u − 1 ≤ 1/√701), far below float64 resolution of F and ∇F, so the property holds
exactly in floating point too. Every exp is ratecheck's own :func:`~ratecheck.problems.chain_exp.chain_exp`
(not ``np.exp``, whose bits depend on the CPU), so the chain's bits are the same on every machine
and a compiled kernel can reproduce them (:mod:`ratecheck.sim.chain_math`).

Properties used by the lower bound (Carmon et al. 2020, Lemma 3, lemma number (unverified)): :math:`\bar F_T(0) -
\inf\bar F_T \le 12T`; :math:`\nabla\bar F_T` is :math:`\ell_1 = 152`-Lipschitz;
:math:`\|\nabla\bar F_T\|_\infty \le 23`; and :math:`\|\nabla\bar F_T(y)\| > 1` whenever
:math:`|y_T| < 1`. The infimum is in fact explicit: 0 < Ψ < e and 0 < Φ < √(2πe) give
:math:`\bar F_T > -\sqrt{2\pi e}\,(1 + e(T-1))`, and this value is the limit as all
:math:`y_i \to +\infty`, so :math:`\inf\bar F_T = -\sqrt{2\pi e}\,(1 + e(T-1))` (not
attained). With :math:`\bar F_T(0) = -\Phi(0) = -\sqrt{2\pi e}/2`,
:math:`\bar F_T(0) - \inf\bar F_T = \sqrt{2\pi e}\,(\tfrac12 + e(T-1)) \approx 11.23T - 9.16
\le 12T`.

Scaling. The family is :math:`F(x) = \frac{L\lambda^2}{152}\bar F_T(x/\lambda)` with
:math:`\lambda = 152\,\varepsilon/L` (parameters ``L`` and ``eps``), so that

* :math:`\nabla F(x) = \frac{L\lambda}{152}\nabla\bar F_T(x/\lambda) = \varepsilon\,\nabla\bar F_T(x/\lambda)`
  is L-Lipschitz (declared ``L``);
* every x with :math:`|x_T| < \lambda` has :math:`\|\nabla F(x)\| > \varepsilon`: no
  ε-stationary point is found before the last coordinate is discovered;
* ``G = 23 ε √T`` (from the ∞-norm bound), ``f_star`` =
  :math:`-\frac{152\varepsilon^2}{L}\sqrt{2\pi e}\,(1 + e(T-1))` (the exact, unattained
  infimum; ``x_star`` is None), and the extra key ``Delta`` =
  :math:`F(0) - \inf F = \frac{152\varepsilon^2}{L}\sqrt{2\pi e}\,(\tfrac12 + e(T-1))
  \le \frac{152\varepsilon^2}{L}\,12T`.

The papers take λ proportional to ε/L in the same way (with a constant factor of 2 for
margin, (unverified)), and T ∝ LΔ/ε² so that a budget Δ = F(0) − inf F is met
(:meth:`CarmonChain.chain_length` picks the largest such T). Any zero-respecting method
(GD among them) needs at least T gradient queries before its iterate can be ε-stationary,
which gives the Ω(LΔ ε⁻²) lower bound. The default start is x₀ = 0; no H is declared
(the chain has Lipschitz higher derivatives, but the constant is not used here).

References
----------
Y. Carmon, J. C. Duchi, O. Hinder, A. Sidford. Lower bounds for finding stationary points
I. Mathematical Programming 184, 2020: the chain and its properties (Sec. 3 and Lemmas 2-3;
section and lemma numbers (unverified)).
Y. Carmon, J. C. Duchi, O. Hinder, A. Sidford. Lower bounds for finding stationary points
II: first-order methods. Mathematical Programming 185, 2021.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from scipy.special import ndtr

from .. import validate as V
from .base import Problem, RowGradient
from .chain_exp import chain_exp

__all__ = ["CarmonChain", "chain_value", "chain_grad", "chain_grad_full", "live_columns", "progress", "NDTR_ONE", "W_FLOOR", "SQRT_E", "SQRT_2PI_E"]

#: Lipschitz constant ℓ1 of the unscaled chain's gradient
ELL1 = 152.0
#: bound on ‖∇F̄_T‖_∞
GRAD_INF = 23.0
SQRT_E = math.sqrt(math.e)
SQRT_2PI_E = math.sqrt(2.0 * math.pi * math.e)
# Ψ(u) is set to 0 where w = 2u − 1 ≤ 1/√701, i.e. where Ψ(u) ≤ e^{−700} ≈ 1e−304 (and
# Ψ'(u) ≤ 1e−299): the change is below any float64 resolution of the value and gradient, the
# zero-chain property (Ψ = 0 for u ≤ 1/2) stays exact, and exp never sees arguments below
# −700, where exp underflows (np.exp ran a slow path there, about 10 times slower).
W_FLOOR = 1.0 / math.sqrt(701.0)
#: Φ(u)/√(2πe) = ndtr(u) is taken as 1.0 for u ≥ 9 without calling ndtr (1 − ndtr(9) = 1.1e−19 is below
#: half an ulp of 1; scipy's ndtr is exactly 1.0 from 8.2924 on, so the bits are those of calling it): the
#: discovered links sit at s_i y_{i+1} ≈ 19, where the call would cost 20 ns per element for nothing
NDTR_ONE = 9.0


def _psi_argument(a: np.ndarray, out: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """w = max(2a − 1, W_FLOOR), whether 2a − 1 > W_FLOOR, and 1 − w⁻² (the argument of Ψ's exp) into ``out``."""
    w = np.multiply(a, 2.0)
    w -= 1.0
    active = w > W_FLOOR
    np.maximum(w, W_FLOOR, out=w)
    np.square(w, out=out)
    np.reciprocal(out, out=out)
    np.subtract(1.0, out, out=out)
    return w, active


def _psi_finish(psi: np.ndarray, w: np.ndarray, active: np.ndarray) -> np.ndarray:
    """Ψ in place from its exp (0 where inactive), and Ψ' = 4Ψ/w³ (a new array)."""
    psi *= active
    dpsi = w * w
    dpsi *= w
    np.divide(psi, dpsi, out=dpsi)
    dpsi *= 4.0
    return dpsi


def _phi_next(y: np.ndarray) -> np.ndarray:
    """Φ(s_i y_{i+1}) with s = sign(y), i < T (a new array).

    At most one of Ψ(y_i), Ψ(−y_i) is nonzero, so Ψ(y_i) + Ψ(−y_i) = Ψ(|y_i|) and
    Ψ(−y_i)Φ(−y_{i+1}) − Ψ(y_i)Φ(y_{i+1}) = −s_i Ψ(|y_i|) Φ(s_i y_{i+1}) (both 0 when |y_i| ≤ 1/2).
    """
    arg = np.sign(y[:, :-1])
    arg *= y[:, 1:]
    high = arg >= NDTR_ONE                              # (NaN is not)
    if high.any():
        phi_next = np.ones_like(arg)
        low = ~high
        phi_next[low] = ndtr(arg[low])
    else:
        phi_next = ndtr(arg, out=arg)
    phi_next *= SQRT_2PI_E
    return phi_next


def chain_value(y: np.ndarray) -> np.ndarray:
    """Unscaled :math:`\\bar F_T(y)` for y of shape (replicates, T); shape (replicates,)."""
    out = ndtr(y[:, 0])
    out *= -SQRT_2PI_E                                  # −Ψ(1)Φ(y_1), Ψ(1) = 1
    if y.shape[1] > 1:
        q = np.empty(y.shape)
        w, active = _psi_argument(np.abs(y), q)
        chain_exp(q, out=q)
        q *= active                                     # q = Ψ(|y|)
        s = np.sign(y[:, :-1])
        s *= q[:, :-1]
        out -= np.einsum("ij,ij->i", s, _phi_next(y))
    return out


def live_columns(y: np.ndarray) -> int:
    """How many leading columns of :func:`chain_grad_full` (y) can differ from −0.0.

    Call a coordinate *quiet* if :math:`2|y_i| - 1 \\le` ``W_FLOOR`` (the code's Ψ(|y_i|) and
    Ψ'(|y_i|) are then exactly 0, and y_i is finite). If y_{i−1}, y_i, y_{i+1} are quiet (or i is
    the last coordinate), the code computes
    :math:`\\partial_i = (-\\sqrt e\\,e^{-y_i^2/2})\\cdot 0 - 0\\cdot\\Phi(s_i y_{i+1}) = -0.0` exactly. With F =
    1 + the last column holding a non-quiet entry in any row (0 if none), columns F + 1 .. T − 1 are
    −0.0 and the first min(T, F + 2) columns are those of the chain truncated there (its last
    column, F + 1, is −0.0 too). 2a − 1 is monotone in a, so the test runs on the column maxima of |y|
    (which keep NaN)."""
    T = y.shape[1]
    if T <= 2:
        return T
    m = np.max(np.abs(y), axis=0)
    m *= 2.0
    m -= 1.0
    loud = np.flatnonzero(~(m <= W_FLOOR))
    F = int(loud[-1]) + 1 if loud.size else 0
    return min(T, F + 2)


def chain_grad_full(y: np.ndarray) -> np.ndarray:
    """Unscaled :math:`\\nabla\\bar F_T(y)` for y of shape (replicates, T), every column computed (a new array)."""
    rows, T = y.shape
    # both exps in one call (elementwise, so the same bits as two): [0] −y²/2 for Φ', [1] Ψ's argument
    buf = np.empty((2 if T > 1 else 1, rows, T))
    g = buf[0]
    np.square(y, out=g)
    g *= -0.5
    if T > 1:
        w, active = _psi_argument(np.abs(y), buf[1])
    chain_exp(buf, out=buf)
    # −c_{i−1} Φ'(y_i), with c_0 = Ψ(1) = 1 and c_{i−1} = Ψ(y_{i−1}) + Ψ(−y_{i−1}) = Ψ(|y_{i−1}|)
    g *= -SQRT_E
    if T > 1:
        q = buf[1]
        dq = _psi_finish(q, w, active)
        g[:, 1:] *= q[:, :-1]
        # − [Ψ'(−y_i)Φ(−y_{i+1}) + Ψ'(y_i)Φ(y_{i+1})] = −Ψ'(|y_i|) Φ(s_i y_{i+1}) for i < T
        phi_next = _phi_next(y)
        phi_next *= dq[:, :-1]
        g[:, :-1] -= phi_next
    return g


def chain_grad(y: np.ndarray) -> np.ndarray:
    """Unscaled :math:`\\nabla\\bar F_T(y)` for y of shape (replicates, T) (a new array): the bits of
    :func:`chain_grad_full`, computing only the :func:`live_columns` (the rest is −0.0 exactly)."""
    n = live_columns(y)
    if n == y.shape[1]:
        return chain_grad_full(y)
    g = np.full(y.shape, -0.0)
    g[:, :n] = chain_grad_full(np.ascontiguousarray(y[:, :n]))
    return g


def progress(y: np.ndarray, alpha: float = 0.25) -> np.ndarray:
    """:math:`\\mathrm{prog}_\\alpha(y) = \\max\\{i : |y_i| > \\alpha\\}` (1-based, 0 if none), per row."""
    above = np.abs(y) > alpha
    last = y.shape[1] - np.argmax(above[:, ::-1], axis=1)
    return np.where(above.any(axis=1), last, 0)


@dataclass(frozen=True, kw_only=True)
class CarmonChain(Problem):
    """Carmon et al. zero-chain F(x) = (Lλ²/152) F̄_T(x/λ), λ = 152ε/L: GD needs ≥ T = dim steps."""

    dim: int = 10
    L: float = 1.0
    eps: float = 0.1

    name: ClassVar[str] = "carmon_chain"
    reference: ClassVar[str] = ("Carmon, Duchi, Hinder & Sidford, Math. Prog. 2020: "
                                "Ω(LΔε⁻²) for deterministic first-order methods")
    category: ClassVar[str] = "hard instance"
    convex: ClassVar[bool] = False

    def _setup(self):
        self._set("L", V.positive("L", self.L))
        self._set("eps", V.positive("eps", self.eps))

    # ------------------------------------------------------------------ scaling
    @property
    def lam(self) -> float:
        """λ = 152 ε / L, the length scale of one chain link."""
        return ELL1 * self.eps / self.L

    @property
    def value_scale(self) -> float:
        """L λ² / 152 = 152 ε² / L, the factor in front of F̄_T."""
        return ELL1 * self.eps ** 2 / self.L

    def _value(self, z):
        return self.value_scale * chain_value(z / self.lam)

    def _grad(self, z):
        g = chain_grad(z / self.lam)
        g *= self.eps                                    # L λ / 152 = ε
        return g

    #: the numba engine's gradient of a row: sim.chain_math.chain_grad_row, with c0 = λ, c1 = ε
    kernel_gradient: ClassVar[RowGradient] = RowGradient("""
def rowgrad(z, g, P, c0, c1, w):
    chain_grad_row(z, c0, c1, g, w.reshape(3, z.size))
""", work="3 * dim", chain_math=True)

    def kernel_parameters(self) -> tuple:
        return np.zeros(1), self.lam, self.eps

    def _constants(self):
        T, s = self.dim, self.value_scale
        return {"L": self.L, "G": GRAD_INF * self.eps * math.sqrt(T),
                "f_star": -s * SQRT_2PI_E * (1.0 + math.e * (T - 1)),
                "Delta": s * SQRT_2PI_E * (0.5 + math.e * (T - 1))}

    @property
    def grad_inf_bound(self) -> float:
        """Bound on ‖∇F‖_∞ in the problem's (scaled) coordinates: 23 ε · max(scales)."""
        return GRAD_INF * self.eps * (1.0 if self.scales is None else float(self.scales.max()))

    # ------------------------------------------------------------------ progress
    def progress(self, x: np.ndarray, alpha: float = 0.25) -> np.ndarray:
        r"""Discovered coordinates :math:`\mathrm{prog}_\alpha(x/\lambda)` per replicate (int array).

        ``x`` has shape (replicates, dim) in the problem's coordinates (``scales`` applied).
        """
        x = V.points("x", x, self.dim)
        z = x if self.scales is None else x * self.scales
        return progress(z / self.lam, V.real("alpha", alpha, low=0.0))

    @staticmethod
    def chain_length(Delta: float, L: float = 1.0, eps: float = 0.1) -> int:
        r"""Largest T whose :math:`F(0) - \inf F = \frac{152\varepsilon^2}{L}\sqrt{2\pi e}(\frac12 + e(T-1))`
        does not exceed ``Delta`` (at least 1): T ∝ LΔ/ε², the lower bound's chain length."""
        Delta, L, eps = V.positive("Delta", Delta), V.positive("L", L), V.positive("eps", eps)
        units = Delta / (ELL1 * eps ** 2 / L) / SQRT_2PI_E
        return max(1, int(math.floor(1.0 + (units - 0.5) / math.e)))
