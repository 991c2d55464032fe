"""Training a MiCRo mixture reward model: stage 1 (heads and router) and stage 2 (Hedge).

As in TRL, the configuration is a dataclass (:class:`~mom_micro.rewards.config.Stage1Config`,
:class:`~mom_micro.rewards.config.Stage2Config`) and the loop is a trainer that takes a
model and calls its public methods; the model knows nothing of its trainers.

- :class:`Stage1Trainer` minimises :class:`~mom_micro.rewards.mixture_loss.MixtureBradleyTerryLoss`
  over pairs without subgroup labels: feature scalers fitted on the training rows, each
  mini-batch routed per example, AdamW with a cosine schedule, early stopping on the
  validation loss of held-out prompts (the best epoch's weights are kept).
- :class:`Stage2Trainer` fits the context router ``f(x, c)`` from a few labelled pairs
  with frozen heads. Each epoch computes the Hedge soft targets
  ``w_ik ∝ f(x_i, c_i)_k exp(-L_ik / tau)`` with the current router
  (:func:`~mom_micro.rewards.hedge.hedge_targets`), then trains the router by
  cross-entropy ``-sum_k w_ik log f(x_i, c_i)_k`` in mini-batches. The router starts as
  a copy of the stage-1 router (:class:`~mom_micro.rewards.router.ContextRouter`).

Stage 1 on fewer than :data:`MIN_TRAINING_PAIRS` pairs warns (a ``UserWarning`` with the
count): K heads on hundreds of feature dimensions are barely constrained by a few
dozen choices, so such a model's scores (bounded as they are, see
:data:`~mom_micro.rewards.model.SCORE_BOUND`) say little.

Example:
    >>> model = MixtureRewardModel.create(PreferenceFeaturizer.minilm(), n_heads=10)  # doctest: +SKIP
    >>> train_stage1(model, pairs, Stage1Config(epochs=5)).best_epoch                 # doctest: +SKIP
    3
    >>> train_stage2(model, labelled_pairs, Stage2Config(tau=1e-3))                   # doctest: +SKIP
"""

from __future__ import annotations

import copy
import math
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import torch
from tqdm.auto import tqdm

from .config import Stage1Config, Stage2Config
from .data import PreferencePair
from .errors import RewardsError
from .featurizer import PairFeatures
from .hedge import head_losses, hedge_targets
from .mixture_loss import MixtureBradleyTerryLoss
from .model import MixtureRewardModel
from .splits import grouped_split

__all__ = [
    "MIN_TRAINING_PAIRS",
    "Stage1Trainer",
    "Stage2Trainer",
    "TrainResult",
    "torch_threads",
    "train_stage1",
    "train_stage2",
]


#: Stage 1 on fewer preference pairs than this warns that the model is barely trained.
MIN_TRAINING_PAIRS = 100


@dataclass
class TrainResult:
    """What a training run did: per-epoch losses, the epoch kept, wall-clock seconds."""

    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    best_epoch: int = 0
    seconds: float = 0.0
    pairs: int = 0
    dropped_contexts: list[str] = field(default_factory=list)
    #: Stage 1: the rows held out for early stopping (their prompts were not trained on).
    held_out: torch.Tensor | None = None


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


def _cosine(total_steps: int) -> Callable[[int], float]:
    def factor(step: int) -> float:
        return 0.5 * (1.0 + math.cos(math.pi * min(step, total_steps) / max(total_steps, 1)))

    return factor


