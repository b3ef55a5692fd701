"""Evidence for issue 12: does clipped ADOPT at beta2 = 0.1 approach T^(-1/2) at larger T?

Clipped (official default, c_k = k^(1/4)) and unclipped ADOPT, beta2 = 0.1, on the experiment's problem
(cosine_well_noisy) with alpha = 1/sqrt(T), one run per horizon T = 1e4 ... 1e7 (fewer replicates at 1e7).
Writes adopt_beta2_gap.json beside this file: per (clip, T) the mean over replicates of the time average
(1/T) sum_t ||grad F(x_t)||^2 and of the stationary level (the last half of the checkpoints' ||grad F||^2),
each times sqrt(T), with standard errors. Run: python3 experiments/evidence/adopt_beta2_gap.py
"""
import json
import sys
import time
from pathlib import Path

import sys as _sys
from pathlib import Path as _Path

_sys.path.insert(0, str(_Path(__file__).resolve().parents[2]))  # this checkout's ratecheck, not an installed one

import numpy as np

import ratecheck as rc
from ratecheck import catalog

HORIZONS = [(10_000, 64), (100_000, 64), (1_000_000, 64), (10_000_000, 16)]


def main():
    problem = catalog.load_problem("cosine_well_noisy")
    rows = []
    for T, reps in HORIZONS:
        for clip in (True, False):
            opt = rc.optimizers.make("adopt", lr={"schedule": "horizon_sqrt", "lr": 1.0, "horizon": T},
                                     beta2=0.1, clip=clip)
            t0 = time.time()
            res = rc.simulate(problem, opt, steps=T, replicates=reps, seed=0, n_checkpoints=20)
            avg = res.metrics["avg_grad_norm_sq"][-1] * np.sqrt(T)
            half = res.checkpoints >= T // 2
            stat = res.metrics["grad_norm_sq"][half].mean(axis=0) * np.sqrt(T)
            row = {"T": T, "clip": clip, "replicates": reps, "seconds": round(time.time() - t0, 1),
                   "engine": res.provenance.get("engine"),
                   "avg_sqrtT": float(avg.mean()), "avg_sqrtT_se": float(avg.std(ddof=1) / np.sqrt(reps)),
                   "stat_sqrtT": float(stat.mean()), "stat_sqrtT_se": float(stat.std(ddof=1) / np.sqrt(reps))}
            rows.append(row)
            print(json.dumps(row), flush=True)
    out = Path(__file__).with_suffix(".json")
    out.write_text(json.dumps({"problem": "cosine_well_noisy", "beta2": 0.1, "lr": "1/sqrt(T)", "seed": 0,
                               "rows": rows}, indent=1) + "\n")


if __name__ == "__main__":
    sys.exit(main())
