"""``mom-micro bench personalize``: a new user of a context the model never saw.

Leave one context out: for each context ``c``, every model is trained on the training
pairs of the *other* contexts. A new user whose preferences are those of ``c`` then
makes ``n`` choices (pairs of ``c`` drawn from the training side, ``draws`` random draws
per ``n``), and each method is scored on ``c``'s test pairs:

- ``population`` — single Bradley-Terry on the other contexts, the same for every ``n``:
  what the user gets if nothing adapts;
- ``scratch_bt`` — a Bradley-Terry model trained from scratch on the ``n`` choices only
  (at ``n = 0`` there is nothing to train: the population);
- ``hedge`` — the paper's method: stage 1 (prompt router) on the other contexts, then
  the paper's stage 2 (Hedge, unguarded) on the ``n`` choices labelled with ``c``;
- ``online`` — not the paper's: the model ``reward train`` ships (trained on the other
  contexts), with the user's online weights fitted to the ``n`` choices
  (:mod:`mom_micro.rewards.online`), exactly as ``reward choose`` updates them; the user
  states no context. At ``n = 0`` it is that model's own prior.

Output: ``{"n": [...], "contexts": [...], "methods": {name: {"average": [one figure per
n], "per_context": {c: [...]}, "spread": [std over draws of the average, per n]}},
"timing": {...}, "setup": {...}}`` as JSON, a Markdown table and a PNG curve.

Example:
    >>> result = run_personalize_benchmark(train, test, PreferenceFeaturizer.minilm())  # doctest: +SKIP
    >>> result["methods"]["online"]["average"]                                         # doctest: +SKIP
"""

from __future__ import annotations

import copy
import random
import statistics
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import torch

from mom_micro.figures import atomic_write_figure, pyplot
from mom_micro.rewards.baselines import train_mixture, train_single_bt
from mom_micro.rewards.config import MixtureConfig, RecipeConfig, Stage1Config, Stage2Config
from mom_micro.rewards.data import PreferencePair
from mom_micro.rewards.errors import RewardsError
from mom_micro.rewards.featurizer import PairFeatures, PreferenceFeaturizer
from mom_micro.rewards.online import DEFAULT_L2, fit_user_weights
from mom_micro.rewards.recipe import train_reward_model
from mom_micro.rewards.trainer import train_stage2

from .outputs import write_outputs
from .preference import featurize_sides

__all__ = [
    "METHODS",
    "PersonalizeBenchConfig",
    "render_personalize_markdown",
    "run_personalize_benchmark",
    "write_personalize_outputs",
]

METHODS = ("population", "scratch_bt", "hedge", "online")


@dataclass
class PersonalizeBenchConfig:
    """Settings of one run (the CLI's flags); see the module docstring.

    ``stage1`` trains the population BT and the paper's stage 1; ``scratch`` the BT on a
    user's choices (no validation split: there are only ``n`` pairs); ``stage2`` is the
    paper's stage 2 (unguarded); ``recipe`` the shipped model the online user starts
    from (its stage 2 is skipped: the new user states no context); ``l2`` the online
    penalty.
    """

    heads: int = 10
    choices: tuple[int, ...] = (0, 5, 10, 25, 50, 100)
    draws: int = 5
    seed: int = 0
    stage1: Stage1Config = field(default_factory=Stage1Config)
    scratch: Stage1Config = field(default_factory=lambda: Stage1Config(val_fraction=0.0))
    stage2: Stage2Config = field(default_factory=lambda: Stage2Config(guard_folds=0))
    recipe: RecipeConfig = field(default_factory=lambda: RecipeConfig(budget=0))
    l2: float = DEFAULT_L2

    def __post_init__(self) -> None:
        if self.heads < 1 or self.draws < 1 or not self.choices or min(self.choices) < 0:
            raise ValueError("heads and draws must be >= 1; choices a list of counts >= 0")


def _accuracy(margins: torch.Tensor) -> float:
    return float((margins > 0).float().mean())


def _quiet(config: Stage1Config) -> Stage1Config:
    return replace(config, progress=False)


