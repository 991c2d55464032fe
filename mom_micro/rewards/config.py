"""Configuration dataclasses, kept apart from the loops that use them (TRL style).

- :class:`MixtureConfig` — the model's shape (heads, router, feature sizes, backbone).
- :class:`Stage1Config` — stage-1 mixture training (paper defaults).
- :class:`Stage2Config` — stage-2 Hedge routing.
- :class:`RecipeConfig` — what ``mom-micro reward train`` ships: both stages, chosen
  for the data (:func:`~mom_micro.rewards.recipe.train_reward_model`).

Example:
    >>> Stage1Config(alpha=0.5).lr
    0.002
    >>> MixtureConfig(n_heads=0)
    Traceback (most recent call last):
    ...
    ValueError: n_heads must be a whole number >= 1, got 0
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal

__all__ = [
    "CONTEXT_ROUTER_ALPHAS",
    "DEFAULT_L2",
    "MixtureConfig",
    "RecipeConfig",
    "Stage1Config",
    "Stage2Config",
]

RouterKind = Literal["mlp", "linear", "static"]

#: ``lambda``, the penalty of a user's online weights (:mod:`mom_micro.rewards.online`).
DEFAULT_L2 = 3.0


@dataclass
class MixtureConfig:
    """Shape of a :class:`~mom_micro.rewards.MixtureRewardModel`.

    Attributes:
        n_heads: K, the number of linear reward heads (the paper: 10 on RPR, 5 on
            HelpSteer2; ``1`` is the single Bradley-Terry baseline).
        router: ``"mlp"`` (the paper: one hidden layer of ``router_hidden`` units),
            ``"linear"`` (the public code) or ``"static"`` (input-independent weights:
            the static-mixture baseline).
        router_hidden: hidden units of the MLP router (paper: 128).
        prompt_dim, pair_dim, context_dim: feature sizes of the featurizer.
        backbone: the featurizer's ``name``; a checkpoint is refused by another backbone.
        stage1_context: ``False`` (default, the paper): the stage-1 router reads the
            prompt only, ``f(x)``. ``True``: it reads the prompt and the pair's context
            label, ``f(x, c)``, from the same stage-1 loss; this uses the context labels of
            the training pairs, which the paper's stage 1 does not (the paper leaves
            stage-1 routing on known contexts open). Pairs without a context are routed
            on a zero context vector. Not the paper's method: report it apart. It helps
            on contexts seen in stage 1, not on new ones (docs/benchmarks.md).
        style_dim: how many of the last ``pair_dim`` entries are the featurizer's style
            block (:mod:`.style`; 0 without one). With the heads they make the basis a
            user's online weights act on (:mod:`.online`).
        seed: seeds the initial weights.
    """

    n_heads: int = 10
    router: RouterKind = "mlp"
    router_hidden: int = 128
    prompt_dim: int = 384
    pair_dim: int = 768
    context_dim: int = 384
    backbone: str = ""
    stage1_context: bool = False
    style_dim: int = 0
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("n_heads", "router_hidden", "prompt_dim", "pair_dim", "context_dim"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be a whole number >= 1, got {value!r}")
        for name in ("style_dim", "seed"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"{name} must be a whole number >= 0, got {value!r}")
        if self.style_dim >= self.pair_dim:
            raise ValueError(f"style_dim {self.style_dim} must be below pair_dim {self.pair_dim}")
        if self.router not in ("mlp", "linear", "static"):
            raise ValueError(f"router must be 'mlp', 'linear' or 'static', got {self.router!r}")
        if not isinstance(self.backbone, str):
            raise ValueError(f"backbone must be a string, got {self.backbone!r}")
        if not isinstance(self.stage1_context, bool):
            raise ValueError(f"stage1_context must be true or false, got {self.stage1_context!r}")

    @classmethod
    def for_featurizer(cls, featurizer: Any, **settings: Any) -> MixtureConfig:
        """The shape of a model on ``featurizer``'s features (its dimensions, backbone
        name and style block), with ``settings`` (``n_heads``, ``seed``, ...)."""
        return cls(
            prompt_dim=featurizer.prompt_dim,
            pair_dim=featurizer.pair_dim,
            context_dim=featurizer.context_dim,
            backbone=featurizer.name,
            style_dim=featurizer.style_dim,
            **settings,
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MixtureConfig:
        """Inverse of :meth:`to_dict`; unknown keys and values of the wrong type are an
        error (``ValueError``).

        Example:
            >>> MixtureConfig.from_dict({"n_heads": "ten"})
            Traceback (most recent call last):
            ...
            ValueError: n_heads must be a whole number >= 1, got 'ten'
        """
        if not isinstance(data, dict):
            raise ValueError(f"a MixtureConfig is a JSON object, got {type(data).__name__}")
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown MixtureConfig keys: {sorted(unknown)}")
        return cls(**data)


#: The entropy weights ``alpha`` the recipe tries for the context-aware stage-1 router,
#: keeping the model that ranks stage 1's held-out prompts best (ties: the first). The
#: paper's entropy term keeps a prompt-only router from collapsing onto one head; a
#: router that also reads the context may do better without it, giving each context its
#: own heads, but on a few pairs of a flipped style it can lose a context. Neither value
#: wins everywhere, so each training run measures both (docs/benchmarks.md).
CONTEXT_ROUTER_ALPHAS: tuple[float, ...] = (0.1, 0.0)


@dataclass
class Stage1Config:
    """Stage-1 training (mixture modelling without labels of subgroups).

    Defaults follow the paper where it says (AdamW, lr 2e-3, batch 32, cosine schedule,
    alpha 0.5). The paper trains one epoch; here up to ``epochs`` with early stopping on
    a held-out ``val_fraction`` of the prompts (``patience`` epochs without improvement
    of validation loss); the best epoch's weights are kept. Weight decay and the
    validation split are not published: they are parameters. ``num_threads`` is the
    torch thread count during training (the matrices are tiny, so one thread avoids
    synchronisation overhead, which is large on a busy machine); ``None`` keeps torch's.
    """

    alpha: float = 0.5
    lr: float = 2e-3
    weight_decay: float = 0.01
    batch_size: int = 32
    epochs: int = 10
    patience: int = 2
    val_fraction: float = 0.1
    seed: int = 0
    progress: bool = True
    num_threads: int | None = 1

    def __post_init__(self) -> None:
        if self.alpha < 0:
            raise ValueError(f"alpha must be >= 0, got {self.alpha}")
        if self.lr <= 0 or self.batch_size < 1 or self.epochs < 1 or self.patience < 1:
            raise ValueError("lr must be > 0; batch_size, epochs and patience must be >= 1")
        if not 0 <= self.val_fraction < 1:
            raise ValueError(f"val_fraction must be in [0, 1), got {self.val_fraction}")


@dataclass
class Stage2Config:
    """Stage-2 context-aware routing with Hedge soft labels (heads frozen).

    ``tau`` is the Hedge temperature (paper: 1e-3 on HelpSteer2, 1e-4 on RPR);
    ``epochs`` and ``batch_size`` as in the paper (10, 32). The learning rate is not
    published; the default, 5e-3, was chosen on a validation split carved from the
    training side of the HH + DSP mixture (docs/benchmarks.md); a ten times larger rate
    overshoots, as the context term reads unit-size 384-d inputs. ``num_threads`` as in
    :class:`Stage1Config`.

    ``guard_folds`` (not the paper's; ``0`` turns it off): before the final fit, stage 2
    is cross-validated on the labelled pairs themselves, in that many folds split by
    prompt. On a context's held-out pairs, let ``W`` be the pairs the stage-2 router
    orders right and the routing before stage 2 wrong, ``L`` the reverse; the context
    keeps its stage-2 routing only if ``W - L > guard_z * sqrt(W + L)`` (a sign test on
    the pairs where they disagree, ``guard_z`` standard deviations). Other contexts fall
    back to the earlier routing, so stage 2 does not make a context worse unless its own
    labels mislead. ``guard_z = 2``: a context whose stage 2 gains nothing passes the
    test by chance with probability about 2.3% (about 16% at ``guard_z = 1``; a model
    has many contexts). On the HH + DSP mixture stage 2 after the context-aware stage 1
    did not gain and ``guard_z = 1`` let it through where it lost; the figures are in
    docs/benchmarks.md.
    """

    tau: float = 1e-3
    lr: float = 5e-3
    weight_decay: float = 0.0
    batch_size: int = 32
    epochs: int = 10
    seed: int = 0
    progress: bool = True
    num_threads: int | None = 1
    guard_folds: int = 5
    guard_z: float = 2.0

    def __post_init__(self) -> None:
        if self.tau <= 0:
            raise ValueError(f"tau must be > 0, got {self.tau}")
        if self.lr <= 0 or self.batch_size < 1 or self.epochs < 1:
            raise ValueError("lr must be > 0; batch_size and epochs must be >= 1")
        if self.guard_folds < 0 or self.guard_folds == 1:
            raise ValueError(f"guard_folds must be 0 (off) or >= 2, got {self.guard_folds}")
        if self.guard_z < 0:
            raise ValueError(f"guard_z must be >= 0, got {self.guard_z}")


@dataclass
class RecipeConfig:
    """What ``mom-micro reward train`` does with its defaults (one place, so that the
    command and the ``shipped`` row of ``bench preference`` are the same model).

    - ``heads``: K.
    - ``context_stage1``: ``"auto"`` (default) trains the context-aware stage-1 router
      (``MixtureConfig.stage1_context``, not the paper's) when the pairs carry at least
      two context labels, and the paper's prompt-only router otherwise; ``"on"`` /
      ``"off"`` force it. With contexts that flip the preference on the same prompt a
      prompt-only router cannot tell the subgroups apart (docs/benchmarks.md).
    - ``stage1`` / ``stage1_ctx``: the stage-1 settings of the two routers.
    - ``ctx_alphas``: the entropy weights tried for the context-aware router (each
      replaces ``stage1_ctx.alpha``); the model with the best routed accuracy on stage
      1's held-out prompts is kept (:data:`CONTEXT_ROUTER_ALPHAS`). Without held-out
      prompts (``val_fraction=0``) only the first is trained.
    - ``budget``: stage-2 labelled pairs per context (0: no stage 2), trained with
      ``stage2`` (guarded by default: a context keeps stage 2 only where it validates).
    - ``seed``: the model's initial weights and the draw of the stage-2 pairs.
    """

    heads: int = 10
    context_stage1: Literal["auto", "on", "off"] = "auto"
    stage1: Stage1Config = field(default_factory=Stage1Config)
    stage1_ctx: Stage1Config = field(
        default_factory=lambda: Stage1Config(alpha=CONTEXT_ROUTER_ALPHAS[0])
    )
    ctx_alphas: tuple[float, ...] = CONTEXT_ROUTER_ALPHAS
    budget: int = 50
    stage2: Stage2Config = field(default_factory=Stage2Config)
    seed: int = 0

    def __post_init__(self) -> None:
        if not isinstance(self.heads, int) or self.heads < 1:
            raise ValueError(f"heads must be >= 1, got {self.heads!r}")
        if self.context_stage1 not in ("auto", "on", "off"):
            raise ValueError(f"context_stage1 must be auto, on or off, got {self.context_stage1!r}")
        if not isinstance(self.budget, int) or self.budget < 0:
            raise ValueError(f"budget must be >= 0, got {self.budget!r}")
        if not self.ctx_alphas or min(self.ctx_alphas) < 0:
            raise ValueError(
                f"ctx_alphas must be one or more weights >= 0, got {self.ctx_alphas!r}"
            )
