r"""The numba engine's kernel, composed from the optimizer's and the problem's own compiled pieces.

One kernel, :func:`chunk`, runs a chunk of steps for the rows r0 .. r1−1 of a block, doing for each
replicate, step and coordinate the floating-point operations of the NumPy code in its order (the same
operations on the same inputs give the same bits). It names no optimizer and no problem: the optimizer's
:class:`~ratecheck.optimizers.base.ElementStep` and the problem's :class:`~ratecheck.problems.base.GradientPiece`
are pasted into the loops below (``ELEM_SRC``), which add what every run shares: the stochastic gradient
from the drawn numbers, the running metrics, the output average and the (λ,ε) certificate. Each
combination (pieces named by their key, randomness, flags) is generated, compiled once and cached; its
flags become literals, so the dead branches go.

A problem whose gradient is not coordinate-wise declares a
:class:`~ratecheck.problems.base.RowGradient` instead: compiled code ``rowgrad`` that writes ∇F of a
whole row into a scratch row. The kernel then runs the same sections as separate loops around calls
of it (at the query point, at x for the running metrics, at the output points for the certificate),
and the update loop reads the gradient back (:func:`ratecheck.sim.gradients.row_bodies`).
"""
from __future__ import annotations

import math
import re
import zlib
from pathlib import Path

import numpy as np

from ..problems.base import RowGradient
from . import chain_math, gradients, libm_sin, reductions
from . import jit as jit_module
from .gradients import ROW_SCRATCH, gradient_functions, row_bodies, row_functions
from .jit import jit, literally, nclip, nmax, nsign, numba
from .libm_sin import far as sin_far
from .reductions import cert_row, sqsum

__all__ = ["register", "chunk", "TINY", "NAN", "RUNNING", "KEEP_X", "BOX", "SCALED", "SAME_EXACT", "CERT",
           "OUT_ITERATE", "OUT_QUERY", "DIM1", "FAST_SIN", "OPTIMIZER_FLAGS", "FP_SIZE", "SC_SIZE"]

TINY = np.finfo(np.float64).tiny
NAN = float("nan")
# flags (one compiled variant per combination in use)
RUNNING, KEEP_X, BOX, SCALED, SAME_EXACT, CERT, OUT_ITERATE, OUT_QUERY = (1 << b for b in range(8))
DIM1 = 1 << 13
FAST_SIN = 1 << 14       # split kernels: sin by sin_taylor where it applies (see libm_sin.sin_agrees)
#: the optimizer's flags o1 .. o8 (ElementStep)
OPTIMIZER_FLAGS = {f"o{k + 1}": 1 << b for k, b in enumerate((8, 9, 10, 11, 12, 15, 16, 17))}
#: numbers of constants fp0 .. and of per-step scalars sc0 .. an ElementStep may use
FP_SIZE, SC_SIZE = 8, 4

#: the pieces by key (a process registers those it runs before compiling them)
_STEPS: dict = {}
_GRADS: dict = {}


#: the inlined helpers' source (files numba's cache does not watch) is folded into the keys
_HELPERS = zlib.crc32(b"".join(Path(m.__file__).read_bytes() for m in (jit_module, libm_sin,
                                                                 reductions, gradients, chain_math)))


def register(step, gradient) -> tuple[int, int]:
    """(key of the optimizer's ElementStep, key of the problem's GradientPiece), remembered for compiling."""
    ks, kg = (step.key() ^ _HELPERS) & 0x3FFFFFFF, (gradient.key() ^ _HELPERS) & 0x3FFFFFFF
    _STEPS[ks], _GRADS[kg] = step, gradient
    return ks, kg


def _steps(okind, gcode, rkind, flags, t0, n, x, A0, A1, A2, Z, FP, SC, R, S, P, gc0, gc1, ec0, s, lo, hi,
           GX, X, mean, gbar, CS, AW, alive, dstep, tile, r0, r1, TP, ST):  # pragma: no cover - see _overload_steps
    raise NotImplementedError("compiled only, through chunk")


