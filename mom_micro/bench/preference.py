"""``mom-micro bench preference``: MiCRo against its baselines on the user's own pairs.

Methods, all on the same frozen features and training loop:

- ``single_bt`` — one Bradley-Terry reward (K = 1);
- ``static_mixture`` — K heads, input-independent weights;
- ``micro_stage1`` — K heads, prompt router (no context, no labels of subgroups);
- ``micro_stage2`` — stage 1 plus the context router trained on ``budget`` labelled
  pairs per context drawn from the training side (Hedge), averaged over ``repeats``
  draws; the ``stage2_curve`` repeats this for each B in ``curve`` (B = 0 is stage 1);
- ``micro_stage1_ctx`` / ``micro_stage2_ctx`` — *not the paper's method*: the same,
  but the stage-1 router reads the prompt and the training pairs' context labels
  (``MixtureConfig.stage1_context``), trained with ``stage1_ctx`` (entropy weight
  ``alpha = 0.1``, chosen on a validation split carved from the training side,
  docs/benchmarks.md). Like the oracle it uses every training pair's context label;
  stage 2 then adapts its routing from B labels per context (``stage2_ctx_curve``).
  Off with ``context_stage1=False``.
- ``oracle_per_context`` — one BT per context on all its training pairs (reference);
- ``shipped`` — exactly what ``mom-micro reward train`` produces with the same flags
  (:func:`~mom_micro.rewards.recipe.train_reward_model`: the context-aware stage-1 router
  when the pairs carry contexts, then stage 2 on ``budget`` pairs per context, kept per
  context only where it validates on those labels). Not the paper's method.

The ``micro_stage2*`` rows are the paper's stage 2 as published (``guard_folds = 0``:
no validation of the stage-2 routing), so that they show what stage 2 does unguarded.

Output: ``{"contexts": [...], "methods": {name: {"per_context": {ctx: acc}, "average":
acc}}, "stage2_curve": {...}, "stage2_ctx_curve": {...}, "timing": {...}, "setup":
{...}}`` as JSON, plus a Markdown table (``.md``) and a plot (``.png``) beside it.

Example:
    >>> result = run_preference_benchmark(train, test, PreferenceFeaturizer.minilm())  # doctest: +SKIP
    >>> write_outputs(result, "/tmp/bench.json")                                      # doctest: +SKIP
"""

from __future__ import annotations

import copy
import statistics
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch

from mom_micro.figures import atomic_write_figure, pyplot
from mom_micro.rewards.baselines import (
    OraclePerContext,
    train_mixture,
    train_single_bt,
    train_static_mixture,
)
from mom_micro.rewards.config import MixtureConfig, RecipeConfig, Stage1Config, Stage2Config
from mom_micro.rewards.data import PreferencePair
from mom_micro.rewards.errors import RewardsError
from mom_micro.rewards.evaluation import AccuracyReport, evaluate
from mom_micro.rewards.featurizer import PairFeatures, PreferenceFeaturizer
from mom_micro.rewards.model import MixtureRewardModel
from mom_micro.rewards.recipe import train_reward_model
from mom_micro.rewards.splits import budget_rows
from mom_micro.rewards.trainer import train_stage2

from .outputs import write_outputs

__all__ = [
    "PreferenceBenchConfig",
    "featurize_sides",
    "render_markdown",
    "run_preference_benchmark",
    "scoring_throughput",
    "write_preference_outputs",
]

METHOD_ORDER = (
    "single_bt",
    "static_mixture",
    "micro_stage1",
    "micro_stage2",
    "micro_stage1_ctx",
    "micro_stage2_ctx",
    "oracle_per_context",
    "shipped",
)
CURVES = (("stage2_curve", "micro_stage2"), ("stage2_ctx_curve", "micro_stage2_ctx"))