def _one_context(
    label: str,
    train: PairFeatures,
    test: PairFeatures,
    featurizer: PreferenceFeaturizer,
    template: MixtureConfig,
    config: PersonalizeBenchConfig,
    timing: dict[str, list[float]],
) -> dict[str, list[list[float]]]:
    """Accuracy on ``label``'s test pairs, per method, per ``n``, per draw."""
    others = train.subset([i for i, c in enumerate(train.contexts) if c != label])
    own = [i for i, c in enumerate(train.contexts) if c == label]
    target = test.subset([i for i, c in enumerate(test.contexts) if c == label])
    begin = time.perf_counter()
    population = train_single_bt(template, others, _quiet(config.stage1))
    paper = train_mixture(template, others, _quiet(config.stage1))
    recipe = replace(
        config.recipe,
        stage1=_quiet(config.recipe.stage1),
        stage1_ctx=_quiet(config.recipe.stage1_ctx),
        seed=config.seed,
    )
    shipped, _ = train_reward_model(others, featurizer, recipe)
    timing["population_models_seconds"].append(time.perf_counter() - begin)
    prior = _accuracy(population.pair_margins(target))
    test_choices = shipped.user_choices(target, use_context=False)
    out: dict[str, list[list[float]]] = {m: [] for m in METHODS}
    for n in config.choices:
        runs: dict[str, list[float]] = {m: [] for m in METHODS}
        for draw in range(config.draws if n else 1):
            rng = random.Random(f"{config.seed}:{label}:{n}:{draw}")
            picked = train.subset(rng.sample(own, min(n, len(own))))
            runs["population"].append(prior)
            if n == 0:
                runs["scratch_bt"].append(prior)
                runs["hedge"].append(_accuracy(paper.pair_margins(target)))
                runs["online"].append(_accuracy(test_choices[:, 0]))
                continue
            scratch = train_single_bt(template, picked, _quiet(config.scratch))
            runs["scratch_bt"].append(_accuracy(scratch.pair_margins(target)))
            hedge = copy.deepcopy(paper)
            stage2 = replace(config.stage2, progress=False, seed=config.seed + draw)
            train_stage2(hedge, picked, stage2)
            runs["hedge"].append(_accuracy(hedge.pair_margins(target)))
            choices = shipped.user_choices(picked, use_context=False)
            start = time.perf_counter()  # the refit itself, as one recorded choice runs it
            weights = fit_user_weights(choices, config.l2, config.heads)
            timing["online_fit_ms"].append(1000 * (time.perf_counter() - start))
            margins = test_choices[:, 0] + test_choices[:, 1:] @ torch.tensor(weights)
            runs["online"].append(_accuracy(margins))
        for method in METHODS:
            out[method].append(runs[method])
    return out


