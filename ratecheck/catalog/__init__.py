"""Stage 6, the catalog: experiment files, their sweeps, and reproduction.

``experiment.py`` loads and checks the TOML files of ``problems/`` and ``experiments/``;
``sweep.py`` expands an experiment into cells and runs them (reusing stored results);
``outdir.py`` guards output directories; ``reproduce.py`` runs an experiment's cells, evaluates
its claims (:mod:`ratecheck.claims`), draws its figures (:mod:`ratecheck.report`) and writes the
report.
"""
from .experiment import (RUN_KEYS, Experiment, catalog_root, experiment_files, load_experiment, load_problem,
                         load_toml, parse_experiment, problem_instances)

__all__ = ["catalog_root", "load_toml", "parse_experiment", "problem_instances", "load_problem", "Experiment", "load_experiment",
           "experiment_files", "RUN_KEYS"]
