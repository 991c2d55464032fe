"""Per-dimension standardisation of frozen features, stored with the model.

Sentence embeddings are unit vectors with tiny per-dimension values; standardising
them (``(v - mean) / std``, fitted on the training features) lets the heads and router
train at the paper's learning rate. The statistics are buffers, so they are saved in
the checkpoint and applied identically at scoring time.

Example:
    >>> scaler = FeatureScaler(2)
    >>> scaler.fit(torch.tensor([[0.0, 1.0], [2.0, 1.0]]))
    >>> scaler(torch.tensor([[2.0, 1.0]])).tolist()
    [[1.0, 0.0]]
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["FeatureScaler"]


class FeatureScaler(nn.Module):
    """``(v - mean) / std`` with ``std`` floored at ``eps`` (identity until fitted)."""

    mean: torch.Tensor
    std: torch.Tensor

    def __init__(self, dim: int, eps: float = 1e-6) -> None:
        super().__init__()
        self.eps = eps
        self.register_buffer("mean", torch.zeros(dim))
        self.register_buffer("std", torch.ones(dim))

    @torch.no_grad()
    def fit(self, values: torch.Tensor) -> None:
        """Set the statistics from ``values`` of shape ``(n, dim)``."""
        self.mean.copy_(values.mean(dim=0))
        self.std.copy_(values.std(dim=0, unbiased=False).clamp_min(self.eps))

    def forward(self, values: torch.Tensor) -> torch.Tensor:
        """Standardised ``values``."""
        return (values - self.mean) / self.std
