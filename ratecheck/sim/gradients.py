r"""A problem's compiled gradient as the generic kernel (:mod:`ratecheck.sim.compose`) calls it.

A :class:`~ratecheck.problems.base.GradientPiece` (one coordinate from its own value) becomes inlined
scalar functions (:func:`gradient_functions`) that the kernel calls inside its loop over coordinates.

A :class:`~ratecheck.problems.base.RowGradient` (each coordinate of ∇F reads several coordinates of
the row) cannot be computed in that loop, one coordinate at a time. Per replicate and step, the
kernel instead runs, in this order (each "loop" over the coordinates j; each "call" one ``rowgrad``
of the whole row into a scratch row; :func:`row_bodies`):

1. the optimizer's query loop (if it has one), which stores y where ``reload_y`` reads it back;
2. with the running metrics, a call at x into the stored ∇F(x) (and the stored x);
3. a call at the query point y into ``GE`` (y gathered by a loop of ``reload_y``; none when y is x
   and ∇F(x) is already there, or when the oracle draws the whole gradient);
4. the update loop: ``ge`` read back, the stochastic gradient, the optimizer's update, the box, the
   output average; with the certificate it stores the output point p and p − mean;
5. with the certificate, a call at p (unless ∇F(p) is ∇F(y), already in ``GE``), a loop of
   ḡ ← ḡ + (∇F(p) − ḡ)a, and a call at the new output mean (its norm's time sum).

A "row_uniform" oracle (rkind 4: one uniform per row and step, ``R[k, i, 0]``) replaces the call of
3. by one of ``roworacle`` (the stochastic gradient itself, so it is never reused as ∇F).

Each quantity is computed by the same operations as in the coordinate-wise kernel and the NumPy
engine, only in other loops, so the bits are the same. With ``scales`` s, ∇F(x) = s ⊙ ∇f(s ⊙ x):
``rowgrad_at`` scales the row into a scratch row, calls ``rowgrad``, and scales the result, as
:meth:`Problem.grad` does. Not supported: an online family's per-step gradient (``ec0``), and dim 1's
flat loops (a one-coordinate row problem runs the general loops).
"""
from __future__ import annotations

import math

import numpy as np

from . import chain_math
from .jit import inline, nclip, nmax, nsign
from .libm_sin import sin_any, sin_taylor

__all__ = ["gradient_functions", "row_functions", "row_bodies", "ROW_SCRATCH"]

_GRAD_SRC = """
def g(z, p0, p1, c0, c1):
    return {PLAIN}
def gt(z, p0, p1, c0, c1):
    return {TAYLOR}
def gf(z, p0, p1, c0, c1, T):
    return {ANY}


def grad(x, p0, p1, c0, c1, scaled, sj):
    # scalars only: an array passed to an inlined function costs a reference count per call
    if scaled:
        return g(x * sj, p0, p1, c0, c1) * sj
    return g(x, p0, p1, c0, c1)


def gradt(x, p0, p1, c0, c1, scaled, sj):
    return gt(x * sj, p0, p1, c0, c1) * sj if scaled else gt(x, p0, p1, c0, c1)


def gradf(x, p0, p1, c0, c1, scaled, sj, T):
    return gf(x * sj, p0, p1, c0, c1, T) * sj if scaled else gf(x, p0, p1, c0, c1, T)
"""


def gradient_functions(piece) -> dict:
    """The problem's gradient as inlined functions: with the C library's sin (``grad``), with glibc's
    polynomial (``gradt``, right where ``far`` is False), with glibc's algorithm everywhere (``gradf``)."""
    e = piece.expr
    src = _GRAD_SRC.replace("{PLAIN}", e.replace("SIN(", "math.sin(")).replace(
        "{TAYLOR}", e.replace("SIN(", "sin_taylor(")).replace("{ANY}", e.replace("SIN(z * c0)", "sin_any(z * c0, T)"))
    env = {"math": math, "sin_taylor": sin_taylor, "sin_any": sin_any, "nsign": nsign, "nclip": nclip,
           "nmax": nmax, "np": np}
    exec(compile(src, f"<ratecheck gradient {piece.key()}>", "exec"), env)
    out = {}
    for name in ("g", "gt", "gf", "grad", "gradt", "gradf"):
        env[name] = out[name] = inline(env[name])
    return out


