r"""The randomness of a part, drawn ahead: the blocks' generators, and chunks of steps drawn in a background
thread (for the ``numpy`` and ``numba`` engines).

Each block of replicates has its own generator (from its SeedSequence), for the problem's noise and for
the optimizer's draws. A generator fills its output in C order, one number after another, so one call for
k steps draws exactly the numbers of k calls: the engines that draw ahead give the reference's bits.
"""
from __future__ import annotations

import threading

import numpy as np

from .. import optimizers as _optimizers
from ..optimizers.base import BlockRNG, Optimizer

__all__ = ["PREFETCH_BYTES", "MAX_CHUNK", "generator", "generators", "gen_states", "served_draws", "ServedRNG",
           "Prefetch"]

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
    draws it is made from; for "row_uniform", shape (rows of b, 1), the row's uniform) and
    ``S_b[k]`` (rows of b, 1) the optimizer's draw of step k. Each
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
        self.noise_gens = self.all_noise_gens if kind in ("additive", "random", "row_uniform") else None
        self.opt_gens = self.all_opt_gens if draw_method else None
        width = 1 if kind == "row_uniform" else dim       # one uniform per row, or one number per coordinate
        per_step = 8 * rows * ((width if self.noise_gens else 0) + (1 if self.opt_gens else 0))
        # the steps of this segment only: at its end every generator sits right after its last step
        self.steps = task.last - task.first
        self.k = int(max(1, min(self.steps, MAX_CHUNK, PREFETCH_BYTES // max(per_step, 1))))
        self.buffers = []
        for _ in range(2):
            blocks = []
            for sl in slices:
                w = sl.stop - sl.start
                blocks.append((np.empty((self.k, w, width)) if self.noise_gens else None,
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


