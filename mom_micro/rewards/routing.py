"""Stage-2 training of MiCRo: a context-aware router from a few labelled pairs (Hedge).

For B labelled pairs ``(x_i, y_w, y_l, c_i)`` and frozen heads, each epoch computes the
Hedge soft targets ``w_ik ∝ f(x_i, c_i)_k exp(-L_ik / tau)`` with the current router
(:func:`~mom_micro.rewards.hedge.hedge_targets`), then trains the router by
cross-entropy ``-sum_k w_ik log f(x_i, c_i)_k`` in mini-batches. The router starts as a
copy of the stage-1 router (:class:`~mom_micro.rewards.routers.ContextRouter`).

Example:
    >>> result = train_stage2(model, labelled_features, Stage2Config(tau=1e-3))  # doctest: +SKIP
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import torch
from tqdm.auto import tqdm

from .config import Stage2Config
from .errors import RewardsError
from .featurizer import PairFeatures
from .hedge import head_losses, hedge_targets
from .training import TrainResult, torch_threads

if TYPE_CHECKING:  # pragma: no cover
    from .model import MixtureRewardModel

__all__ = ["train_stage2"]


def train_stage2(model: MixtureRewardModel, features: PairFeatures,
                 config: Stage2Config) -> TrainResult:
    """Fit ``f(x, c)`` on ``features`` (every pair must have a context); heads stay frozen.

    The contexts seen here are recorded in ``model.config.contexts``; any other context
    is routed by the stage-1 prior at scoring time.
    """
    missing = sum(c is None for c in features.contexts)
    if len(features) == 0 or missing:
        raise RewardsError(
            f"stage 2 needs pairs with a context: {missing} of {len(features)} pairs have none"
        )
    with torch_threads(config.num_threads):
        return _train_stage2(model, features, config)


def _train_stage2(model: MixtureRewardModel, features: PairFeatures,
                  config: Stage2Config) -> TrainResult:
    start = time.perf_counter()
    generator = torch.Generator().manual_seed(config.seed)
    with torch.no_grad():
        losses = head_losses(model.head_rewards(features.chosen)
                             - model.head_rewards(features.rejected))
    router = model.add_context_router()
    model.config.contexts = features.context_labels()
    optimizer = torch.optim.AdamW(router.parameters(), lr=config.lr,
                                  weight_decay=config.weight_decay)
    result = TrainResult(pairs=len(features))
    bar = tqdm(range(config.epochs), desc="stage 2 (Hedge)", unit="epoch",
               disable=not config.progress)
    for _ in bar:
        with torch.no_grad():
            targets = hedge_targets(
                model.stage2_log_route(features.prompt, features.context), losses, config.tau
            )
        order = torch.randperm(len(features), generator=generator)
        total = 0.0
        for begin in range(0, len(order), config.batch_size):
            batch = order[begin:begin + config.batch_size]
            log_f = model.stage2_log_route(features.prompt[batch], features.context[batch])
            loss = -(targets[batch] * log_f).sum(dim=1).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(batch)
        result.train_loss.append(total / len(order))
        bar.set_postfix(loss=f"{result.train_loss[-1]:.4f}")
    result.best_epoch = config.epochs - 1
    model.eval()
    result.seconds = time.perf_counter() - start
    return result
