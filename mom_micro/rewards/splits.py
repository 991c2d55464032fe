"""Splitting preference data: by prompt (so no prompt is on both sides), seeded samples,
and the few labelled pairs per context that stage 2 learns from.

Example:
    >>> from mom_micro.rewards import PreferencePair
    >>> pairs = [PreferencePair(f"p{i % 5}", "a", "b") for i in range(10)]
    >>> train, test = split_by_prompt(pairs, 0.2)
    >>> len(test), {p.prompt for p in train} & {p.prompt for p in test}
    (2, set())
"""

from __future__ import annotations

import random
from collections.abc import Sequence

import torch

from .data import PreferencePair
from .errors import RewardsError

__all__ = ["budget_rows", "grouped_split", "prompt_groups", "split_by_prompt", "subsample"]


def split_by_prompt(
    pairs: Sequence[PreferencePair], fraction: float, seed: int = 0
) -> tuple[list[PreferencePair], list[PreferencePair]]:
    """``(train, test)`` with about ``fraction`` of the distinct prompts on the test side;
    no prompt is on both sides."""
    if not 0 < fraction < 1:
        raise ValueError(f"the test fraction must be in (0, 1), got {fraction}")
    prompts = sorted({p.prompt for p in pairs})
    if len(prompts) < 2:
        raise RewardsError("splitting by prompt needs at least two distinct prompts")
    random.Random(seed).shuffle(prompts)
    n_test = min(max(round(fraction * len(prompts)), 1), len(prompts) - 1)
    test_prompts = set(prompts[:n_test])
    return (
        [p for p in pairs if p.prompt not in test_prompts],
        [p for p in pairs if p.prompt in test_prompts],
    )


def subsample(pairs: Sequence[PreferencePair], n: int, seed: int = 0) -> list[PreferencePair]:
    """A seeded random sample of ``n`` pairs (all of them, in order, if there are fewer).

    Example:
        >>> subsample(list("abcdef"), 3)
        ['a', 'd', 'f']
    """
    if n >= len(pairs):
        return list(pairs)
    keep = sorted(random.Random(seed).sample(range(len(pairs)), n))
    return [pairs[i] for i in keep]


def budget_rows(contexts: Sequence[str | None], per_context: int, seed: int) -> list[int]:
    """Row indices of ``per_context`` random pairs of each context (all if fewer).

    Example:
        >>> budget_rows(["a", "a", "b", None, "a"], 1, seed=0)
        [1, 2]
    """
    rng = random.Random(seed)
    rows: list[int] = []
    for label in sorted({c for c in contexts if c is not None}):
        candidates = [i for i, c in enumerate(contexts) if c == label]
        rows += rng.sample(candidates, min(per_context, len(candidates)))
    return sorted(rows)


def prompt_groups(prompts: Sequence[str]) -> torch.Tensor:
    """Each prompt's group number (its first appearance's rank), for :func:`grouped_split`.

    Example:
        >>> prompt_groups(["a", "b", "a"]).tolist()
        [0, 1, 0]
    """
    ids: dict[str, int] = {}
    return torch.tensor([ids.setdefault(p, len(ids)) for p in prompts], dtype=torch.long)


def grouped_split(
    groups: torch.Tensor, fraction: float, generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """Row indices ``(train, held_out)`` with about ``fraction`` of the distinct groups
    (prompts) held out, so that no prompt is on both sides.

    Example:
        >>> g = torch.Generator().manual_seed(0)
        >>> train, val = grouped_split(torch.tensor([0, 0, 1, 1, 2]), 0.34, g)
        >>> sorted(train.tolist() + val.tolist())
        [0, 1, 2, 3, 4]
    """
    unique = torch.unique(groups)
    n_out = round(fraction * len(unique))
    if fraction > 0 and len(unique) > 1:
        n_out = min(max(n_out, 1), len(unique) - 1)
    held = unique[torch.randperm(len(unique), generator=generator)[:n_out]]
    mask = torch.isin(groups, held)
    return torch.nonzero(~mask).flatten(), torch.nonzero(mask).flatten()
