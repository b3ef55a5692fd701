r"""The simulator's engines (private): run one *part* of a simulation, a contiguous run of
replicate blocks, and return its metrics.

Three engines give the same bits (``tests/test_bits.py``, ``tests/test_fast_paths.py``):

``reference``
    The definition: one step at a time, ``problem.stochastic_grad(y[block], generator_b)`` per
    block, then ``optimizer.update``. Works for any problem and optimizer.
``numpy``
    For built-in problems whose randomness can be drawn many steps at once
    (:meth:`ratecheck.problems.Problem.batch_kind`): a background thread draws the next chunk of
    steps (per block, from the same generators, in the same order) while the main thread runs the
    steps with the optimizer's own NumPy ``update``. A generator fills its output in C order, one
    number after another, so one call for k steps draws exactly the numbers of k calls.
``numba``
    The same chunks, with the steps of a supported (problem, optimizer) pair run by a compiled
    kernel (:mod:`ratecheck.sim.kernels`) that does each element's floating-point operations in the
    order NumPy does them; reductions over coordinates (‖∇F‖², the certificate's spread) stay
    in NumPy, computed afterwards on the stored vectors of the chunk.

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

import threading
from dataclasses import dataclass

import numpy as np

from .. import optimizers as _optimizers
from ..optimizers.base import BlockRNG, Optimizer, State

#: bytes of pre-drawn random numbers per buffer (two buffers: one filled while the other is used);
#: a chunk is also one hand-over to the numba engine's threads, which costs a few milliseconds, so
#: it pays to make chunks long (measured on bench W4: 8 MiB, 40 steps a chunk, 5.7-6.0 s; 32 MiB,
#: 160 steps, 4.5-5.0 s)
PREFETCH_BYTES = 32 * 2**20
#: most steps per chunk
MAX_CHUNK = 4096


def generator(seq: np.random.SeedSequence, state: dict | None = None) -> np.random.Generator:
    """The block's generator: fresh from its seed sequence, or moved to a saved bit-generator state."""
    gen = np.random.Generator(np.random.PCG64(seq))
    if state is not None:
        gen.bit_generator.state = state
    return gen


def generators(seqs: list, states: list | None) -> list:
    return [generator(s, None if states is None else states[i]) for i, s in enumerate(seqs)]


def gen_states(gens: list) -> list:
    return [g.bit_generator.state for g in gens]


def constants(problem) -> dict:
    get = getattr(problem, "constants", None)
    c = get() if callable(get) else {}
    return {"f_star": c.get("f_star", getattr(problem, "f_star", None)),
            "x_star": c.get("x_star", getattr(problem, "x_star", None))}


def sqnorm(a: np.ndarray) -> np.ndarray:
    return np.einsum("ij,ij->i", a, a)


def point_metrics(problem, x: np.ndarray, consts: dict, prefix: str = "") -> dict:
    g = problem.grad(x)
    value = np.asarray(problem.value(x), dtype=np.float64)
    out = {f"{prefix}grad_norm_sq": sqnorm(g),
           f"{prefix}grad_norm_l1": np.abs(g).sum(axis=1),
           f"{prefix}value": value}
    if consts["f_star"] is not None:
        out[f"{prefix}gap"] = value - consts["f_star"]
    if consts["x_star"] is not None:
        out[f"{prefix}dist"] = np.sqrt(sqnorm(x - np.asarray(consts["x_star"])))
    if x.shape[1] == 1:
        out[f"{prefix}theta"] = x[:, 0].copy()
    return out