class Stage1Trainer:
    """Fit the heads and the stage-1 router of ``model`` (see the module docstring).

    A stage-2 router from an earlier fit is dropped (it would no longer match the
    heads). Deterministic for a given ``config.seed``.

    Example:
        >>> trainer = Stage1Trainer(model, Stage1Config(epochs=5))   # doctest: +SKIP
        >>> result = trainer.train(pairs)                          # doctest: +SKIP
    """

    def __init__(self, model: MixtureRewardModel, config: Stage1Config | None = None) -> None:
        self.model = model
        self.config = config or Stage1Config()
        self.loss_fn = MixtureBradleyTerryLoss(self.config.alpha)

    def loss(self, features: PairFeatures, index: torch.Tensor) -> torch.Tensor:
        """The mixture loss of the rows ``index`` of ``features``."""
        model = self.model
        margins = model.head_rewards(features.chosen[index]) - model.head_rewards(
            features.rejected[index]
        )
        log_route = model.stage1_log_route(features.prompt[index], features.context[index])
        return self.loss_fn(log_route, margins)

    def train(self, data: Sequence[PreferencePair] | PairFeatures) -> TrainResult:
        """Train on ``data`` (pairs, featurized through the model, or features)."""
        features = self.model.featurize(data)
        if len(features) == 0:
            raise RewardsError("stage 1 needs at least one preference pair")
        if len(features) < MIN_TRAINING_PAIRS:
            warnings.warn(
                f"training the reward heads on {len(features)} preference pairs, fewer than "
                f"MIN_TRAINING_PAIRS ({MIN_TRAINING_PAIRS}): its scores will say little",
                stacklevel=2,
            )
        with torch_threads(self.config.num_threads):
            return self._train(features)

    def _train(self, features: PairFeatures) -> TrainResult:
        config, model = self.config, self.model
        start = time.perf_counter()
        result = TrainResult()
        generator = torch.Generator().manual_seed(config.seed)
        train_idx, val_idx = grouped_split(features.groups, config.val_fraction, generator)
        result.held_out = val_idx
        model.reset_routing()
        model.fit_scalers(
            features.prompt[train_idx],
            torch.cat([features.chosen[train_idx], features.rejected[train_idx]]),
        )
        optimizer = torch.optim.AdamW(
            model.stage1_parameters(), lr=config.lr, weight_decay=config.weight_decay
        )
        steps_per_epoch = math.ceil(len(train_idx) / config.batch_size)
        scheduler = torch.optim.lr_scheduler.LambdaLR(
            optimizer, _cosine(config.epochs * steps_per_epoch)
        )
        result.pairs = len(train_idx)
        best_state, best_val, stale = None, math.inf, 0
        bar = tqdm(
            range(config.epochs),
            desc=f"stage 1 (K={model.config.n_heads})",
            unit="epoch",
            disable=not config.progress,
        )
        for epoch in bar:
            model.train()
            order = train_idx[torch.randperm(len(train_idx), generator=generator)]
            total = 0.0
            for first in range(0, len(order), config.batch_size):
                batch = order[first : first + config.batch_size]
                loss = self.loss(features, batch)
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
                val = self.loss(features, val_idx).item()
            result.val_loss.append(val)
            bar.set_postfix(train=f"{result.train_loss[-1]:.4f}", val=f"{val:.4f}")
            if val < best_val - 1e-6:
                best_val, stale, result.best_epoch = val, 0, epoch
                best_state = copy.deepcopy(model.state_dict())
            else:
                stale += 1
                if stale >= config.patience:
                    break
        if best_state is not None:
            model.load_state_dict(best_state)
        model.eval()
        result.seconds = time.perf_counter() - start
        return result


