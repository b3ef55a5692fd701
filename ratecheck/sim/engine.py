r"""The simulator's engines (private): run one *part* of a simulation, a contiguous run of
replicate blocks, and return its metrics.

Three engines give the same bits (``tests/test_bits.py``, ``tests/test_fast_paths.py``):

``reference``
    The definition: one step at a time, ``problem.stochastic_grad(y[block], generator_b)`` per
    block, then ``optimizer.update``. Works for any problem and optimizer.
``numpy``
    For built-in problems whose randomness can be drawn many steps at once
    (:meth:`ratecheck.problems.Problem.batch_kind`; for a "row_uniform" oracle such as the Arjevani
    chain's, the one uniform per row and step that its gradient uses): a background thread draws the
    next chunk of steps (per block, from the same generators, in the same order) while the main thread runs the
    steps with the optimizer's own NumPy ``update``. A generator fills its output in C order, one
    number after another, so one call for k steps draws exactly the numbers of k calls.
``numba``
    The same chunks, with the steps run by a kernel compiled from the optimizer's and the problem's
    own compiled pieces (:mod:`ratecheck.sim.kernels`, :mod:`ratecheck.sim.compose`), doing each
    element's floating-point operations in the order NumPy does them. It lives in another module
    (it imports this one, not the reverse) and adds itself to :data:`RUNNERS` when imported.

What the engines record is in :mod:`ratecheck.sim.book`, the noise drawn ahead in
:mod:`ratecheck.sim.prefetch`.

Segments
--------
A part can run a *segment* of steps, ``start.t + 1 .. stop``, and hand back a :class:`Carry`:
everything the next segment needs to continue (the optimizer's state with its scratch buffers,
the output tracker and certificate accumulators, the running metrics, the divergence status,
the metrics recorded so far, the checkpoint index and the bit-generator state of every block).
An engine draws the random numbers of its own segment only, so at a segment's end every
generator sits exactly after the last step's draws: running ``0..a`` then ``a..b`` gives the
bits of running ``0..b`` (``tests/test_resume.py``). :func:`ratecheck.simulate` uses segments
to write resumable snapshots; the steps inside a segment run exactly as before.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..optimizers.base import BlockRNG, Optimizer, State
from . import normal  # noqa: F401  (installs the compiled Gaussian fill in problems.noise)
from .book import Book, Output, Part, constants, point_metrics, records_regret, sqnorm
from .prefetch import Prefetch, ServedRNG, gen_states, generators, served_draws


@dataclass
class Task:
    """One part of a simulation: everything a (possibly remote) worker needs."""

    problem: object
    optimizer: Optimizer
    steps: int
    grid: np.ndarray
    running: bool | str          # True, False or "gradient" (see ratecheck.simulate)
    certificate: bool
    block_size: int
    x0: np.ndarray            # (rows of this part, dim)
    noise_seqs: list          # one SeedSequence per block of this part
    opt_seqs: list
    engine: str               # "reference", "numpy" or "numba"
    start: "Carry | None" = None   # continue from this carry (None: from step 0)
    stop: int | None = None        # last step of this segment (None: ``steps``)
    dtype: str = "float64"         # "float32": iterates and optimizer state stored in float32
    threads: int = 1               # numba engine: threads that split each block's rows (same bits)

    def __getstate__(self) -> dict:
        # an engine of another module (RUNNERS) travels with the task, pickled by reference: unpickling
        # it in a worker process imports its module, which registers it there too
        return {**vars(self), "runner": RUNNERS.get(self.engine)}

    def __setstate__(self, state: dict) -> None:
        state = dict(state)
        state.pop("runner", None)
        vars(self).update(state)

    @property
    def last(self) -> int:
        return self.steps if self.stop is None else self.stop

    @property
    def first(self) -> int:
        """Steps already done before this segment."""
        return 0 if self.start is None else self.start.t


@dataclass
class Carry:
    """Everything a part needs to continue after step ``t``; arrays have replicates first
    (records: checkpoints first, replicates second), generator states are one per block."""

    t: int
    next_k: int
    state: dict               # the optimizer State's attributes: "t" and every array, scratch included
    output: dict | None       # mean (and gbar, spread with the certificate)
    book: dict                # alive, diverged_step, run_min, run_sum, run_min_gap, records
    noise: list               # bit-generator state of each block's noise generator
    opt: list                 # ... and of each block's optimizer generator

    def rows(self) -> int:
        return int(self.book["alive"].shape[0])

    def take(self, rows: slice, blocks: slice) -> "Carry":
        """The carry of a contiguous run of whole blocks."""
        def cut(d):
            return None if d is None else {k: (v[rows] if isinstance(v, np.ndarray) else v) for k, v in d.items()}
        book = cut({k: v for k, v in self.book.items() if k != "records"})
        book["records"] = {k: v[:, rows] for k, v in self.book["records"].items()}
        return Carry(self.t, self.next_k, cut(self.state), cut(self.output), book, self.noise[blocks],
                     self.opt[blocks])

    @staticmethod
    def join(carries: list) -> "Carry":
        """One carry from the carries of consecutive parts."""
        if len(carries) == 1:
            return carries[0]
        first = carries[0]

        def cat(dicts):
            if dicts[0] is None:
                return None
            return {k: (np.concatenate([d[k] for d in dicts]) if isinstance(v, np.ndarray) else v)
                    for k, v in dicts[0].items()}
        book = cat([{k: v for k, v in c.book.items() if k != "records"} for c in carries])
        book["records"] = {k: np.concatenate([c.book["records"][k] for c in carries], axis=1)
                           for k in first.book["records"]}
        return Carry(first.t, first.next_k, cat([c.state for c in carries]), cat([c.output for c in carries]),
                     book, [s for c in carries for s in c.noise], [s for c in carries for s in c.opt])



def finish(task: Task, t: int, next_k: int, state: State, output, book: Book, noise_gens: list,
           opt_gens: list):
    """What a segment hands back: the final :class:`Part`, or a :class:`Carry` before the last step."""
    if t >= task.steps:
        return book.part(state.x, output)
    st = dict(vars(state))
    return Carry(t=t, next_k=next_k, state=st, output=None if output is None else output.carry(),
                 book=book.carry(), noise=gen_states(noise_gens), opt=gen_states(opt_gens))


def marks(task: Task) -> list:
    """The checkpoint steps as Python ints, with a sentinel past the last step (a grid may end before it)."""
    return [int(t) for t in task.grid] + [task.steps + 1]


def to_float32(state: State) -> None:
    """Store the optimizer's float arrays in float32 (the ``dtype="float32"`` mode)."""
    for key, value in vars(state).items():
        if isinstance(value, np.ndarray) and value.dtype == np.float64:
            setattr(state, key, value.astype(np.float32))


