"""Stage-1 training loop of MiCRo: heads and router from pairs without subgroup labels.

The loss is :class:`~mom_micro.rewards.mixture_loss.MixtureBradleyTerryLoss`; the
hyper-parameters are a :class:`~mom_micro.rewards.config.Stage1Config`.

Example:
    >>> result = train_stage1(model, features, Stage1Config(epochs=5))   # doctest: +SKIP
    >>> result.best_epoch, round(result.seconds, 1)                      # doctest: +SKIP
    (3, 2.4)
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import torch
from tqdm.auto import tqdm

from .config import Stage1Config
from .errors import RewardsError
from .featurizer import PairFeatures
from .mixture_loss import MixtureBradleyTerryLoss

if TYPE_CHECKING:  # pragma: no cover
    from .model import MixtureRewardModel

__all__ = ["TrainResult", "grouped_split", "torch_threads", "train_stage1"]


@dataclass
class TrainResult:
    """What a training run did: per-epoch losses, the epoch kept, wall-clock seconds."""

    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    best_epoch: int = 0
    seconds: float = 0.0
    pairs: int = 0


def grouped_split(groups: torch.Tensor, fraction: float,
                  generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
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


@contextmanager
def torch_threads(n: int | None) -> Iterator[None]:
    """Run the block with ``n`` torch threads (``None``: unchanged), then restore."""
    before = torch.get_num_threads()
    if n is not None:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _cosine(total_steps: int):
    def factor(step: int) -> float:
        return 0.5 * (1.0 + math.cos(math.pi * min(step, total_steps) / max(total_steps, 1)))
    return factor


def _loss(model: MixtureRewardModel, loss_fn: MixtureBradleyTerryLoss,
          features: PairFeatures, index: torch.Tensor) -> torch.Tensor:
    margins = model.head_rewards(features.chosen[index]) - model.head_rewards(features.rejected[index])
    return loss_fn(model.stage1_log_route(features.prompt[index], features.context[index]), margins)


def train_stage1(model: MixtureRewardModel, features: PairFeatures,
                 config: Stage1Config) -> TrainResult:
    """Fit the heads and the stage-1 router by minimising the mixture BT loss.

    Feature scalers are fitted on the training rows; each mini-batch is routed per
    example; AdamW with a cosine schedule over ``epochs``; early stopping on the
    validation loss of held-out prompts, keeping the best epoch's weights. A stage-2
    router from an earlier fit is dropped (it would no longer match the heads).
    Deterministic for a given ``config.seed``.
    """
    if len(features) == 0:
        raise RewardsError("stage 1 needs at least one preference pair")
    with torch_threads(config.num_threads):
        return _train_stage1(model, features, config)


def _train_stage1(model: MixtureRewardModel, features: PairFeatures,
                  config: Stage1Config) -> TrainResult:
    start = time.perf_counter()
    generator = torch.Generator().manual_seed(config.seed)
    train_idx, val_idx = grouped_split(features.groups, config.val_fraction, generator)
    model.context_router = None
    model.config.contexts = []
    model.prompt_scaler.fit(features.prompt[train_idx])
    model.pair_scaler.fit(torch.cat([features.chosen[train_idx], features.rejected[train_idx]]))
    params = list(model.heads.parameters()) + list(model.router.parameters())
    optimizer = torch.optim.AdamW(params, lr=config.lr, weight_decay=config.weight_decay)
    steps_per_epoch = math.ceil(len(train_idx) / config.batch_size)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, _cosine(config.epochs * steps_per_epoch))
    loss_fn = MixtureBradleyTerryLoss(config.alpha)
    result = TrainResult(pairs=len(train_idx))
    best_state, best_val, stale = None, math.inf, 0
    bar = tqdm(range(config.epochs), desc=f"stage 1 (K={model.config.n_heads})", unit="epoch",
               disable=not config.progress)
    for epoch in bar:
        model.train()
        order = train_idx[torch.randperm(len(train_idx), generator=generator)]
        total = 0.0
        for start_row in range(0, len(order), config.batch_size):
            batch = order[start_row:start_row + config.batch_size]
            loss = _loss(model, loss_fn, features, batch)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
            total += loss.item() * len(batch)
        result.train_loss.append(total / len(order))
        model.eval()
        if len(val_idx) == 0:
            result.best_epoch = epoch
            continue
        with torch.no_grad():
            val = _loss(model, loss_fn, features, val_idx).item()
        result.val_loss.append(val)
        bar.set_postfix(train=f"{result.train_loss[-1]:.4f}", val=f"{val:.4f}")
        if val < best_val - 1e-6:
            best_val, best_state, stale, result.best_epoch = val, copy.deepcopy(model.state_dict()), 0, epoch
        else:
            stale += 1
            if stale >= config.patience:
                break
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    result.seconds = time.perf_counter() - start
    return result
