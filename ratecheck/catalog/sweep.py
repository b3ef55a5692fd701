"""Experiment grids: optimizers × swept parameters, one simulation per cell.

This module gathers the sweep's public API: the cells are made in :mod:`ratecheck.catalog.cells`
and run in :mod:`ratecheck.catalog.run`.

An experiment's ``[sweep]`` table maps axes to lists of values; the grid is their
product, times the experiment's optimizers. Axes:

* ``"problem.PARAM"`` (dotted paths reach into tables, e.g. ``"problem.noise.sigma"``);
* ``"optimizer.PARAM"``: set on every optimizer of the experiment (each must accept it);
  ``"optimizer[LABEL].PARAM"``: only on the optimizer with that label;
* ``"horizon"``: the number of steps T of the run; it also sets the ``horizon`` of every
  horizon-dependent step size (``{schedule = "horizon_sqrt"}``) and the problem
  parameter named by the family's ``horizon_parameter`` (e.g. Drori–Teboulle's ``N``);
* ``"seed"``: the root seed;
* ``"tag.NAME"``: a label only (changes nothing), e.g. the scalar spread that a zipped list of
  per-coordinate scales stands for, for figures and claims;
* zipped axes ``"A,B"`` (names joined by commas) whose values are lists ``[a, b]`` that vary
  together, e.g. ``"problem.eps,problem.dim,problem.p" = [[0.2, 10, 0.04], [0.1, 40, 0.01]]``.

Each cell's result is saved under ``OUT/<cell key>/`` as soon as it completes; a rerun
loads finished cells whose recorded configuration matches instead of recomputing
them. Cells are independent, so running them in any order or in parallel gives
bit-identical results.

Where the cells run (:func:`run_cells`): serially, in local worker processes (the default
when more than one cell is left: one per core, see :mod:`ratecheck.sim.parallel`), or on an
existing Dask distributed cluster (``scheduler="tcp://host:8786"``, or the environment variable
``RATECHECK_SCHEDULER``; needs ``pip install 'ratecheck[dask]'``), which is how a sweep
outgrows one machine. Workers only compute; this process saves each result as it arrives,
so the workers need no shared file system.

Resumable cells: with an output directory (and no Dask scheduler), each cell being computed writes
a resumable snapshot into ``OUT/<cell key>/`` at most every ``snapshot_every`` seconds (see
:mod:`ratecheck.sim.snapshot`); it is deleted once the cell's result is saved. ``resume=True``
continues every unfinished cell from its snapshot, bit-identical to an uninterrupted run, after
checking all of them first: a snapshot of another configuration or version is refused
(``ValueError``) before anything runs. Without ``resume`` an unfinished cell starts over.
"""
from .cells import (KEY_HASH, MAX_CELLS, MAX_LABEL, MAX_READABLE, Cell, cell_identity, cell_key, check_label,
                    expand, legacy_key, tuplify)
from .run import SCHEDULER_ENV, Progress, adopt_legacy, check_resumable, run_cell, run_cells

__all__ = ["Cell", "expand", "run_cell", "run_cells", "cell_key", "cell_identity", "legacy_key", "check_label",
           "check_resumable", "adopt_legacy", "tuplify", "Progress", "SCHEDULER_ENV", "MAX_CELLS", "MAX_LABEL",
           "MAX_READABLE", "KEY_HASH"]