@jit
def chunk(okind, gcode, rkind, flags, t0, n, x, A0, A1, A2, Z, FP, SC, R, S, P, gc0, gc1, ec0, s,
          lo, hi, GX, X, mean, gbar, CS, AW, alive, dstep, tile, r0, r1, TP, ST):
    """Run steps t0 .. t0+n−1 of rows r0 .. r1−1 (see ``_make_steps`` for the arguments)."""
    # the keys and flags become compile-time constants: each combination is compiled (and cached)
    # once, with its dead branches removed, which makes it about ten times faster
    return _steps(literally(okind), literally(gcode), literally(rkind), literally(flags), t0, n, x, A0, A1,
                  A2, Z, FP, SC, R, S, P, gc0, gc1, ec0, s, lo, hi, GX, X, mean, gbar, CS, AW, alive, dstep,
                  tile, r0, r1, TP, ST)


def _overload_steps(okind, gcode, rkind, flags, t0, n, x, A0, A1, A2, Z, FP, SC, R, S, P, gc0, gc1, ec0, s,
                    lo, hi, GX, X, mean, gbar, CS, AW, alive, dstep, tile, r0, r1, TP, ST):
    types = numba.core.types
    if not all(isinstance(a, types.IntegerLiteral) for a in (okind, gcode, rkind, flags)):
        return None
    return _make_steps(okind.literal_value, gcode.literal_value, rkind.literal_value, flags.literal_value)


#: one coordinate j of replicate i at step k (with ek, p0, p1, sj, loj, hij set); pasted into both
#: loop nests of ``_STEPS_SRC`` (an inlined function would cost a reference count per call), with the
#: optimizer's query ({QUERY}) and update ({UPDATE}). The ``#@`` lines cut it into four sections
#: (query point; exact gradients; update and output; the gradient at the new output point), which run
#: as one loop over the coordinates, or as four (see ``_bodies``). DF and GM are scratch rows (of the
#: tile's rows when dim is 1) that the certificate's reductions read after the loops
ELEM_SRC = """
xi = x[i, j]
# ---- query point
y = xi
delta = 0.0
{QUERY}
#@grad ---- exact gradients at x (running metrics) and at y
gx = 0.0
if running:
    gx = grad(xi, p0, p1, gc0, gc1, scaled, sj)
    GX[k, i, j] = gx
    if keep_x:
        X[k, i, j] = xi
ge = 0.0
if not (r_random or r_two_point):
    if reuse_gx:
        ge = gx
    else:
        ge = grad(y, p0, p1, ek, gc1, scaled, sj)
#@update ---- stochastic gradient at y
if r_random:
    g = R[k, i, j]
elif r_two_point:                       # two-point oracle from the uniform draw u
    g = tp1 if R[k, i, j] < tp0 else tp2
    if scaled:
        g = g * sj
else:
    g = ge
    if r_additive:
        g = g + R[k, i, j]
# ---- update
{UPDATE}
if box:
    xn = nclip(xn, loj, hij)
x[i, j] = xn
bad = bad | (xn - xn != 0.0)
# ---- output average / EMA and certificate
if has_output:
    a = awk
    gp = 0.0
    if out_query:
        p = y
        if cert:
            if reuse_ge:
                gp = ge
            else:
                gp = grad(p, p0, p1, gc0, gc1, scaled, sj)
    else:
        p = xn
        if cert:
            if iterate_is_query and reuse_ge:   # the new iterate is the query point y
                gp = ge
            else:
                gp = grad(p, p0, p1, gc0, gc1, scaled, sj)
    dif = p - mean[i, j]
    if cert:
        DF[i, j] = dif
        gbar[i, j] = gbar[i, j] + (gp - gbar[i, j]) * a
    mean[i, j] = mean[i, j] + dif * a
#@outgrad ---- the exact gradient at the new output point (its norm's time sum)
if cert:
    GM[i, j] = grad(mean[i, j], p0, p1, gc0, gc1, scaled, sj)
"""

