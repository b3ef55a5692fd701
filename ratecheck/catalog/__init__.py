"""Stage 6, the catalog: experiment files, their sweeps into cells, running them, and reproduction.

``experiment.py`` loads and checks the TOML files of ``problems/`` and ``experiments/``;
``cells.py`` expands an experiment into cells (one simulation each, with its directory name);
``run.py`` runs cells (here, in worker processes or on Dask), reusing stored results and resuming
snapshots, and reports progress to a callback; ``sweep.py`` gathers those two modules' public API;
``outdir.py`` guards output directories; ``reproduce.py`` runs an experiment's cells, evaluates its
claims (:mod:`ratecheck.claims`), draws its figures (:mod:`ratecheck.report`) and writes the report,
whose numbers ``formats.py`` prints.
"""
from .experiment import (RUN_KEYS, Experiment, catalog_root, experiment_files, load_experiment, load_problem,
                         load_toml, parse_experiment, problem_instances)

__all__ = ["catalog_root", "load_toml", "parse_experiment", "problem_instances", "load_problem", "Experiment", "load_experiment",
           "experiment_files", "RUN_KEYS"]
