"""``ratecheck bench``: ratecheck's engines against hand-written JAX and PyTorch loops."""
from .bench import WORKLOADS, Workload, cmd_bench, format_table, machine, register, run_benchmark, targets

__all__ = ["WORKLOADS", "Workload", "register", "cmd_bench", "run_benchmark", "format_table", "targets", "machine"]
