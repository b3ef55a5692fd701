"""Evidence for issue 12: unclipped ADOPT at beta2 = 0.5 and 0.999, whose upper-bound claims in adopt_any_beta2 fit
exponents just above -1/2 over T = 1e4 ... 1e6. Does the time average times sqrt(T) keep rising past 1e6?

Same problem, step alpha = 1/sqrt(T) and seed as the experiment; T = 1e6, 2e6, 5e6, 1e7 with 16 replicates (the first
16 of the experiment's 64: a replicate does not depend on how many run beside it). Writes
adopt_unclipped_large_T.json beside this file. Run: python3 experiments/evidence/adopt_unclipped_large_T.py
"""
import json
import sys as _sys
import time
from pathlib import Path as _Path

_sys.path.insert(0, str(_Path(__file__).resolve().parents[2]))  # this checkout's ratecheck, not an installed one

import numpy as np  # noqa: E402

import ratecheck as rc  # noqa: E402
from ratecheck import catalog  # noqa: E402

problem = catalog.load_problem("cosine_well_noisy")
rows = []
for beta2 in (0.5, 0.999):
    for T in (1_000_000, 2_000_000, 5_000_000, 10_000_000):
        opt = rc.optimizers.make("adopt", lr={"schedule": "horizon_sqrt", "lr": 1.0, "horizon": T},
                                 beta2=beta2, clip=False)
        t0 = time.time()
        res = rc.simulate(problem, opt, steps=T, replicates=16, seed=0, n_checkpoints=20)
        avg = res.metrics["avg_grad_norm_sq"][-1] * np.sqrt(T)
        row = {"beta2": beta2, "T": T, "replicates": 16, "seconds": round(time.time() - t0, 1),
               "avg_sqrtT": float(avg.mean()), "avg_sqrtT_se": float(avg.std(ddof=1) / 4.0)}
        rows.append(row)
        print(json.dumps(row), flush=True)
_Path(__file__).with_suffix(".json").write_text(json.dumps({"problem": "cosine_well_noisy", "clip": False,
                                                           "lr": "1/sqrt(T)", "seed": 0, "rows": rows},
                                                          indent=1) + "\n")
