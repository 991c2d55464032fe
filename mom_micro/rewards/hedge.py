"""The Hedge (exponential-weights) update that MiCRo's stage 2 and per-user profiles use.

Shen et al., MiCRo (arXiv 2505.24846), Section 4.2: online mirror descent with a KL
step over the K heads.
"""

from __future__ import annotations

import torch
from torch.nn import functional as F

__all__ = ["head_losses", "hedge_targets"]


def head_losses(margins: torch.Tensor) -> torch.Tensor:
    r"""Per-head Bradley-Terry loss ``L_ik = -log sigma(r_k(x_i, y_w) - r_k(x_i, y_l))``.

    Example:
        >>> round(head_losses(torch.tensor([0.0])).item(), 4)   # -log 0.5
        0.6931
    """
    return -F.logsigmoid(margins)


def hedge_targets(log_prior: torch.Tensor, losses: torch.Tensor, tau: float) -> torch.Tensor:
    r"""Hedge soft targets over the heads.

    .. math::

        w_{ik} = \frac{f_k(x_i, c_i)\,\exp(-L_{ik}/\tau)}{\sum_j f_j(x_i, c_i)\,\exp(-L_{ij}/\tau)}

    computed as ``softmax(log f - L / tau)``. A small ``tau`` (the paper: 1e-3 on
    HelpSteer2, 1e-4 on RPR) puts nearly all weight on the heads that explain the label
    best; a large ``tau`` stays close to the prior.

    Example:
        >>> prior = torch.log(torch.tensor([[0.5, 0.5]]))
        >>> hedge_targets(prior, torch.tensor([[0.0, 1.0]]), tau=1.0).tolist()  # e^0 : e^-1
        [[0.7310585975646973, 0.2689414322376251]]
    """
    if tau <= 0:
        raise ValueError(f"tau must be > 0, got {tau}")
    return torch.softmax(log_prior - losses / tau, dim=-1)
