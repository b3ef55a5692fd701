r"""Stage 4, claims: what an experiment asserts about its runs, and the verdict on it.

``base.py`` holds what every claim has (:class:`Claim`, :class:`Verdict`, reading the claim's metric and
cells); one module per kind (``rate.py`` for rate/horizon_rate/upper_bound, ``sample_complexity.py``,
``linear_rate.py``, ``hitting_sweep.py``, ``exact.py``, ``outcome.py``, ``bound.py``, ``advantage.py`` and
``hitting_ratio.py`` on the shared ``ratio.py``, the fitted kinds on ``fitted.py``) declares its keys, its
prediction and its judgement; ``kinds.py`` is the registry. :func:`parse_claims` (``parse.py``) reads the
``[[claim]]`` tables, :func:`evaluate` (``evaluation.py``) checks the theorem's hypotheses and measures the
claim with an estimator from :mod:`ratecheck.rates`; ``holm.py`` adjusts a report's p-values for multiplicity.

=====================  ===============================================================  =========================================
kind                   what is measured                                                 agrees when
=====================  ===============================================================  =========================================
``rate``               exponent of the metric against t (:func:`fit_rate`, one run)     the predicted exponent lies in the CI
``horizon_rate``       exponent of the final metric across horizons T (one run per T)   the predicted exponent lies in the CI
``upper_bound``        exponent as for ``rate`` (or ``horizon_rate`` with horizons)     the CI does not lie above the prediction
                       of the metric divided by (1 + ln T)^k when the theory row
                       records a log factor k for the claim's schedule (an O(·)
                       bound with its log factor: the divided metric is O(T^slope))
``sample_complexity``  exponent p of T(ε) ∝ ε^{-p} (:func:`fit_sample_complexity`)      the predicted p lies in the CI
``linear_rate``        contraction factor ρ per step (:func:`fit_linear_rate`)          the predicted ρ lies in the CI
``exact``              final mean of the metric vs a closed form (``expected_from``)    max relative error ≤ ``rtol`` in every cell
``outcome``            final median (CI) of the metric vs ``above``/``below``           the whole CI is on the claimed side
``hitting_sweep``      exponent p of the first step T with metric ≤ ε^power, across   the predicted p lies in the CI
                       instances built for each ε (``threshold_axis``), T ∝ ε^{-p}
``bound``              mean of the final metric (95% t-interval) vs a theorem's         the whole CI is below the bound in
                       explicit bound, ``below`` or per run from ``bound_axis``          every selected run
``hitting_ratio``      ratio of mean hitting times of a threshold (per run from         the whole CI is ``above`` (and/or
                       ``threshold_axis``), ``against`` over ``optimizer``, paired      ``below``) the stated value; the
                       bootstrap over replicates                                        ``ratio_axis`` value is shown beside
``advantage``          ratio best(``against``)/best(``optimizer``) of the mean final    the whole CI is ``above`` (and/or
                       metric, each best over the ``tune`` axis; bootstrap over         ``below``) the stated value
                       replicates re-tunes in every resample
=====================  ===============================================================  =========================================

``metric = "certificate"`` with ``lam = λ`` reads the (λ,ε)-stationarity certificate
:meth:`SimulationResult.certificate` of optimizers that output an average or EMA at the checkpoint;
``"avg_certificate"`` its average over every step t = 1..T (the E_{t∼U[T]} that Ahn & Cutkosky's
Theorem 11 bounds) and ``"avg_certificate_l1"`` that of the L1 measure (Definition 15, Theorem 18).

A verdict is ``agrees``, ``disagrees``, ``inconclusive`` (with the reason: local slopes
not settled, too few surviving replicates, a CI straddling the threshold, ...) or ``observation``. Like a
PEPit example, a verification returns the measured value with its interval beside the
predicted one, never a bare boolean. A fit never loosens its tolerance to agree: a
prediction with an unrecorded log factor or a non-asymptotic window is reported as such.
Each check also carries a p-value for "the prediction holds" (from its interval, normal approximation;
exact claims: 0 or 1), which :func:`ratecheck.claims.holm.holm` adjusts over a whole report.
"""
from .base import Claim, Verdict, values
from .evaluation import evaluate
from .kinds import KINDS
from .parse import parse_claims

__all__ = ["Claim", "Verdict", "parse_claims", "evaluate", "values", "KINDS"]