def run_personalize_benchmark(
    train_pairs: Sequence[PreferencePair],
    test_pairs: Sequence[PreferencePair],
    featurizer: PreferenceFeaturizer,
    config: PersonalizeBenchConfig | None = None,
) -> dict[str, Any]:
    """Featurize, run the leave-one-context-out protocol, return the result dict."""
    config = config or PersonalizeBenchConfig()
    train, test, featurize_seconds = featurize_sides(train_pairs, test_pairs, featurizer)
    contexts = test.context_labels()
    if len(train.context_labels()) < 3:
        raise RewardsError(
            "leaving one context out needs at least three contexts in the training pairs, "
            f"got {train.context_labels()}"
        )
    template = MixtureConfig.for_featurizer(featurizer, n_heads=config.heads, seed=config.seed)
    timing: dict[str, list[float]] = {"population_models_seconds": [], "online_fit_ms": []}
    runs = {
        label: _one_context(label, train, test, featurizer, template, config, timing)
        for label in contexts
    }
    methods: dict[str, Any] = {}
    for method in METHODS:
        per_context = {c: [statistics.fmean(draws) for draws in runs[c][method]] for c in contexts}
        average = [
            statistics.fmean(per_context[c][j] for c in contexts)
            for j in range(len(config.choices))
        ]
        spread = []
        for j in range(len(config.choices)):
            draws = min(len(runs[c][method][j]) for c in contexts)
            per_draw = [
                statistics.fmean(runs[c][method][j][d] for c in contexts) for d in range(draws)
            ]
            spread.append(statistics.pstdev(per_draw))
        methods[method] = {"average": average, "per_context": per_context, "spread": spread}
    fits = timing["online_fit_ms"]
    return {
        "n": list(config.choices),
        "contexts": contexts,
        "methods": methods,
        "timing": {
            "featurize_seconds": featurize_seconds,
            "population_models_seconds_per_context": statistics.fmean(
                timing["population_models_seconds"]
            ),
            "online_fit_ms_median": statistics.median(fits) if fits else None,
            "online_fit_ms_max": max(fits) if fits else None,
        },
        "setup": {
            "backbone": featurizer.name,
            "heads": config.heads,
            "draws": config.draws,
            "seed": config.seed,
            "l2": config.l2,
            "train_pairs": len(train),
            "test_pairs": len(test),
            "train_counts": {c: train.contexts.count(c) for c in train.context_labels()},
            "test_counts": {c: test.contexts.count(c) for c in contexts},
            "stage1": asdict(config.stage1),
            "scratch": asdict(config.scratch),
            "stage2": asdict(config.stage2),
            "recipe": asdict(config.recipe),
        },
    }


def render_personalize_markdown(result: dict[str, Any]) -> str:
    """The average accuracy per method and ``n`` (with the spread over draws), then one
    table per method with the contexts."""
    ns = result["n"]
    lines = [
        "Average accuracy on the left-out context (± std over draws of the average):",
        "",
        "| method | " + " | ".join(f"n={n}" for n in ns) + " |",
        "|---|" + "---:|" * len(ns),
    ]
    for method, row in result["methods"].items():
        cells = [f"{a:.3f} ± {s:.3f}" for a, s in zip(row["average"], row["spread"], strict=True)]
        lines.append(f"| {method} | " + " | ".join(cells) + " |")
    for method, row in result["methods"].items():
        lines += ["", f"`{method}` per left-out context:", ""]
        lines += ["| context | " + " | ".join(f"n={n}" for n in ns) + " |"]
        lines += ["|---|" + "---:|" * len(ns)]
        for context, values in row["per_context"].items():
            lines.append(f"| {context} | " + " | ".join(f"{v:.3f}" for v in values) + " |")
    timing, setup = result["timing"], result["setup"]
    fit = timing["online_fit_ms_median"]
    lines += [
        "",
        f"Backbone `{setup['backbone']}`, K = {setup['heads']}, {setup['draws']} draws, "
        f"{setup['train_pairs']} training / {setup['test_pairs']} test pairs. Models of one "
        f"left-out context: {timing['population_models_seconds_per_context']:.1f} s; one "
        "online fit: "
        + (f"{fit:.1f} ms median, {timing['online_fit_ms_max']:.1f} ms max." if fit else "none."),
    ]
    return "\n".join(lines) + "\n"


def _plot(result: dict[str, Any], path: Path) -> Path:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for method, row in result["methods"].items():
        ax.errorbar(
            result["n"], row["average"], yerr=row["spread"], marker="o", capsize=3, label=method
        )
    ax.set_xlabel("choices made by the new user (n)")
    ax.set_ylabel("accuracy on the left-out context (average)")
    ax.axhline(0.5, color="grey", lw=0.8, ls=":")
    ax.legend(fontsize=8)
    ax.set_title(
        f"mom-micro bench personalize ({result['setup']['backbone']}, K={result['setup']['heads']})",
        fontsize=10,
    )
    fig.tight_layout()
    return atomic_write_figure(path, fig)


def write_personalize_outputs(result: dict[str, Any], out: str | Path) -> list[Path]:
    """Write ``out`` (JSON), ``out.md`` and ``out.png`` beside it (atomically)."""
    return write_outputs(result, out, render_personalize_markdown(result), _plot)
