r"""Adam plus an EMA of the iterates: the practitioners' "Adam + model EMA".

Algorithm
---------
The iterates are exactly those of :class:`ratecheck.optimizers.adam.Adam` with the same
hyperparameters (torch convention by default: bias correction, ε outside the root,
β = (0.9, 0.999), ε = 1e-8; ``convention="paper"`` as there). The measured point is the EMA
of the iterates with β_ema = ``ema_beta`` (default 0.999), started at :math:`x_0` and not
bias-corrected:

.. math:: \bar x_0 = x_0, \qquad \bar x_t = \beta_{\mathrm{ema}} \bar x_{t-1} + (1-\beta_{\mathrm{ema}})\, x_t,

i.e. :math:`a_t = 1 - \beta_{\mathrm{ema}}` in the base class's averaging
(``output_source = "iterate"``), as in the usual "EMA of the weights" of training code.

This is the practitioners' cousin, **not** the algorithm of the theorem: Ahn & Cutkosky
(NeurIPS 2024) prove their guarantee for clipped Adam with β1 = β, β2 = β², ε = 0, gradients
queried at randomly scaled points and a bias-corrected EMA of those query points with the same
β (:mod:`ratecheck.optimizers.clipped_adam_ema`). No convergence guarantee is claimed for this
variant.

References
----------
D. P. Kingma, J. Ba. Adam: A method for stochastic optimization. ICLR 2015, Algorithm 1.
K. Ahn, A. Cutkosky. Adam with model exponential moving average is effective for nonconvex
optimization. NeurIPS 2024 (the theorem's version is ``clipped_adam_ema``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from .. import validate as V
from .adam import ADAM_STEP, Adam
from .base import ElementStep


@dataclass(frozen=True)
class AdamEMA(Adam):
    """Adam (torch convention by default) measured at an EMA of its iterates (default β_ema = 0.999)."""

    ema_beta: float = 0.999

    name: ClassVar[str] = "adam_ema"
    reference: ClassVar[str] = ("Adam (torch convention) + EMA of the iterates; the practical "
                                "cousin of Ahn & Cutkosky, NeurIPS 2024")
    kernel_step: ClassVar[ElementStep] = ADAM_STEP

    def __post_init__(self):
        super().__post_init__()
        object.__setattr__(self, "ema_beta", V.beta("ema_beta", self.ema_beta))

    @property
    def output(self) -> str:
        return "ema"

    def output_weight(self, t: int) -> float:
        return 1.0 - self.ema_beta