_STEPS_SRC = """
def impl(okind, gcode, rkind, flags, t0, n, x, A0, A1, A2, Z, FP, SC, R, S, P, gc0, gc1, ec0, s,
         lo, hi, GX, X, mean, gbar, CS, AW, alive, dstep, tile, r0, r1, TP, ST):
    rows, dim = x.shape
    # scalars in locals: stores to the state arrays then cannot alias them, which lets the
    # compiler keep them in registers and vectorize the loops
    fp0, fp1, fp2, fp3, fp4, fp5, fp6, fp7 = FP[0], FP[1], FP[2], FP[3], FP[4], FP[5], FP[6], FP[7]
    {VIEWS}
    tp0, tp1, tp2 = TP[0], TP[1], TP[2]
    # tiles of rows r0 .. r1−1 whose state stays in cache while the tile runs all n steps
    for i0 in range(r0, r1, tile):
        i1 = min(i0 + tile, r1)
        for k in range(n):
            ek = ec0[k]
            sc0, sc1, sc2, sc3 = SC[k, 0], SC[k, 1], SC[k, 2], SC[k, 3]
            awk = AW[k] if has_output else 0.0
            bad = False
{LOOP}
            # replicates whose iterate became non-finite at this step: diverged, frozen at NaN
            # (the loop above or-reduces the test, so this pass runs only when one did)
            for i in range(i0, i1 if bad else i0):
                if alive[i]:
                    for j in range(dim):
                        v = x[i, j]
                        if not (v - v == 0.0):
                            alive[i] = False
                            dstep[i] = t0 + k
                            for jj in range(dim):
                                x[i, jj] = NAN
                            break
    return 0
"""


_LOOP_DIM1 = """
# dim == 1: flat loops over the replicates of the tile, consecutive in memory
j = 0
p0 = P[0, 0]
p1 = P[1, 0]
sj = s[0] if scaled else 1.0
loj = lo[0] if box else 0.0
hij = hi[0] if box else 0.0
base = k * rows
{VIEWS}
{BODIES}
{CERT}
"""
_BODY_DIM1 = """
for ii in range(i1 - i0):
{ELEM4}
"""

_LOOP_DIM = """
for i in range(i0, i1):
{VIEWS}
{PRE}
{BODIES}
{POST}
{CERT}
"""

#: after a step's loops, per replicate: the certificate's reductions over coordinates in NumPy's
#: order (``_sqsum`` = ``sqnorm``, ``_l1``; ``reductions_agree`` checks them against NumPy), as
#: ``Output.update`` and ``Output.accumulate`` do them: the spread S ← (S + a‖p − mean‖²)(1 − a),
#: then the time sums of ‖gbar‖₂, ‖gbar‖₁, S and ‖∇F(mean)‖₂ (CS rows 0 .. 4)
_CERT_DIM = """
    ssd, ssg, l1g, ssm = cert_row(DF_r, gbar_r, GM_r, dim)
    sp = (CS[0, i] + awk * ssd) * (1.0 - awk)
    CS[0, i] = sp
    CS[1, i] = CS[1, i] + math.sqrt(ssg)
    CS[2, i] = CS[2, i] + l1g
    CS[3, i] = CS[3, i] + sp
    CS[4, i] = CS[4, i] + math.sqrt(ssm)
"""
#: the same for dim 1, where a sum of one square is the square (0 + (a² + 0) + 0 = a², a² ≥ 0)
_CERT_DIM1 = """
for ii in range(i1 - i0):
    i = i0 + ii
    dd = DF_t[ii]
    gb = gbar_t[ii]
    gm = GM_t[ii]
    sp = (CS[0, i] + awk * (dd * dd)) * (1.0 - awk)
    CS[0, i] = sp
    CS[1, i] = CS[1, i] + math.sqrt(gb * gb)
    CS[2, i] = CS[2, i] + abs(gb)
    CS[3, i] = CS[3, i] + sp
    CS[4, i] = CS[4, i] + math.sqrt(gm * gm)
"""
_BODY_DIM = """
    for j in range(dim):
        p0 = P[0, j]
        p1 = P[1, j]
        sj = s[j] if scaled else 1.0
        loj = lo[j] if box else 0.0
        hij = hi[j] if box else 0.0
{ELEM8}
"""


