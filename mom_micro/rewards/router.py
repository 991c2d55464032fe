"""Routers: from a prompt (and, in stage 2, a context) to weights over the K heads.

- :class:`PromptRouter` — stage 1, ``f(x) = softmax(g(e(x)))`` with ``g`` an MLP (the
  paper), a linear layer (the public code), or input-independent logits (the
  static-mixture baseline). Every example is routed by its own prompt. With
  ``MixtureConfig.stage1_context`` (not the paper's stage 1) ``g`` reads
  ``[e(x), u(c)]`` instead, ``u`` as below.
- :class:`ContextRouter` — stage 2, ``f(x, c) = softmax(g(e(x)) + W e(c))``: a copy of
  the stage-1 router plus a context term initialised at zero, so that before any
  stage-2 step it equals the stage-1 router exactly. (The public code instead formats
  ``"[criteria] {c}\\n[context] {x}"`` as one text; reading the two embeddings keeps the
  stage-1 router as an exact initialisation.) Context embeddings enter as
  ``u(c) = sqrt(dim) * e(c) / |e(c)|`` (:func:`unit_context`) so their entries are of
  unit size; ``u = 0`` where there is no context.

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

__all__ = ["ContextRouter", "PromptRouter", "unit_context"]


def unit_context(context: torch.Tensor) -> torch.Tensor:
    """``u(c) = sqrt(dim) * e(c) / |e(c)|`` per row (zero rows stay zero).

    Example:
        >>> unit_context(torch.tensor([[3.0, 4.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]])).tolist()
        [[1.2000000476837158, 1.600000023841858, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]]
    """
    return F.normalize(context, dim=-1) * math.sqrt(context.shape[-1])


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
    """``g(z) + W u(c)`` with ``g`` copied from a stage-1 router and ``W = 0`` at start;
    ``z`` is what the stage-1 router reads (the scaled prompt embedding, or with
    ``stage1_context`` the prompt and context)."""

    def __init__(self, base: PromptRouter, context_dim: int, n_heads: int) -> None:
        super().__init__()
        self.base = copy.deepcopy(base)
        self.context = nn.Linear(context_dim, n_heads, bias=False)
        nn.init.zeros_(self.context.weight)

    def forward(self, router_input: torch.Tensor, context: torch.Tensor) -> torch.Tensor:
        """Logits of shape ``(n, K)`` for each (router input, context embedding) row."""
        return self.base(router_input) + self.context(unit_context(context))