class Output:
    """Online average/EMA of points p_t, with the (λ,ε) certificate's accumulators."""

    def __init__(self, problem, optimizer: Optimizer, x0: np.ndarray, certificate: bool, carry: dict | None = None):
        self.problem, self.opt, self.certificate = problem, optimizer, certificate
        if carry is not None:
            self.mean = carry["mean"]
            self.diff = np.empty_like(self.mean)
            if certificate:
                self.gbar, self.spread = carry["gbar"], carry["spread"]
                self.sums = {k: carry[k] for k in self.SUMS}
            return
        self.mean = x0.copy()
        self.diff = np.empty_like(x0)
        if certificate:
            self.gbar = problem.grad(x0)
            self.spread = np.zeros(x0.shape[0])
            self.sums = {k: np.zeros(x0.shape[0]) for k in self.SUMS}

    #: the sums over steps s = 1..t of the measures that Ahn & Cutkosky's theorems average over t
    #: (E_{t~U[T]}): ‖Σ w ∇F(p)‖₂, ‖Σ w ∇F(p)‖₁, the weighted spread, and ‖∇F(output)‖₂
    SUMS = ("sum_cert_grad_norm", "sum_cert_grad_l1", "sum_cert_spread", "sum_out_grad_norm")

    def carry(self) -> dict:
        out = {"mean": self.mean}
        if self.certificate:
            out.update(gbar=self.gbar, spread=self.spread, **self.sums)
        return out

    def accumulate(self) -> None:
        """Add this step's measures at the output point to the time sums (every step, not only checkpoints)."""
        s = self.sums
        s["sum_cert_grad_norm"] += np.sqrt(sqnorm(self.gbar))
        s["sum_cert_grad_l1"] += np.abs(self.gbar).sum(axis=1)
        s["sum_cert_spread"] += self.spread
        s["sum_out_grad_norm"] += np.sqrt(sqnorm(self.problem.grad(self.mean)))

    def averages(self, t: int) -> dict:
        """The time averages over s = 1..t, as recorded metrics (``avg_`` + the measure's name)."""
        return {"avg_" + k[4:]: v / t for k, v in self.sums.items()}

    def update(self, p: np.ndarray, t: int) -> None:
        a = self.opt.output_weight(t)
        np.subtract(p, self.mean, out=self.diff)
        if self.certificate:
            # S_t = (1-a)(S_{t-1} + a‖p_t − mean_{t−1}‖²) is the weighted spread Σ w_s‖p_s − mean_t‖²
            self.spread += a * sqnorm(self.diff)
            self.spread *= 1.0 - a
            gp = self.problem.grad(p)
            gp -= self.gbar
            gp *= a
            self.gbar += gp
        self.diff *= a
        self.mean += self.diff
        if self.certificate:
            self.accumulate()


@dataclass
class Task:
    """One part of a simulation: everything a (possibly remote) worker needs."""

    problem: object
    optimizer: Optimizer
    steps: int
    grid: np.ndarray
    running: bool
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
class Part:
    records: dict
    x: np.ndarray
    output_x: np.ndarray | None
    alive: np.ndarray
    diverged_step: np.ndarray


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


def records_regret(problem, consts: dict) -> bool:
    """Whether ``avg_gap`` is recorded: an online family (``regret``) with a declared f*."""
    return bool(getattr(problem, "regret", False)) and consts["f_star"] is not None


