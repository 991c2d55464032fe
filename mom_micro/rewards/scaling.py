"""Per-dimension standardisation of frozen features, stored with the model.

Sentence embeddings are unit vectors with tiny per-dimension values; standardising
them (``(v - mean) / std``, fitted on the training features) lets the heads and router
train at the paper's learning rate. The statistics are buffers, so they are saved in
the checkpoint and applied identically at scoring time.

A standardised value is clipped to ``[-FEATURE_CLIP, FEATURE_CLIP]``: a response far off
the training features (an empty one, or one with a link or a code block when no
training response had one, where ``std`` is near zero) is read as at most
:data:`FEATURE_CLIP` standard deviations off, instead of its value divided by a tiny
``std`` (which made a model trained on 12 pairs score ``1e4``).

Example:
    >>> scaler = FeatureScaler(2)
    >>> scaler.fit(torch.tensor([[0.0, 1.0], [2.0, 1.0]]))
    >>> scaler(torch.tensor([[2.0, 1.0]])).tolist()
    [[1.0, 0.0]]
    >>> scaler(torch.tensor([[2.0, 3.0]])).tolist()  # 2 / 1e-6 standard deviations off
    [[1.0, 5.0]]
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["FEATURE_CLIP", "FeatureScaler"]

#: The most training standard deviations a standardised feature may lie from the mean.
FEATURE_CLIP = 5.0


class FeatureScaler(nn.Module):
    """``clip((v - mean) / std, -FEATURE_CLIP, FEATURE_CLIP)`` with ``std`` floored at
    ``eps`` (until fitted: ``v`` clipped)."""

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
        """Standardised ``values``, clipped to ``[-FEATURE_CLIP, FEATURE_CLIP]``."""
        return ((values - self.mean) / self.std).clamp(-FEATURE_CLIP, FEATURE_CLIP)