class Stage2Trainer:
    """Fit the stage-2 context router of ``model`` on labelled pairs; heads stay frozen.

    Every pair must have a context. The contexts seen here become the model's
    ``stage2_contexts``; any other context is routed by the stage-1 prior at scoring time.
    With ``config.guard_folds`` (the default) a context whose cross-validated stage-2
    routing is not better than the stage-1 routing on its own labels is left out of
    ``stage2_contexts`` (listed in ``TrainResult.dropped_contexts``): stage 2 never
    makes a context worse than the model before it, as far as its labels can tell.

    Example:
        >>> Stage2Trainer(model, Stage2Config(tau=1e-3)).train(labelled_pairs)   # doctest: +SKIP
    """

    def __init__(self, model: MixtureRewardModel, config: Stage2Config | None = None) -> None:
        self.model = model
        self.config = config or Stage2Config()

    def train(self, data: Sequence[PreferencePair] | PairFeatures) -> TrainResult:
        """Train on ``data`` (pairs with contexts, or their features)."""
        features = self.model.featurize(data)
        missing = sum(c is None for c in features.contexts)
        if len(features) == 0 or missing:
            raise RewardsError(
                f"stage 2 needs pairs with a context: {missing} of {len(features)} pairs have none"
            )
        with torch_threads(self.config.num_threads):
            return self._train(features)

    def _train(self, features: PairFeatures) -> TrainResult:
        start = time.perf_counter()
        self.model.reset_routing()
        keep = (
            self._validated_contexts(features)
            if self.config.guard_folds
            else features.context_labels()
        )
        result = self._fit(features)
        result.dropped_contexts = [c for c in self.model.stage2_contexts if c not in keep]
        self.model.stage2_contexts = [c for c in self.model.stage2_contexts if c in keep]
        if not self.model.stage2_contexts:
            self.model.reset_routing()
        result.seconds = time.perf_counter() - start
        return result

    def _validated_contexts(self, features: PairFeatures) -> list[str]:
        """The contexts whose stage-2 routing beats the routing before stage 2 on their
        held-out labels, in ``guard_folds`` folds split by prompt, by the sign test of
        :class:`~mom_micro.rewards.config.Stage2Config`."""
        model, folds = self.model, self.config.guard_folds
        prior = model.pair_margins(features)  # no stage-2 router yet: the stage-1 routing
        stage2 = torch.zeros_like(prior)
        generator = torch.Generator().manual_seed(self.config.seed)
        groups = torch.unique(features.groups)
        fold_of_group = torch.randperm(len(groups), generator=generator) % folds
        fold = fold_of_group[torch.searchsorted(groups, features.groups)]
        for k in range(folds):
            held = torch.nonzero(fold == k).flatten()
            fit = torch.nonzero(fold != k).flatten()
            if len(held) == 0 or len(fit) == 0:
                stage2[held] = prior[held]
                continue
            self._fit(features.subset(fit), progress=False)
            stage2[held] = model.pair_margins(features.subset(held))
            model.reset_routing()
        keep = []
        for label in features.context_labels():
            rows = [i for i, c in enumerate(features.contexts) if c == label]
            new_right, old_right = stage2[rows] > 0, prior[rows] > 0
            wins = int((new_right & ~old_right).sum())
            losses = int((old_right & ~new_right).sum())
            if wins - losses > self.config.guard_z * math.sqrt(wins + losses):
                keep.append(label)
        return keep

    def _fit(self, features: PairFeatures, progress: bool | None = None) -> TrainResult:
        """The paper's stage 2 (Hedge targets, cross-entropy) on ``features``."""
        config, model = self.config, self.model
        generator = torch.Generator().manual_seed(config.seed)
        with torch.no_grad():
            losses = head_losses(
                model.head_rewards(features.chosen) - model.head_rewards(features.rejected)
            )
        router = model.add_context_router(features.context_labels())
        optimizer = torch.optim.AdamW(
            router.parameters(), lr=config.lr, weight_decay=config.weight_decay
        )
        result = TrainResult(pairs=len(features))
        bar = tqdm(
            range(config.epochs),
            desc="stage 2 (Hedge)",
            unit="epoch",
            disable=not (config.progress if progress is None else progress),
        )
        for _ in bar:
            with torch.no_grad():
                targets = hedge_targets(
                    model.stage2_log_route(features.prompt, features.context),
                    losses,
                    config.tau,
                )
            order = torch.randperm(len(features), generator=generator)
            total = 0.0
            for first in range(0, len(order), config.batch_size):
                batch = order[first : first + config.batch_size]
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
        return result


def train_stage1(
    model: MixtureRewardModel,
    data: Sequence[PreferencePair] | PairFeatures,
    config: Stage1Config | None = None,
) -> TrainResult:
    """Stage 1: :class:`Stage1Trainer` ``(model, config).train(data)``."""
    return Stage1Trainer(model, config).train(data)


def train_stage2(
    model: MixtureRewardModel,
    data: Sequence[PreferencePair] | PairFeatures,
    config: Stage2Config | None = None,
) -> TrainResult:
    """Stage 2: :class:`Stage2Trainer` ``(model, config).train(data)``."""
    return Stage2Trainer(model, config).train(data)