class Book:
    """Per-replicate bookkeeping shared by the engines: running metrics, divergence, records."""

    def __init__(self, problem, consts: dict, grid: np.ndarray, reps: int, running: bool,
                 certificate: bool, carry: dict | None = None):
        self.problem, self.consts, self.grid = problem, consts, grid
        self.running, self.certificate = running, certificate
        if carry is not None:
            self.alive, self.diverged_step = carry["alive"], carry["diverged_step"]
            self.records = dict(carry["records"])
            if running:
                self.run_min, self.run_sum = carry["run_min"], carry["run_sum"]
                self.run_min_gap = carry.get("run_min_gap")
                self.run_sum_gap = carry.get("run_sum_gap")
            return
        self.alive = np.ones(reps, dtype=bool)
        self.diverged_step = np.full(reps, -1, dtype=np.int64)
        self.records: dict[str, np.ndarray] = {}
        if running:
            self.run_min = np.full(reps, np.inf)
            self.run_sum = np.zeros(reps)
            self.run_min_gap = np.full(reps, np.inf) if consts["f_star"] is not None else None
            self.run_sum_gap = np.zeros(reps) if records_regret(problem, consts) else None

    def carry(self) -> dict:
        out = {"alive": self.alive, "diverged_step": self.diverged_step, "records": self.records}
        if self.running:
            out.update(run_min=self.run_min, run_sum=self.run_sum)
            if self.run_min_gap is not None:
                out["run_min_gap"] = self.run_min_gap
            if self.run_sum_gap is not None:
                out["run_sum_gap"] = self.run_sum_gap
        return out

    def running_step(self, x: np.ndarray) -> None:
        gn = sqnorm(self.problem.grad(x))
        np.minimum(self.run_min, gn, out=self.run_min)
        self.run_sum += gn
        if self.run_min_gap is not None:
            gap = self.problem.value(x) - self.consts["f_star"]
            np.minimum(self.run_min_gap, gap, out=self.run_min_gap)
            if self.run_sum_gap is not None:
                self.run_sum_gap += gap

    def check(self, x: np.ndarray, t: int) -> None:
        """Mark replicates whose iterate became non-finite at step t, and freeze them at NaN."""
        if not np.isfinite(np.sum(x)):
            bad = self.alive & ~np.isfinite(x).all(axis=1)
            if bad.any():
                self.diverged_step[bad] = t
                self.alive &= ~bad
                x[bad] = np.nan

    def record(self, k: int, t: int, x: np.ndarray, output) -> None:
        consts, problem, grid = self.consts, self.problem, self.grid
        row = point_metrics(problem, x, consts)
        if self.running:
            row["min_grad_norm_sq"] = self.run_min
            row["avg_grad_norm_sq"] = self.run_sum / t
            if self.run_min_gap is not None:
                row["min_gap"] = self.run_min_gap
            if self.run_sum_gap is not None:
                row["avg_gap"] = self.run_sum_gap / t
        if output is not None:
            row.update(point_metrics(problem, output.mean, consts, prefix="out_"))
            if self.certificate:
                row["cert_grad_norm"] = np.sqrt(sqnorm(output.gbar))
                row["cert_grad_l1"] = np.abs(output.gbar).sum(axis=1)
                row["cert_spread"] = output.spread
                row.update(output.averages(t))
        for name, values in row.items():
            if name not in self.records:
                self.records[name] = np.full((grid.size, self.alive.size), np.nan)
            self.records[name][k] = np.where(self.alive, values, np.nan)

    def part(self, x: np.ndarray, output) -> Part:
        return Part(records=self.records, x=x.copy(), output_x=None if output is None else output.mean.copy(),
                    alive=self.alive, diverged_step=self.diverged_step)


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


# ---------------------------------------------------------------------------- prefetching
def served_draws(optimizer: Optimizer) -> str | None:
    """The optimizer's per-step draw method when it can be pre-drawn (registered classes only)."""
    if not optimizer.uses_randomness or not _optimizers.registered(optimizer):
        return None
    return optimizer.draw_method


class ServedRNG(BlockRNG):
    """Stands in for the optimizer's :class:`BlockRNG`, serving numbers drawn ahead of time."""

    def __init__(self, method: str):
        super().__init__([], 1)
        self.method = method
        self.current = None

    def fill(self, method: str, out: np.ndarray) -> np.ndarray:
        if method != self.method or self.current is None or out.shape != self.current.shape:
            raise RuntimeError(f"internal error: the optimizer drew {method!r} {out.shape} where "
                               f"{self.method!r} {None if self.current is None else self.current.shape} "
                               f"was pre-drawn")  # pragma: no cover - guards the draw_method declaration
        np.copyto(out, self.current)
        self.current = None
        return out


