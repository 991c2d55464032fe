"""MiCRo's stage-1 loss: the mixture Bradley-Terry likelihood with an entropy bonus.

Shen et al., "MiCRo: Mixture Modeling and Context-aware Routing for Personalized
Preference Learning", EMNLP 2025 (arXiv 2505.24846), Section 4.1.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

__all__ = ["MixtureBradleyTerryLoss"]


class MixtureBradleyTerryLoss(nn.Module):
    r"""Negative log-likelihood of a K-component Bradley-Terry mixture, plus an entropy term.

    The loss adds ``alpha`` times the router's negative entropy:

    .. math::

        L = -\frac1n \sum_i \log \sum_k f_k(x_i)\,\sigma\big(r_k(x_i,y^w_i) - r_k(x_i,y^l_i)\big)
            \;+\; \alpha\,\frac1n \sum_i \sum_k f_k(x_i) \log f_k(x_i)

    ``f(x_i)`` is the router's softmax for *each example's own prompt* (per-example
    routing). The second term is minus the router's entropy: with ``alpha > 0`` it keeps
    the router from collapsing onto one head (the paper uses ``alpha = 0.5``). The log of
    the mixture is computed as ``logsumexp(log f + logsigmoid(margin))`` for stability.
    With ``K = 1`` this is the plain Bradley-Terry loss.

    Example:
        >>> loss = MixtureBradleyTerryLoss(alpha=0.5)
        >>> log_f = torch.log(torch.tensor([[0.5, 0.5]]))
        >>> margins = torch.tensor([[0.0, 0.0]])    # sigma(0) = 0.5 for both heads
        >>> round(loss(log_f, margins).item(), 4)   # -log 0.5 + 0.5 * (-log 2)
        0.3466
    """

    def __init__(self, alpha: float = 0.5) -> None:
        super().__init__()
        if alpha < 0:
            raise ValueError(f"alpha must be >= 0, got {alpha}")
        self.alpha = alpha

    def forward(self, log_weights: torch.Tensor, margins: torch.Tensor) -> torch.Tensor:
        """``log_weights``: ``(n, K)`` log-softmax of the router; ``margins``: ``(n, K)``
        per-head reward gaps ``r_k(x, y_w) - r_k(x, y_l)``. Returns the scalar loss."""
        nll = -torch.logsumexp(log_weights + F.logsigmoid(margins), dim=1).mean()
        neg_entropy = (log_weights.exp() * log_weights).sum(dim=1).mean()
        return nll + self.alpha * neg_entropy