#: scratch rows (length dim) the row loops use: ∇F at y, the query point y, the output point p, ∇F(p),
#: the scaled row s ⊙ x
ROW_SCRATCH = ("GE", "YQ", "PO", "GP", "ZS")

_AT_SRC = """
def rowgrad_at(xr, g, P, c0, c1, w, scaled, s, zs):
    if scaled:
        for j in range(xr.size):
            zs[j] = xr[j] * s[j]
        rowgrad(zs, g, P, c0, c1, w)
        for j in range(xr.size):
            g[j] = g[j] * s[j]
    else:
        rowgrad(xr, g, P, c0, c1, w)
"""
_ORACLE_AT_SRC = """
def roworacle_at(xr, g, P, c0, c1, w, scaled, s, zs, u):
    if scaled:
        for j in range(xr.size):
            zs[j] = xr[j] * s[j]
        roworacle(zs, g, P, c0, c1, w, u)
        for j in range(xr.size):
            g[j] = g[j] * s[j]
    else:
        roworacle(xr, g, P, c0, c1, w, u)
"""


def row_functions(piece) -> dict:
    """The problem's ``rowgrad`` and ``rowgrad_at`` (with the scales), and ``roworacle``,
    ``roworacle_at`` if it defines one, as inlined functions."""
    env = {"math": math, "np": np, "nsign": nsign, "nclip": nclip, "nmax": nmax,
           "chain_grad_row": chain_math.chain_grad_row, "arjevani_row": chain_math.arjevani_row}
    exec(compile(piece.source + _AT_SRC + _ORACLE_AT_SRC, f"<ratecheck row gradient {piece.key()}>", "exec"), env)
    if "rowgrad" not in env:
        raise ValueError("a RowGradient's source must define rowgrad(z, g, P, c0, c1, w)")
    out = {}
    names = ("rowgrad", "rowgrad_at") + (("roworacle", "roworacle_at") if "roworacle" in env else ())
    for name in names:
        env[name] = out[name] = inline(env[name])
    return out


def _call(point: str, into: str) -> str:
    return f"rowgrad_at({point}, {into}, P, gc0, gc1, W_r, scaled, s, ZS_r)\n"


def row_bodies(b: dict, query: str, update: str) -> list[tuple[str, str, str | None]]:
    """The loops of one replicate's step (see the module docstring), as compose's ``_bodies`` gives them:
    (code before the loop, element code of the loop or "" for none, None). ``query`` and ``update`` are
    the sections of ``compose.ELEM_SRC`` with the optimizer's code pasted in; ``b`` the flags."""
    step = b["step"]
    head = update.split("# ---- output average")[0]
    out = []
    if step.query:
        out.append(("", query, None))
    if b["running"]:
        out.append((_call("x_r", "GX_r"), "X[k, i, j] = x[i, j]\n" if b["keep_x"] else "", None))
    use_ge = not (b["r_random"] or b["r_two_point"])
    ge = "0.0"
    if use_ge:
        if b["reuse_gx"]:
            ge = "GX[k, i, j]"
        else:
            ge = "GE[i, j]"
            if step.query:
                out.append(("", "xi = x[i, j]\n" + step.reload_y + "YQ[i, j] = y\n", None))
            call = _call("YQ_r" if step.query else "x_r", "GE_r")
            if b["r_row_uniform"]:          # the oracle given the row's uniform, in place of ∇F(y)
                call = call.replace("rowgrad_at(", "roworacle_at(").replace(")\n", ", R_r[0])\n")
            out.append((call, "", None))
    code = "xi = x[i, j]\n" + step.reload_y + step.reload_delta + f"ge = {ge}\n" + head
    if b["has_output"]:
        code += ("p = y\n" if b["out_query"] else "p = xn\n") + "dif = p - mean[i, j]\n"
        if b["cert"]:
            code += "DF[i, j] = dif\nPO[i, j] = p\n"
        code += "mean[i, j] = mean[i, j] + dif * awk\n"
    out.append(("", code, None))
    if b["cert"]:
        same = b["reuse_ge"] and (b["out_query"] or b["iterate_is_query"])    # ∇F(p) is ∇F(y)
        gp = ge if same else "GP[i, j]"
        out.append(("" if same else _call("PO_r", "GP_r"), f"gbar[i, j] = gbar[i, j] + ({gp} - gbar[i, j]) * awk\n",
                    None))
        out.append((_call("mean_r", "GM_r"), "", None))
    return out