class Prefetch:
    """The randomness of a part, drawn chunk by chunk in a background thread.

    For each block b, ``R_b[k]`` (rows of b, dim) is the random part of step k's stochastic
    gradient (see ``Problem.batch_kind``; with ``raw=True`` and a two-point oracle, the uniform
    draws it is made from) and ``S_b[k]`` (rows of b, 1) the optimizer's draw of step k. Each
    block's generator draws its steps in order, so the numbers are those of the reference engine.
    """

    def __init__(self, task: Task, kind: str | None, draw_method: str | None, slices: list,
                 raw: bool = False):
        rows, dim = task.x0.shape
        self.problem, self.kind, self.method, self.slices, self.raw = task.problem, kind, draw_method, slices, raw
        c = task.start
        # every block's generators, at the segment's start; only those that draw are used
        self.all_noise_gens = generators(task.noise_seqs, None if c is None else c.noise)
        self.all_opt_gens = generators(task.opt_seqs, None if c is None else c.opt)
        self.noise_gens = self.all_noise_gens if kind in ("additive", "random") else None
        self.opt_gens = self.all_opt_gens if draw_method else None
        per_step = 8 * rows * ((dim if self.noise_gens else 0) + (1 if self.opt_gens else 0))
        # the steps of this segment only: at its end every generator sits right after its last step
        self.steps = task.last - task.first
        self.k = int(max(1, min(self.steps, MAX_CHUNK, PREFETCH_BYTES // max(per_step, 1))))
        self.buffers = []
        for _ in range(2):
            blocks = []
            for sl in slices:
                w = sl.stop - sl.start
                blocks.append((np.empty((self.k, w, dim)) if self.noise_gens else None,
                               np.empty((self.k, w, 1)) if self.opt_gens else None))
            self.buffers.append(blocks)

    def _fill(self, blocks, n: int) -> None:
        for b, (R, S) in enumerate(blocks):
            if R is not None:
                flat = R[:n].reshape(n * R.shape[1], R.shape[2])
                if self.raw:
                    self.noise_gens[b].random(out=flat)
                else:
                    self.problem.random_part_block(self.noise_gens[b], flat)
            if S is not None:
                getattr(self.opt_gens[b], self.method)(out=S[:n].reshape(n * S.shape[1]))

    def chunks(self):
        """Yield ``(n, [(R_b, S_b) per block])`` for consecutive chunks of n steps; the next
        chunk is drawn meanwhile."""
        k, steps = self.k, self.steps
        n_chunks = -(-steps // k)

        def size(c: int) -> int:      # computed as needed: nothing grows with the number of steps
            return min(k, steps - c * k)

        if self.noise_gens is None and self.opt_gens is None:
            for c in range(n_chunks):
                yield size(c), self.buffers[0]
            return
        worker = _Filler(self._fill)
        try:
            worker.submit(self.buffers[0], size(0))
            for c in range(n_chunks):
                worker.wait()
                if c + 1 < n_chunks:
                    worker.submit(self.buffers[(c + 1) % 2], size(c + 1))
                yield size(c), self.buffers[c % 2]
        finally:
            worker.close()


class _Filler:
    """One background thread running ``fill(buffer, n)`` jobs one at a time.

    NumPy's generators release the GIL while they fill an array, so the draws of the next chunk
    run on another core while the main thread (or a compiled kernel) uses the current one.
    """

    def __init__(self, fill):
        self.fill = fill
        self.job = None
        self.pending = False
        self.error = None
        self.go = threading.Semaphore(0)
        self.done = threading.Semaphore(0)
        self.thread = threading.Thread(target=self._loop, name="ratecheck-prefetch", daemon=True)
        self.thread.start()

    def _loop(self):
        while True:
            self.go.acquire()
            job = self.job
            if job is None:
                return
            try:
                self.fill(*job)
            except BaseException as err:  # pragma: no cover - re-raised in the main thread
                self.error = err
            self.done.release()

    def submit(self, buf, n: int) -> None:
        self.job = (buf, n)
        self.pending = True
        self.go.release()

    def wait(self) -> None:
        self.done.acquire()
        self.pending = False
        if self.error is not None:  # pragma: no cover
            raise self.error

    def close(self) -> None:
        if self.pending:          # let a fill in flight finish before stopping the thread
            self.done.acquire()
            self.pending = False
        self.job = None
        self.go.release()
        self.thread.join()


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
