"""Tuning the MiniLM backbone on preference pairs, before the mixture is trained on it.

Frozen sentence embeddings see the topic of an answer far better than what makes it
helpful or harmless. :func:`tune_backbone` trains the encoder's top layers end to end
together with one Bradley-Terry head per context label,

.. math::

    r_c(x, y) = v_c^\\top \\big[\\sqrt{d}\\, e(y),\\; d\\, (e(x) \\odot e(y)),\\; \\hat s(x, y)\\big],
    \\qquad \\mathcal{L} = -\\log \\sigma\\big(r_c(x, y_w) - r_c(x, y_l)\\big)

(the featurizer's composed pair features, :func:`~mom_micro.rewards.featurizer.compose`,
with the embeddings scaled to unit-size entries and the style block ``s`` standardised
on the training pairs), and writes the tuned encoder as a sentence-transformers folder.
The heads are then dropped: the mixture (heads and router, :mod:`.recipe`) is trained on
the tuned encoder's frozen features as on any backbone, and the folder is a backbone like
any other (``PreferenceFeaturizer.from_backbone(folder)``, ``--backbone folder``).

One head per context lets the encoder learn what each context prefers even where
contexts disagree (a single head would average their preferences away). Validation
accuracy on held-out prompts is measured before the first step (after a linear probe
has fitted the heads on the untuned encoder) and every ``eval_every`` steps; the best
encoder is kept, so tuning that does not help leaves the encoder as it was; ``patience``
evaluations without a gain stop the run early.

Only the top ``tune_layers`` transformer layers are trained (all with ``None``): on a
CPU the backward pass through the lower layers costs more than it gives on a few
thousand pairs.

Example:
    >>> report = tune_backbone(pairs, "tuned-minilm")                       # doctest: +SKIP
    >>> report.val_accuracy[0], max(report.val_accuracy)                    # doctest: +SKIP
    (0.58, 0.64)
    >>> PreferenceFeaturizer.from_backbone("tuned-minilm")                  # doctest: +SKIP
"""

from __future__ import annotations

import copy
import json
import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F
from tqdm.auto import tqdm

from mom_micro.files import atomic_directory, atomic_write_text
from mom_micro.models.minilm import MAX_TOKENS

from .data import PreferencePair
from .encoders import SentenceTransformerEncoder
from .errors import RewardsError
from .feature_cache import CachedEncoder
from .featurizer import compose
from .scaling import FeatureScaler
from .splits import grouped_split, prompt_groups
from .style import STYLE_DIM, style_matrix
from .trainer import torch_threads

__all__ = ["BackboneTuningConfig", "BackboneTuningReport", "tune_backbone", "TUNING_FILE"]

#: The report written beside the tuned weights.
TUNING_FILE = "tuning.json"
#: Full-batch steps of the linear probe that starts the heads.
PROBE_STEPS = 300


@dataclass
class BackboneTuningConfig:
    """Settings of :func:`tune_backbone` (the learning rates are the usual ones for
    fine-tuning a BERT-size encoder and for a fresh linear head)."""

    epochs: int = 1
    lr: float = 2e-5
    head_lr: float = 1e-3
    weight_decay: float = 0.01
    batch_size: int = 16
    tune_layers: int | None = 3
    max_seq_length: int = MAX_TOKENS
    val_fraction: float = 0.1
    eval_every: int = 40
    patience: int = 3
    seed: int = 0
    progress: bool = True
    num_threads: int | None = None

    def __post_init__(self) -> None:
        if self.epochs < 1 or self.batch_size < 1 or self.eval_every < 1 or self.patience < 1:
            raise ValueError("epochs, batch_size, eval_every and patience must be >= 1")
        if self.lr <= 0 or self.head_lr <= 0:
            raise ValueError("the learning rates must be > 0")
        if self.tune_layers is not None and self.tune_layers < 1:
            raise ValueError(f"tune_layers must be >= 1 or None, got {self.tune_layers}")
        if not 0 < self.val_fraction < 1:
            raise ValueError(f"val_fraction must be in (0, 1), got {self.val_fraction}")


@dataclass
class BackboneTuningReport:
    """What :func:`tune_backbone` did: validation accuracy before the first step and at
    each evaluation (``steps`` gives the step of each), the step kept (0: the encoder
    as it was), and the wall-clock seconds."""

    pairs: int
    val_pairs: int
    steps: list[int] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    best_step: int = 0
    seconds: float = 0.0
    stopped_early: bool = False
    base: str = ""