def _bodies(b: dict) -> list[tuple[str, str, str | None]]:
    """The element code as the loops over coordinates (or replicates, dim 1) that run it: a list of
    (code before the loop, element code, name of a flag that guards the loop or None).

    One loop, unless *split*: a gradient that calls the C library's ``sin`` (not vectorized: SVML rounds
    differently) keeps the compiler from vectorizing its loop, so the query point, the ``sin`` calls and
    the update run as three loops passing δ and ∇F(y) through Z and a scratch GE (with the certificate, a
    fourth takes ∇F at the new output point): the same operations, the same bits. With *fast_sin* each
    ``sin`` loop runs vectorized with ``sin_taylor`` and notes arguments beyond its range (``far``);
    only if one was, a second pass recomputes those with ``sin_any`` (glibc's table, else the C library).
    """
    step = b["step"]
    query, grad, update, outgrad = re.split(r"^#@.*\n", ELEM_SRC, flags=re.M)
    query = query.replace("{QUERY}", step.query)
    update = update.replace("{UPDATE}", step.update)
    if not b["cert"]:
        outgrad = ""
    if not b["split"]:
        return [("", query + grad + update + outgrad, None)]
    use_ge = not (b["r_random"] or b["r_two_point"])
    reload = "xi = x[i, j]\n" + step.reload_y
    out = []

    def sin_loop(head: str, code: str, args: list) -> None:
        if not (b["fast_sin"] and args):
            out.append(("", head + code, None))
            return
        far = " | ".join(f"sin_far({a}, scaled, sj)" for a in args)
        fast = re.sub(r"\bgrad\(", "gradt(", code)
        exact = re.sub(r"\bgrad\((.*?)\)\n", r"gradf(\1, ST)\n", code)
        out.append(("far = False\n", head + fast + f"far = far | {far}\n", None))
        out.append(("", head + f"if {far}:\n" + _indent(exact, 4) + "\n", "far"))

    if step.query:                # otherwise y = x: no query point to compute
        out.append(("", query, None))
    sin_args = (["xi, gc0"] if b["running"] else []) + (["y, ek"] if use_ge and not b["reuse_gx"] else [])
    sin_loop(reload, grad + ("GE[i, j] = ge\n" if use_ge else ""), sin_args)
    out.append(("", reload + step.reload_delta
                + ("ge = GE[i, j]\n" if use_ge else "ge = 0.0\n") + update, None))
    if outgrad:                   # a fourth loop: sin at the output point
        sin_loop("", outgrad, ["mean[i, j], gc0"])
    return out


#: the arrays the element code indexes (flat views of them when dim == 1)
_ARRAYS = ("x", "A0", "A1", "A2", "Z", "R", "S", "GX", "X", "mean", "gbar")


def _indent(src: str, spaces: int) -> str:
    return "\n".join((" " * spaces + line) if line.strip() else "" for line in src.splitlines())