def setup(task: Task):
    """(state, output, book, project, block slices) of a task: what every engine starts from."""
    problem, optimizer = task.problem, task.optimizer
    consts = constants(problem)
    reps = task.x0.shape[0]
    tracks_output = optimizer.output != "iterate"
    c = task.start
    x0 = task.x0.astype(np.float32) if task.dtype == "float32" else task.x0
    if c is None:
        state = optimizer.init(task.x0)
        if task.dtype == "float32":
            to_float32(state)
    else:
        state = State(c.state["t"], **{k: v for k, v in c.state.items() if k != "t"})
    output = Output(problem, optimizer, x0, task.certificate, None if c is None else c.output) \
        if tracks_output else None
    book = Book(problem, consts, task.grid, reps, task.running, task.certificate, None if c is None else c.book)
    project = getattr(problem, "project", None) if getattr(problem, "domain", None) is not None else None
    bs = task.block_size
    slices = [slice(b * bs, min((b + 1) * bs, reps)) for b in range(len(task.noise_seqs))]
    return state, output, book, project, slices


#: engines defined in other modules, by name: the compiled engine (:mod:`ratecheck.sim.kernels`)
#: adds itself here when imported, so that this module does not import it (kernels imports engine)
RUNNERS: dict = {}


def run_task(task: Task) -> Part:
    """Run one part (or one segment of it) with its engine."""
    if task.dtype != "float64" and task.engine != "reference":
        raise ValueError(f"dtype={task.dtype!r} runs on the reference engine only")  # pragma: no cover
    if task.engine == "reference":
        return _run_reference(task)
    if task.engine == "numpy":
        return _run_numpy(task)
    runner = RUNNERS.get(task.engine)
    if runner is not None:
        return runner(task)
    raise ValueError(f"unknown engine {task.engine!r}")  # pragma: no cover - checked by simulate