class _TuningModel(nn.Module):
    """The encoder and one linear Bradley-Terry head per context (module docstring)."""

    def __init__(self, encoder: Any, contexts: list[str], style_scaler: FeatureScaler) -> None:
        super().__init__()
        self.encoder = encoder
        dimension = getattr(encoder, "get_embedding_dimension", None)  # sentence-transformers >= 5
        if dimension is None:
            dimension = encoder.get_sentence_embedding_dimension
        self.dim = int(dimension())
        self.style = style_scaler
        self.heads = nn.Linear(2 * self.dim + STYLE_DIM, len(contexts), bias=False)
        nn.init.zeros_(self.heads.weight)
        self.context_index = {c: i for i, c in enumerate(contexts)}
        preprocess = getattr(encoder, "preprocess", None)  # sentence-transformers >= 6
        self._preprocess = preprocess if preprocess is not None else encoder.tokenize

    def embed(self, texts: Sequence[str]) -> torch.Tensor:
        features = self._preprocess(list(texts))
        return self.encoder(features)["sentence_embedding"]

    def features(
        self,
        pairs: Sequence[PreferencePair],
        embed: Callable[[Sequence[str]], torch.Tensor] | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(phi(x, y_w), phi(x, y_l), head index)`` of each pair, the texts embedded by
        ``embed`` (default: the encoder being tuned)."""
        embed = embed or self.embed
        prompts = sorted({p.prompt for p in pairs})
        row = {p: i for i, p in enumerate(prompts)}
        scale = math.sqrt(self.dim)
        ex = embed(prompts)[[row[p.prompt] for p in pairs]] * scale
        sides = []
        for responses in ([p.chosen for p in pairs], [p.rejected for p in pairs]):
            # one call per kind of text: responses are padded to their own length, which
            # is far shorter than the prompts' (HH: 50 against 124 tokens on average)
            ey = embed(responses) * scale
            style = self.style(style_matrix([p.prompt for p in pairs], responses))
            sides.append(torch.cat([compose(ex, ey), style], 1))
        heads = torch.tensor([self.context_index[_label(p)] for p in pairs])
        return sides[0], sides[1], heads

    def head_margins(
        self, chosen: torch.Tensor, rejected: torch.Tensor, heads: torch.Tensor
    ) -> torch.Tensor:
        """``r_c(x, y_w) - r_c(x, y_l)`` from pair features."""
        return self.heads(chosen - rejected).gather(1, heads[:, None]).squeeze(1)

    def margins(self, pairs: Sequence[PreferencePair]) -> torch.Tensor:
        """``r_c(x, y_w) - r_c(x, y_l)`` of each pair, through the encoder."""
        return self.head_margins(*self.features(pairs))


def _label(pair: PreferencePair) -> str:
    return pair.context if pair.context is not None else ""


def _load_encoder(base: str, max_seq_length: int) -> Any:
    from mom_micro.models import defaults

    if base == "minilm":
        encoder = copy.deepcopy(defaults.sentence_transformer())
    else:
        if not (Path(base) / "modules.json").is_file():
            raise RewardsError(
                f"backbone {base}: only sentence-transformers encoders can be tuned (the "
                "bundled 'minilm' or a folder with modules.json)"
            )
        from sentence_transformers import SentenceTransformer

        encoder = SentenceTransformer(base, device="cpu")
    encoder.max_seq_length = max_seq_length
    return encoder


def _freeze_lower_layers(encoder: Any, tune_layers: int | None) -> list[nn.Parameter]:
    """Freeze all but the top ``tune_layers`` transformer layers; the trainable ones."""
    if tune_layers is None:
        return list(encoder.parameters())
    transformer = encoder[0].auto_model
    layers = getattr(getattr(transformer, "encoder", None), "layer", None)
    if layers is None:
        raise RewardsError("tune_layers needs a BERT-style encoder (encoder.layer); use None")
    for parameter in encoder.parameters():
        parameter.requires_grad_(False)
    trainable = [p for layer in layers[-tune_layers:] for p in layer.parameters()]
    for parameter in trainable:
        parameter.requires_grad_(True)
    return trainable


def _probe_heads(
    model: _TuningModel, train: list[PreferencePair], config: BackboneTuningConfig, base: str
) -> None:
    """Fit the heads on the untuned encoder's features first (a linear probe), so that the
    accuracy before tuning is the untuned encoder's and tuning starts from useful heads
    (linear probing, then fine-tuning: Kumar et al., 2022). The features come through the
    feature cache, where a benchmark or an earlier run has usually put them already."""
    cached = CachedEncoder(SentenceTransformerEncoder(base, config.max_seq_length))
    chosen, rejected, heads = model.features(train, cached.encode_tensor)
    optimizer = torch.optim.AdamW(
        model.heads.parameters(), lr=10 * config.head_lr, weight_decay=config.weight_decay
    )
    for _ in range(PROBE_STEPS):
        loss = F.softplus(-model.head_margins(chosen, rejected, heads)).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


@torch.no_grad()
def _accuracy(model: _TuningModel, pairs: Sequence[PreferencePair], batch_size: int) -> float:
    model.eval()
    right = 0.0
    for start in range(0, len(pairs), batch_size):
        margins = model.margins(pairs[start : start + batch_size])
        right += float((margins > 0).sum() + 0.5 * (margins == 0).sum())
    model.train()
    return right / max(len(pairs), 1)


def tune_backbone(
    pairs: Sequence[PreferencePair],
    out: str | Path,
    config: BackboneTuningConfig | None = None,
    base: str = "minilm",
) -> BackboneTuningReport:
    """Tune ``base`` (``"minilm"`` or a sentence-transformers folder) on ``pairs`` and
    write the best encoder to the folder ``out`` (atomically: the old folder, if any,
    stays until the new one is complete), with :data:`TUNING_FILE` beside it."""
    config = config or BackboneTuningConfig()
    pairs = list(pairs)
    if len(pairs) < 4:
        raise RewardsError(
            f"tuning the backbone needs at least 4 preference pairs, got {len(pairs)}"
        )
    groups = prompt_groups([p.prompt for p in pairs])
    generator = torch.Generator().manual_seed(config.seed)
    train_idx, val_idx = grouped_split(groups, config.val_fraction, generator)
    train = [pairs[i] for i in train_idx.tolist()]
    val = [pairs[i] for i in val_idx.tolist()]
    if not val:
        raise RewardsError("tuning the backbone needs pairs of at least two distinct prompts")
    start = time.perf_counter()
    with torch_threads(config.num_threads):
        torch.manual_seed(config.seed)
        encoder = _load_encoder(base, config.max_seq_length)
        style = FeatureScaler(STYLE_DIM)
        style.fit(
            style_matrix(
                [p.prompt for p in train] * 2,
                [p.chosen for p in train] + [p.rejected for p in train],
            )
        )
        model = _TuningModel(encoder, sorted({_label(p) for p in pairs}), style)
        trainable = _freeze_lower_layers(encoder, config.tune_layers)
        optimizer = torch.optim.AdamW(
            [
                {"params": trainable, "lr": config.lr},
                {"params": model.heads.parameters(), "lr": config.head_lr},
            ],
            weight_decay=config.weight_decay,
        )
        _probe_heads(model, train, config, base)
        report = _train(model, optimizer, train, val, config)
    report.base = base
    report.seconds = time.perf_counter() - start
    with atomic_directory(out) as folder:
        encoder.save(str(folder))
        atomic_write_text(folder / TUNING_FILE, json.dumps(asdict(report), indent=1) + "\n")
    return report


def _train(
    model: _TuningModel,
    optimizer: torch.optim.Optimizer,
    train: list[PreferencePair],
    val: list[PreferencePair],
    config: BackboneTuningConfig,
) -> BackboneTuningReport:
    """The loop: shuffled mini-batches, linear decay, evaluation and early stopping;
    leaves the best encoder in ``model``."""
    report = BackboneTuningReport(pairs=len(train), val_pairs=len(val))
    steps_per_epoch = math.ceil(len(train) / config.batch_size)
    total = config.epochs * steps_per_epoch
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: 1 - s / (total + 1))
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}

    def snapshot() -> dict[str, torch.Tensor]:
        return {n: p.detach().clone() for n, p in model.named_parameters() if n in trainable}

    def evaluate(step: int) -> bool:
        """Record the validation accuracy at ``step``; True when it is the best so far."""
        accuracy = _accuracy(model, val, 2 * config.batch_size)
        best = not report.val_accuracy or accuracy > max(report.val_accuracy)
        report.steps.append(step)
        report.val_accuracy.append(accuracy)
        return best

    evaluate(0)
    best_state, stale, step = snapshot(), 0, 0
    rng = random.Random(config.seed)
    bar = tqdm(total=total, desc="tuning backbone", unit="step", disable=not config.progress)
    model.train()
    for _ in range(config.epochs):
        order = list(range(len(train)))
        rng.shuffle(order)
        for begin in range(0, len(order), config.batch_size):
            batch = [train[i] for i in order[begin : begin + config.batch_size]]
            loss = F.softplus(-model.margins(batch)).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
            step += 1
            bar.update(1)
            if step % config.eval_every and step != total:
                continue
            if evaluate(step):
                best_state, stale, report.best_step = snapshot(), 0, step
            else:
                stale += 1
            bar.set_postfix(val_acc=f"{report.val_accuracy[-1]:.3f}", best=report.best_step)
            if stale >= config.patience:
                report.stopped_early = step < total
                break
        if report.stopped_early:
            break
    bar.close()
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if name in best_state:
                parameter.copy_(best_state[name])
    model.eval()
    return report
