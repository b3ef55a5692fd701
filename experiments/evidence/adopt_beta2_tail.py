"""Evidence for issue 12: how much of ADOPT's normalised gradient g_k / sqrt(v_{k-1}) the clip c_k = k^(1/4) cuts
at beta2 = 0.1, in the noise-dominated stationary regime of the adopt_any_beta2 problem (cosine_well_noisy).

Unclipped ADOPT, beta2 = 0.1, alpha = 1e-3 (the stationary regime of a run with T = 1e6), 64 replicates x 10
coordinates, 40000 steps after a 10000-step burn-in; prints P(|g_hat| > c) and E[(|g_hat| - c)_+] for the clip
values c_k at k = 1e4 ... 1e7. Run: python3 experiments/evidence/adopt_beta2_tail.py
"""
import sys as _sys
from pathlib import Path as _Path

_sys.path.insert(0, str(_Path(__file__).resolve().parents[2]))  # this checkout's ratecheck, not an installed one

import numpy as np

from ratecheck import catalog, optimizers

problem = catalog.load_problem("cosine_well_noisy")
opt = optimizers.make("adopt", lr=1e-3, beta2=0.1, clip=False)
rng = np.random.default_rng(0)
state = opt.init(np.repeat(problem.initial_point()[None], 64, axis=0))
samples = []
for t in range(50_000):
    g = problem.stochastic_grad(state.x, rng)
    if t >= 10_000:
        samples.append(np.abs(g) / np.maximum(np.sqrt(state.v), opt.eps))
    opt.update(state, g)
ghat = np.concatenate([s.ravel() for s in samples])
print(f"{ghat.size} samples of |g_hat|; E g_hat^2 = {np.mean(ghat**2):.3f}, median {np.median(ghat):.3f}")
for k in (1e4, 1e5, 1e6, 1e7):
    c = k ** 0.25
    print(f"k = {k:.0e}: c_k = {c:6.2f}  P(|g_hat| > c_k) = {np.mean(ghat > c):.2e}  "
          f"E[(|g_hat| - c_k)_+] = {np.mean(np.maximum(ghat - c, 0)):.2e}  "
          f"E[g_hat^2 1(|g_hat| > c_k)] / E[g_hat^2] = {np.sum(ghat[ghat > c]**2) / np.sum(ghat**2):.3f}")
