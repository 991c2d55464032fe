"""Routers: from a prompt (and, in stage 2, a context) to weights over the K heads.

- :class:`PromptRouter` — stage 1, ``f(x) = softmax(g(e(x)))`` with ``g`` an MLP (the
  paper), a linear layer (the public code), or input-independent logits (the
  static-mixture baseline). Every example is routed by its own prompt.
- :class:`ContextRouter` — stage 2, ``f(x, c) = softmax(g(e(x)) + W e(c))``: a copy of
  the stage-1 router plus a context term initialised at zero, so that before any
  stage-2 step it equals the stage-1 router exactly. (The public code instead formats
  ``"[criteria] {c}\\n[context] {x}"`` as one text; reading the two embeddings keeps the
  stage-1 router as an exact initialisation.) Context embeddings are L2-normalised and
  scaled by ``sqrt(dim)`` so their entries are of unit size.

Example:
    >>> router = PromptRouter(prompt_dim=4, n_heads=3, kind="linear")
    >>> router(torch.zeros(2, 4)).shape
    torch.Size([2, 3])
"""

from __future__ import annotations

import copy
import math

import torch
from torch import nn
from torch.nn import functional as F

__all__ = ["ContextRouter", "PromptRouter"]


class PromptRouter(nn.Module):
    """Logits over the heads from the (standardised) prompt embedding."""

    def __init__(self, prompt_dim: int, n_heads: int, kind: str = "mlp", hidden: int = 128) -> None:
        super().__init__()
        self.kind = kind
        if kind == "mlp":
            self.net: nn.Module = nn.Sequential(
                nn.Linear(prompt_dim, hidden), nn.ReLU(), nn.Linear(hidden, n_heads)
            )
        elif kind == "linear":
            self.net = nn.Linear(prompt_dim, n_heads)
        elif kind == "static":
            self.logits = nn.Parameter(torch.zeros(n_heads))
        else:
            raise ValueError(f"unknown router kind {kind!r}")

    def forward(self, prompt: torch.Tensor) -> torch.Tensor:
        """Logits of shape ``(n, K)``; one row per example."""
        if self.kind == "static":
            return self.logits.expand(prompt.shape[0], -1)
        return self.net(prompt)


class ContextRouter(nn.Module):
    """``g(e(x)) + W e(c)`` with ``g`` copied from a stage-1 router and ``W = 0`` at start."""

    def __init__(self, base: PromptRouter, context_dim: int, n_heads: int) -> None:
        super().__init__()
        self.base = copy.deepcopy(base)
        self.context = nn.Linear(context_dim, n_heads, bias=False)
        nn.init.zeros_(self.context.weight)
        self.scale = math.sqrt(context_dim)

    def forward(self, prompt: torch.Tensor, context: torch.Tensor) -> torch.Tensor:
        """Logits of shape ``(n, K)`` for each (prompt, context) row."""
        return self.base(prompt) + self.context(F.normalize(context, dim=-1) * self.scale)
