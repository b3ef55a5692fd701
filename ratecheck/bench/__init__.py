r"""Stage 7 beside the CLI: ``ratecheck bench``, ratecheck against JAX and PyTorch loops on the same simulations.

Each workload runs through :func:`ratecheck.simulate` and through the loop a competent user
would write instead, side by side in one run, with the same problem, noise law, optimizer,
hyperparameters, float64, and the same measurements (metrics at the same log-spaced
checkpoints; running minima every step where the workload asks for them; the (λ,ε)
certificate where it asks for it):

* **JAX**: ``jax.lax.fori_loop`` over the steps between checkpoints, under ``jit``, with optax's
  optimizer where optax has it (``adam``; ``amsgrad`` with the bias corrections off, which is
  the paper's convention; ``contrib.adopt``) and the update written in ``jax.numpy`` where it
  does not (clipped Adam with model EMA). Keys from the ``rbg`` generator, JAX's faster
  documented alternative to the default threefry (threefry measured about 1.5× slower here).
* **PyTorch**: in-place tensor operations under ``no_grad``, ``torch.optim.Adam`` (``fused=True``;
  ``amsgrad=True``, torch's convention, for AMSGrad) where torch has the optimizer, by hand
  otherwise (ADOPT, clipped Adam with model EMA). The thread count (1 or all cores) is chosen
  by a short trial run, whichever is faster.

Times exclude compilation and start-up (JIT compilation, kernel loading, worker start-up): each
implementation first runs a few steps, then the timed run; ``--repeat N`` keeps the best of N.
Throughput counts replicate·coordinate·steps per second. *noise only* is the time to draw the
same random numbers alone (the same generators and blocks as ratecheck, one thread per block up
to the number of cores), with NumPy's methods and, for Gaussian noise, with ratecheck's own fill
(:mod:`ratecheck.sim.normal`, NumPy's algorithm compiled: the same numbers, several times faster):
the ceiling for a noisy problem under ratecheck's reproducibility contract, since each block's
numbers come from one sequential stream.

JAX, optax and torch are an optional extra (``pip install -e '.[bench]'``, with the CPU build
of torch); when they are missing the benchmark says so and still measures ratecheck.

Modules: ``workloads.py`` (the workloads, ratecheck's timed run, its engine and peak memory, the
noise ceiling); ``jax_loop.py`` and ``torch_loop.py`` (the hand-written loops); ``report.py``
(rows, the Markdown table, the targets, the machine); ``command.py`` (the runner and the
subcommand). ``python -m ratecheck.bench`` runs the command on its own.
"""
from .command import cmd_bench, register, run_benchmark
from .report import Report, Row, format_table, machine, targets
from .workloads import WORKLOADS, Workload, run_ratecheck

__all__ = ["WORKLOADS", "Workload", "register", "cmd_bench", "run_benchmark", "run_ratecheck", "format_table",
           "targets", "machine", "Report", "Row"]