# ------------------------------------------------------------------------------ reference
def _run_reference(task: Task) -> Part:
    problem, optimizer, grid = task.problem, task.optimizer, task.grid
    state, output, book, project, slices = setup(task)
    c = task.start
    noise_gens = generators(task.noise_seqs, None if c is None else c.noise)
    opt_gens = generators(task.opt_seqs, None if c is None else c.opt)
    opt_rng = BlockRNG(opt_gens, task.block_size)
    time_varying = bool(getattr(problem, "time_varying", False))
    gbuf = np.empty_like(task.x0) if len(noise_gens) > 1 else None

    def grad_at(y: np.ndarray, t: int) -> np.ndarray:
        extra = (t,) if time_varying else ()
        if gbuf is None:
            return problem.stochastic_grad(y, noise_gens[0], *extra)
        for gen, sl in zip(noise_gens, slices):
            gbuf[sl] = problem.stochastic_grad(y[sl], gen, *extra)
        return gbuf

    if task.dtype == "float32":
        exact_grad_at = grad_at

        def grad_at(y: np.ndarray, t: int) -> np.ndarray:  # the optimizer sees a float32 gradient
            return exact_grad_at(y, t).astype(np.float32)

    grid = marks(task)
    next_k = 0 if c is None else c.next_k
    t = task.first
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        for t in range(task.first + 1, task.last + 1):
            if task.running:
                book.running_step(state.x)
            y = optimizer.query(state, opt_rng)
            if project is not None and y is not state.x:
                project(y)
            g = grad_at(y, t)
            optimizer.update(state, g)
            if project is not None:
                project(state.x)
            if output is not None:
                output.update(y if optimizer.output_source == "query" else state.x, t)
            book.check(state.x, t)
            if t == grid[next_k]:
                book.record(next_k, t, state.x, output)
                next_k += 1
    return finish(task, task.last, next_k, state, output, book, noise_gens, opt_gens)



# ---------------------------------------------------------------------------------- numpy
def _run_numpy(task: Task) -> Part:
    problem, optimizer, grid = task.problem, task.optimizer, task.grid
    kind = problem.batch_kind()
    state, output, book, project, slices = setup(task)
    method = served_draws(optimizer)
    prefetch = Prefetch(task, kind, method, slices)
    if method is not None:
        opt_rng = served = ServedRNG(method)
    else:
        served = None
        opt_rng = BlockRNG(prefetch.all_opt_gens, task.block_size)
    single = len(slices) == 1
    per_block = not problem.rowwise and not single
    gbuf = np.empty_like(task.x0)
    sbuf = np.empty((task.x0.shape[0], 1))
    ubuf = np.empty((task.x0.shape[0], 1))
    from_query = optimizer.output_source == "query"
    grid = marks(task)
    t = task.first
    next_k = 0 if task.start is None else task.start.next_k
    chunks = prefetch.chunks()
    try:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            for n, blocks in chunks:
                for k in range(n):
                    t += 1
                    if task.running:
                        book.running_step(state.x)
                    if served is not None:
                        if single:
                            served.current = blocks[0][1][k]
                        else:
                            for sl, (_, S) in zip(slices, blocks):
                                sbuf[sl] = S[k]
                            served.current = sbuf
                    y = optimizer.query(state, opt_rng)
                    if project is not None and y is not state.x:
                        project(y)
                    if kind == "random":
                        if single:
                            g = blocks[0][0][k]
                        else:
                            for sl, (R, _) in zip(slices, blocks):
                                gbuf[sl] = R[k]
                            g = gbuf
                    elif kind == "row_uniform":       # the rows' uniforms U (rows, 1) of this step
                        if single:
                            u = blocks[0][0][k][:, 0]
                        else:
                            for sl, (U, _) in zip(slices, blocks):
                                ubuf[sl] = U[k]
                            u = ubuf[:, 0]
                        if per_block:
                            for sl in slices:
                                gbuf[sl] = problem.row_uniform_oracle(y[sl], u[sl])
                            g = gbuf
                        else:
                            g = problem.row_uniform_oracle(y, u)
                    else:
                        if per_block:
                            for sl in slices:
                                gbuf[sl] = problem.exact_part(y[sl], t)
                            g = gbuf
                        else:
                            g = problem.exact_part(y, t)
                        if kind == "additive":
                            if single:
                                g += blocks[0][0][k]
                            else:
                                for sl, (R, _) in zip(slices, blocks):
                                    g[sl] += R[k]
                    optimizer.update(state, g)
                    if project is not None:
                        project(state.x)
                    if output is not None:
                        output.update(y if from_query else state.x, t)
                    book.check(state.x, t)
                    if t == grid[next_k]:
                        book.record(next_k, t, state.x, output)
                        next_k += 1
    finally:
        chunks.close()
    return finish(task, t, next_k, state, output, book, prefetch.all_noise_gens, prefetch.all_opt_gens)