def _make_steps(OKIND, GCODE, RKIND, FLAGS):
    """The kernel for one combination: its keys and flags are constants of the generated code.

    okind, gcode: the keys of the optimizer's ElementStep and of the problem's GradientPiece or
    RowGradient (:func:`register`); A0, A1, A2, Z, FP, SC, S: the optimizer's arrays, constants, per-step scalars
    and draws (see ElementStep); P, gc0, gc1: the problem's parameters, ec0 the number that replaces
    c0 at the query point (an online family's per-step gradient); rkind: 0 exact gradient, 1 exact
    part + R, 2 R alone, 3 two-point oracle (TP: threshold, hi, lo) from the uniforms R, 4 a row
    gradient's "row_uniform" oracle from one uniform per row R[k, i, 0].
    """
    step, piece = _STEPS[OKIND], _GRADS[GCODE]
    f = {"running": RUNNING, "keep_x": KEEP_X, "box": BOX, "scaled": SCALED, "same_exact": SAME_EXACT,
         "cert": CERT, "out_iterate": OUT_ITERATE, "out_query": OUT_QUERY, "dim1": DIM1, "fast_sin": FAST_SIN,
         **OPTIMIZER_FLAGS}
    b = {name: (FLAGS & bit) != 0 for name, bit in f.items()}
    b.update(r_additive=RKIND == 1, r_random=RKIND == 2, r_two_point=RKIND == 3, r_row_uniform=RKIND == 4)

    def flag(expr: str) -> bool:        # an ElementStep's flag expression, e.g. "o1", "o2 and not dim1"
        return bool(eval(expr, {"__builtins__": {}}, dict(b)))
    b["iterate_is_query"] = flag(step.iterate_is_query)
    b["has_output"] = b["out_iterate"] or b["out_query"]
    b["reuse_gx"] = b["running"] and b["same_exact"] and not step.query and RKIND != 4  # y is x: one gradient
    b["reuse_ge"] = RKIND in (0, 1) and b["same_exact"]         # the exact part at y is grad F(y)
    # the arrays the live code indexes; indexing 1-D views with indices counted from 0 lets the
    # compiler drop NumPy-style negative-index handling and vectorize the loops
    used = {"x": True, "A0": False, "A1": False, "A2": False, "Z": False, "S": False,
            "R": RKIND != 0, "GX": b["running"], "X": b["keep_x"], "mean": b["has_output"], "gbar": b["cert"]}
    used.update({name: flag(expr) for name, expr in step.uses})
    rows_hook = not b["dim1"] and flag(step.row_when)
    b["step"] = step
    per_step = ("R", "S", "GX", "X")
    live = [a for a in _ARRAYS if used[a]]
    b["split"] = piece.uses_sin
    rows = isinstance(piece, RowGradient)       # a row's gradient at once (see gradients.row_bodies)
    if rows:
        query, _, update, _ = re.split(r"^#@.*\n", ELEM_SRC, flags=re.M)
        bodies = row_bodies(b, query.replace("{QUERY}", step.query), update.replace("{UPDATE}", step.update))
    else:
        bodies = _bodies(b)
    del b["step"]
    scratch = (("GE",) if b["split"] else ()) + (("DF", "GM") if b["cert"] else ()) \
        + (step.row_scratch if rows_hook else ()) + (ROW_SCRATCH if rows else ())
    if b["dim1"]:
        def flat(elem):
            elem = re.sub(r"\b(\w+)\[k, i, (?:j|0)\]", r"\1_t[ii]", elem)
            return _indent(re.sub(r"\b(\w+)\[i, j\]", r"\1_t[ii]", elem), 4)
        tile_views = "\n".join(f"{a}_t = {a}_f[base + i0:base + i1]" if a in per_step else f"{a}_t = {a}_f[i0:i1]"
                                for a in live)
        def body1(pre, e, guard):
            loop_ = _BODY_DIM1.replace("{ELEM4}", flat(e))
            return pre + (f"if {guard}:\n" + _indent(loop_, 4) + "\n" if guard else loop_)
        loop = _LOOP_DIM1.replace("{VIEWS}", tile_views).replace(
            "{BODIES}", "".join(body1(*part) for part in bodies)).replace(
            "{CERT}", _CERT_DIM1 if b["cert"] else "")
        views = "".join(f"    {a}_f = {a}.reshape({a}.size)\n" for a in live)
        views += "".join(f"    {a}_t = np.empty(tile)\n" for a in scratch)
    else:
        def row(elem):
            elem = elem.replace("S[k, i, 0]", "S_r[0]")
            elem = re.sub(r"\b(\w+)\[k, i, j\]", r"\1_r[j]", elem)
            return _indent(re.sub(r"\b(\w+)\[i, j\]", r"\1_r[j]", elem), 8)
        row_views = "\n".join(f"    {a}_r = {a}[k, i]" if a in per_step else f"    {a}_r = {a}[i]" for a in live)
        body_dim = _BODY_DIM.replace("        p0 = P[0, j]\n        p1 = P[1, j]\n", "") if rows else _BODY_DIM

        def body(pre, e, guard):
            loop_ = body_dim.replace("{ELEM8}", row(e)) if e else ""
            return _indent(pre, 4) + "\n" + (f"    if {guard}:\n" + _indent(loop_, 4) + "\n" if guard else loop_)
        loop = _LOOP_DIM.replace("{VIEWS}", row_views).replace(
            "{PRE}", _indent(step.row_pre, 4) if rows_hook else "").replace(
            "{POST}", _indent(step.row_post, 4) if rows_hook else "").replace(
            "{BODIES}", "".join(body(*part) for part in bodies)).replace(
            "{CERT}", _CERT_DIM if b["cert"] else "")
        views = "".join(f"    {a}_r = np.empty(dim)\n" for a in scratch)
        views += f"    W_r = np.empty(max(1, {piece.work}))\n" if rows else ""
    src = _STEPS_SRC.replace("{LOOP}", _indent(loop, 12)).replace("    {VIEWS}\n", views)
    # the flags become the literals True/False: Python's compiler drops the dead branches, so
    # each combination compiles only its own code
    src = re.sub(r"\b(" + "|".join(b) + r")\b", lambda m_: str(b[m_.group(1)]), src)
    env = dict(globals(), **(row_functions(piece) if rows else gradient_functions(piece)))
    exec(compile(src, f"<ratecheck kernel {OKIND}-{GCODE}-{RKIND}-{FLAGS}>", "exec"), env)
    return env["impl"]


if numba is not None:
    numba.extending.overload(_steps, jit_options={"error_model": "numpy"}, prefer_literal=True)(_overload_steps)