@dataclass
class PreferenceBenchConfig:
    """Settings of one benchmark run (the CLI's flags). ``stage1_ctx`` trains the
    ``*_ctx`` rows (included when ``context_stage1``); ``stage2`` is the paper's
    (unguarded) stage 2; ``recipe`` is what the ``shipped`` row trains (None: no such
    row); see the module docstring."""

    heads: int = 10
    budget: int = 50
    curve: tuple[int, ...] = (0, 10, 25, 50, 100)
    repeats: int = 3
    seed: int = 0
    stage1: Stage1Config = field(default_factory=Stage1Config)
    stage2: Stage2Config = field(default_factory=lambda: Stage2Config(guard_folds=0))
    context_stage1: bool = True
    stage1_ctx: Stage1Config = field(default_factory=lambda: Stage1Config(alpha=0.1))
    recipe: RecipeConfig | None = field(default_factory=RecipeConfig)

    def __post_init__(self) -> None:
        if self.heads < 1 or self.budget < 0 or self.repeats < 1 or any(b < 0 for b in self.curve):
            raise ValueError("heads and repeats must be >= 1; budget and curve values >= 0")


def scoring_throughput(
    model: MixtureRewardModel, features: PairFeatures, min_pairs: int = 20_000, repeats: int = 5
) -> float:
    """Pairs scored per second from cached features (routing + heads), best of
    ``repeats`` passes over at least ``min_pairs`` pairs."""
    reps = max(1, -(-min_pairs // len(features)))
    index = torch.arange(len(features)).repeat(reps)
    batch = features.subset(index)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        model.pair_margins(batch)
        best = min(best, time.perf_counter() - start)
    return len(batch) / best


def _mean_reports(reports: Sequence[AccuracyReport]) -> dict[str, Any]:
    contexts = reports[0].per_context
    per_context = {c: statistics.fmean(r.per_context[c] for r in reports) for c in contexts}
    averages = [r.average for r in reports]
    return {
        "per_context": per_context,
        "average": statistics.fmean(averages),
        "average_std": statistics.pstdev(averages),
        "draws": len(reports),
    }


def _stage2_reports(
    stage1: MixtureRewardModel,
    train: PairFeatures,
    test: PairFeatures,
    budget: int,
    config: PreferenceBenchConfig,
) -> tuple[dict[str, Any], float]:
    if budget == 0:
        return {**evaluate(stage1, test).to_dict(), "average_std": 0.0, "draws": 1}, 0.0
    reports, seconds = [], 0.0
    for draw in range(config.repeats):
        model = copy.deepcopy(stage1)
        rows = budget_rows(train.contexts, budget, seed=config.seed * 1000 + draw)
        stage2 = Stage2Config(**{**asdict(config.stage2), "seed": config.stage2.seed + draw})
        seconds += train_stage2(model, train.subset(rows), stage2).seconds
        reports.append(evaluate(model, test))
    return _mean_reports(reports), seconds / config.repeats


def _curve(
    stage1: MixtureRewardModel,
    name: str,
    train: PairFeatures,
    test: PairFeatures,
    config: PreferenceBenchConfig,
    methods: dict[str, Any],
    seconds: dict[str, float],
) -> dict[str, Any]:
    """Stage 2 from ``stage1`` for every B of the curve; the row at ``config.budget`` is
    also recorded as method ``name``."""
    curve: dict[str, Any] = {}
    for budget in sorted(set(config.curve) | {config.budget}):
        curve[str(budget)], stage2_seconds = _stage2_reports(stage1, train, test, budget, config)
        if budget == config.budget:
            methods[name], seconds[name] = curve[str(budget)], stage2_seconds
    return {b: curve[b] for b in map(str, sorted(config.curve))}


def featurize_sides(
    train_pairs: Sequence[PreferencePair],
    test_pairs: Sequence[PreferencePair],
    featurizer: PreferenceFeaturizer,
) -> tuple[PairFeatures, PairFeatures, float]:
    """``(train, test, seconds)``: both sides featurized; every pair must have a context
    and every test context training pairs (:class:`RewardsError` otherwise)."""
    start = time.perf_counter()
    train = featurizer.featurize(list(train_pairs))
    test = featurizer.featurize(list(test_pairs))
    seconds = time.perf_counter() - start
    if any(c is None for c in train.contexts + test.contexts):
        raise RewardsError("the preference benchmarks need a context on every pair")
    unseen = sorted(set(test.context_labels()) - set(train.context_labels()))
    if unseen:
        raise RewardsError(f"test contexts {unseen} have no training pairs")
    return train, test, seconds


def run_preference_benchmark(
    train_pairs: Sequence[PreferencePair],
    test_pairs: Sequence[PreferencePair],
    featurizer: PreferenceFeaturizer,
    config: PreferenceBenchConfig | None = None,
) -> dict[str, Any]:
    """Featurize, train every method, and return the result dict (module docstring)."""
    config = config or PreferenceBenchConfig()
    train, test, featurize_seconds = featurize_sides(train_pairs, test_pairs, featurizer)
    template = MixtureConfig.for_featurizer(featurizer, n_heads=config.heads, seed=config.seed)
    methods: dict[str, Any] = {}
    seconds: dict[str, float] = {}

    def timed(name: str, build: Any) -> Any:
        begin = time.perf_counter()
        trained = build()
        seconds[name] = time.perf_counter() - begin
        return trained

    bt = timed("single_bt", lambda: train_single_bt(template, train, config.stage1))
    methods["single_bt"] = evaluate(bt, test).to_dict()
    static = timed("static_mixture", lambda: train_static_mixture(template, train, config.stage1))
    methods["static_mixture"] = evaluate(static, test).to_dict()
    stage1 = timed("micro_stage1", lambda: train_mixture(template, train, config.stage1))
    methods["micro_stage1"] = evaluate(stage1, test).to_dict()
    curves = {"stage2_curve": _curve(stage1, "micro_stage2", train, test, config, methods, seconds)}
    if config.context_stage1:
        stage1_ctx = timed(
            "micro_stage1_ctx",
            lambda: train_mixture(template, train, config.stage1_ctx, stage1_context=True),
        )
        methods["micro_stage1_ctx"] = evaluate(stage1_ctx, test).to_dict()
        curves["stage2_ctx_curve"] = _curve(
            stage1_ctx, "micro_stage2_ctx", train, test, config, methods, seconds
        )
    oracle = timed(
        "oracle_per_context", lambda: OraclePerContext.train(template, train, config.stage1)
    )
    methods["oracle_per_context"] = oracle.evaluate(test).to_dict()
    if config.recipe is not None:
        recipe = config.recipe
        shipped, report = timed("shipped", lambda: train_reward_model(train, featurizer, recipe))
        methods["shipped"] = evaluate(shipped, test).to_dict()
        methods["shipped"]["ctx_alpha"] = report.ctx_alpha
        methods["shipped"]["ctx_alpha_accuracy"] = {
            str(a): acc for a, acc in report.ctx_alpha_accuracy.items()
        }
        methods["shipped"]["stage2_contexts"] = shipped.stage2_contexts
    return {
        "contexts": test.context_labels(),
        "methods": methods,
        **curves,
        "timing": {
            "featurize_seconds": featurize_seconds,
            "train_seconds": seconds,
            "stage1_train_pairs": len(train),
            "scoring_pairs_per_second": scoring_throughput(stage1, test),
        },
        "setup": {
            "backbone": featurizer.name,
            "heads": config.heads,
            "budget": config.budget,
            "repeats": config.repeats,
            "seed": config.seed,
            "train_pairs": len(train),
            "test_pairs": len(test),
            "train_counts": {c: train.contexts.count(c) for c in train.context_labels()},
            "test_counts": {c: test.contexts.count(c) for c in test.context_labels()},
            "stage1": asdict(config.stage1),
            "stage2": asdict(config.stage2),
            "stage1_ctx": asdict(config.stage1_ctx) if config.context_stage1 else None,
            "recipe": asdict(config.recipe) if config.recipe is not None else None,
        },
    }


def render_markdown(result: dict[str, Any]) -> str:
    """The accuracy table (methods x contexts + average), the B-curve and the timings."""
    contexts = result["contexts"]
    lines = [
        "| method | " + " | ".join(contexts) + " | average |",
        "|---|" + "---:|" * (len(contexts) + 1),
    ]
    for name in [m for m in METHOD_ORDER if m in result["methods"]]:
        row = result["methods"][name]
        cells = [f"{row['per_context'][c]:.3f}" for c in contexts] + [f"**{row['average']:.3f}**"]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    for key, name in CURVES:
        if key not in result:
            continue
        lines += [
            "",
            f"Stage-2 curve of {name} (labels per context B; mean over draws):",
            "",
            "| B | " + " | ".join(contexts) + " | average | std over draws |",
            "|---:|" + "---:|" * (len(contexts) + 2),
        ]
        for budget, row in result[key].items():
            cells = [f"{row['per_context'][c]:.3f}" for c in contexts]
            lines.append(
                f"| {budget} | "
                + " | ".join(cells)
                + f" | **{row['average']:.3f}** | {row['average_std']:.3f} |"
            )
    timing, setup = result["timing"], result["setup"]
    train_s = ", ".join(f"{k} {v:.1f} s" for k, v in timing["train_seconds"].items())
    lines += [
        "",
        f"Backbone `{setup['backbone']}`, K = {setup['heads']}, "
        f"{setup['train_pairs']} training / {setup['test_pairs']} test pairs.",
        f"Training: {train_s} (stage 1 on {timing['stage1_train_pairs']} pairs). "
        f"Featurizing: {timing['featurize_seconds']:.1f} s. "
        f"Scoring: {timing['scoring_pairs_per_second']:,.0f} pairs/s from cached features.",
    ]
    tuning = setup.get("backbone_tuning")
    if tuning:
        kept = tuning["val_accuracy"][tuning["steps"].index(tuning["best_step"])]
        lines.append(
            f"Backbone tuned on {tuning['pairs']} training pairs in {tuning['seconds']:.0f} s "
            f"(validation accuracy {tuning['val_accuracy'][0]:.3f} untuned, {kept:.3f} at the "
            f"step kept, {tuning['best_step']})."
        )
    return "\n".join(lines) + "\n"


def _plot(result: dict[str, Any], path: Path) -> Path:
    plt = pyplot()
    contexts = result["contexts"] + ["average"]
    names = [m for m in METHOD_ORDER if m in result["methods"]]
    fig, (bars, curve) = plt.subplots(1, 2, figsize=(13, 4.5), gridspec_kw={"width_ratios": [2, 1]})
    width = 0.8 / len(names)
    for j, name in enumerate(names):
        row = result["methods"][name]
        values = [row["per_context"][c] for c in result["contexts"]] + [row["average"]]
        bars.bar([i + j * width for i in range(len(contexts))], values, width, label=name)
    bars.set_xticks([i + 0.4 - width / 2 for i in range(len(contexts))], contexts, rotation=20)
    bars.set_ylabel("pairwise accuracy")
    bars.set_ylim(0.3, 1.0)
    bars.axhline(0.5, color="grey", lw=0.8, ls=":")
    bars.legend(fontsize=8, ncol=2)
    for key, name in CURVES:
        if key in result:
            budgets = [int(b) for b in result[key]]
            rows = list(result[key].values())
            curve.errorbar(
                budgets,
                [r["average"] for r in rows],
                yerr=[r["average_std"] for r in rows],
                marker="o",
                label=name,
                capsize=3,
            )
    for name, style in (("single_bt", "--"), ("oracle_per_context", ":")):
        if name in result["methods"]:
            curve.axhline(result["methods"][name]["average"], ls=style, color="grey", label=name)
    curve.set_xlabel("stage-2 labels per context (B)")
    curve.set_ylabel("average accuracy")
    curve.legend(fontsize=8)
    fig.suptitle(
        f"mom-micro bench preference ({result['setup']['backbone']}, K={result['setup']['heads']})",
        fontsize=10,
    )
    fig.tight_layout()
    return atomic_write_figure(path, fig)


def write_preference_outputs(result: dict[str, Any], out: str | Path) -> list[Path]:
    """Write ``out`` (JSON), ``out.md`` and ``out.png`` beside it (atomically)."""
    return write_outputs(result, out, render_markdown(result), _plot)
