"""Configuration dataclasses, kept apart from the loops that use them (TRL style).

- :class:`MixtureConfig` — the model's shape (heads, router, feature sizes, backbone).
- :class:`Stage1Config` — stage-1 mixture training (paper defaults).
- :class:`Stage2Config` — stage-2 Hedge routing.

Example:
    >>> Stage1Config(alpha=0.5).lr
    0.002
    >>> MixtureConfig(n_heads=0)
    Traceback (most recent call last):
    ...
    ValueError: n_heads must be >= 1, got 0
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any, Literal

__all__ = ["MixtureConfig", "Stage1Config", "Stage2Config"]

RouterKind = Literal["mlp", "linear", "static"]


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
    seed: int = 0

    def __post_init__(self) -> None:
        if self.n_heads < 1:
            raise ValueError(f"n_heads must be >= 1, got {self.n_heads}")
        if self.router not in ("mlp", "linear", "static"):
            raise ValueError(f"router must be 'mlp', 'linear' or 'static', got {self.router!r}")
        for name in ("router_hidden", "prompt_dim", "pair_dim", "context_dim"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MixtureConfig:
        """Inverse of :meth:`to_dict`; unknown keys are an error."""
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown MixtureConfig keys: {sorted(unknown)}")
        return cls(**data)


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
    training side of the HH + DSP mixture (docs/benchmarks.md); 5e-2 overshoots, as the
    context term reads unit-size 384-d inputs. ``num_threads`` as in
    :class:`Stage1Config`.
    """

    tau: float = 1e-3
    lr: float = 5e-3
    weight_decay: float = 0.0
    batch_size: int = 32
    epochs: int = 10
    seed: int = 0
    progress: bool = True
    num_threads: int | None = 1

    def __post_init__(self) -> None:
        if self.tau <= 0:
            raise ValueError(f"tau must be > 0, got {self.tau}")
        if self.lr <= 0 or self.batch_size < 1 or self.epochs < 1:
            raise ValueError("lr must be > 0; batch_size and epochs must be >= 1")
