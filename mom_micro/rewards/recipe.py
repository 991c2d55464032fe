"""The model ``mom-micro reward train`` ships: stage 1, then a guarded stage 2.

:func:`train_reward_model` is the one recipe behind the command and the ``shipped`` row
of ``mom-micro bench preference``, so that the benchmark measures exactly what a user
gets (:class:`~mom_micro.rewards.config.RecipeConfig` lists the choices):

1. stage 1 on every pair: the context-aware router when the pairs carry two or more
   context labels (``context_stage1="auto"``), else the paper's prompt-only router. The
   context-aware router is trained once per entropy weight of ``ctx_alphas``, and the
   model whose routed pairwise accuracy on stage 1's held-out prompts is best is kept;
2. stage 2 (Hedge) on ``budget`` labelled pairs per context, kept per context only
   where cross-validation on those labels says it helps (``Stage2Config.guard_folds``).

Example:
    >>> model, report = train_reward_model(pairs, PreferenceFeaturizer.minilm())  # doctest: +SKIP
    >>> report.context_stage1, report.stage2.dropped_contexts                     # doctest: +SKIP
    (True, ['harmless'])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from .config import RecipeConfig, Stage1Config
from .data import PreferencePair
from .featurizer import PairFeatures, PreferenceFeaturizer
from .model import MixtureRewardModel
from .profiles import UserProfileStore
from .splits import budget_rows
from .trainer import TrainResult, train_stage1, train_stage2

__all__ = ["RecipeReport", "train_reward_model"]


@dataclass
class RecipeReport:
    """What :func:`train_reward_model` did: the stage-1 router it chose and both runs
    (``stage2`` is ``None`` when there was no stage 2)."""

    context_stage1: bool
    stage1: TrainResult
    stage2: TrainResult | None
    #: The context-aware router's held-out accuracy per entropy weight tried (empty
    #: when only one was trained), and the weight kept.
    ctx_alpha_accuracy: dict[float, float] = field(default_factory=dict)
    ctx_alpha: float | None = None


def train_reward_model(
    data: Sequence[PreferencePair] | PairFeatures,
    featurizer: PreferenceFeaturizer,
    config: RecipeConfig | None = None,
    profiles: UserProfileStore | None = None,
) -> tuple[MixtureRewardModel, RecipeReport]:
    """Train a :class:`MixtureRewardModel` on ``data`` (pairs, or their features through
    ``featurizer``) by the recipe of the module docstring."""
    config = config or RecipeConfig()
    features = data if isinstance(data, PairFeatures) else featurizer.featurize(list(data))
    labels = features.context_labels()
    use_context = config.context_stage1 == "on" or (
        config.context_stage1 == "auto" and len(labels) >= 2
    )

    def stage1_model(stage1_config: Stage1Config) -> tuple[MixtureRewardModel, TrainResult]:
        model = MixtureRewardModel.create(
            featurizer,
            n_heads=config.heads,
            seed=config.seed,
            profiles=profiles,
            stage1_context=use_context,
        )
        return model, train_stage1(model, features, replace(stage1_config, seed=config.seed))

    accuracy: dict[float, float] = {}
    if not use_context:
        model, stage1 = stage1_model(config.stage1)
        alpha = None
    else:
        kept: tuple[MixtureRewardModel, TrainResult, float] | None = None
        for alpha in config.ctx_alphas:
            model, stage1 = stage1_model(replace(config.stage1_ctx, alpha=alpha))
            held_out = stage1.held_out
            if held_out is None or len(held_out) == 0:  # nothing to choose by
                kept = (model, stage1, alpha)
                break
            margins = model.pair_margins(features.subset(held_out))
            accuracy[alpha] = float((margins > 0).float().mean())
            if kept is None or accuracy[alpha] > accuracy[kept[2]]:
                kept = (model, stage1, alpha)
        assert kept is not None  # ctx_alphas is never empty
        model, stage1, alpha = kept
        if len(accuracy) < 2:
            accuracy = {}
    stage2 = None
    if config.budget > 0 and labels:
        rows = budget_rows(features.contexts, config.budget, config.seed)
        stage2 = train_stage2(
            model, features.subset(rows), replace(config.stage2, seed=config.seed)
        )
    return model, RecipeReport(use_context, stage1, stage2, accuracy, alpha)
