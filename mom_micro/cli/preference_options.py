"""The preference-data options that ``reward train`` and the preference benchmarks share:
reading preference files, the training flags and the featurizer they ask for, and the
prompt split that keeps a benchmark's prompts out of the model's training.

Example:
    >>> parser = argparse.ArgumentParser()
    >>> add_input_options(parser)
    >>> recipe_from_args(parser.parse_args(["--heads", "4"])).heads
    4
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mom_micro.rewards.config import CONTEXT_ROUTER_ALPHAS, Stage2Config
from mom_micro.rewards.preference_files import FORMATS

from .options import count, fraction, number, positive_float, weights

if TYPE_CHECKING:
    from mom_micro.rewards import PreferencePair

__all__ = [
    "add_input_options",
    "add_split_options",
    "add_tuning_options",
    "featurizer_from_args",
    "prompt_side",
    "read_pair_files",
    "recipe_from_args",
    "tuned_featurizer",
]


def read_pair_files(
    files: Sequence[str], format: str = "auto", contexts: Sequence[str] = ()
) -> list[PreferencePair]:
    """Read every preference file and print each file's read report."""
    from mom_micro.rewards import read_preference_files

    pairs, reports = read_preference_files(files, format, contexts)  # type: ignore[arg-type]
    for report in reports:
        print(report.summary())
    return pairs


def add_split_options(parser: argparse.ArgumentParser, side: str) -> None:
    """``--split-by-prompt F`` and ``--split-seed S``: keep only the ``side`` (``train``
    or ``held-out``) of a seeded split of the pairs' prompts (see :func:`prompt_side`)."""
    parser.add_argument(
        "--split-by-prompt",
        type=fraction,
        metavar="F",
        help=f"hold out a share F of the prompts and use the {side} side only; `reward "
        "train` and `bench agent` given the same files, F and --split-seed use disjoint "
        "prompts",
    )
    parser.add_argument(
        "--split-seed", type=count(0), default=0, help="seed of the prompt split (default 0)"
    )


def prompt_side(
    pairs: Sequence[PreferencePair], args: argparse.Namespace, held_out: bool
) -> list[PreferencePair]:
    """The training side (or with ``held_out`` the held-out side) of
    :func:`~mom_micro.rewards.split_by_prompt` at ``--split-by-prompt``/``--split-seed``;
    every pair without ``--split-by-prompt``. The split depends only on the set of
    prompts, the fraction and the seed, so two commands given the same files agree.

    Example:
        >>> from mom_micro.rewards import PreferencePair
        >>> pairs = [PreferencePair(f"p{i}", "a", "b") for i in range(10)]
        >>> args = argparse.Namespace(split_by_prompt=0.2, split_seed=0)
        >>> train = prompt_side(pairs, args, False)
        split by prompt (share 0.2, seed 0): 8 training prompts, 8 pairs
        >>> test = prompt_side(pairs, args, True)
        split by prompt (share 0.2, seed 0): 2 held-out prompts, 2 pairs
        >>> {p.prompt for p in train} & {p.prompt for p in test}
        set()
    """
    if args.split_by_prompt is None:
        return list(pairs)
    from mom_micro.rewards import split_by_prompt

    train, test = split_by_prompt(pairs, args.split_by_prompt, args.split_seed)
    kept = test if held_out else train
    print(
        f"split by prompt (share {args.split_by_prompt:g}, seed {args.split_seed}): "
        f"{len({p.prompt for p in kept})} {'held-out' if held_out else 'training'} prompts, "
        f"{len(kept)} pairs"
    )
    return kept


def featurizer_from_args(args: argparse.Namespace) -> Any:
    """The featurizer ``--backbone`` and ``--no-style`` ask for."""
    from mom_micro.rewards import PreferenceFeaturizer

    return PreferenceFeaturizer.from_backbone(args.backbone, style=not args.no_style)


def tuned_featurizer(
    args: argparse.Namespace, pairs: Sequence[PreferencePair], folder: Path
) -> tuple[Any, dict[str, Any] | None]:
    """``(featurizer, tuning report)``: with ``--tune-backbone`` the backbone is first
    tuned on ``pairs`` into ``folder`` (:func:`~mom_micro.rewards.tune_backbone`) and the
    featurizer reads the tuned one; otherwise :func:`featurizer_from_args` and ``None``."""
    if not args.tune_backbone:
        return featurizer_from_args(args), None
    from dataclasses import asdict

    from mom_micro.rewards import BackboneTuningConfig, PreferenceFeaturizer, tune_backbone

    config = BackboneTuningConfig(
        epochs=args.tune_epochs, tune_layers=args.tune_layers or None, seed=args.seed
    )
    report = tune_backbone(pairs, folder, config, base=args.backbone)
    best = report.val_accuracy[report.steps.index(report.best_step)]
    print(
        f"backbone tuned on {report.pairs} pairs in {report.seconds:.0f} s: validation "
        f"accuracy {report.val_accuracy[0]:.3f} untuned, {best:.3f} kept (step "
        f"{report.best_step}); written to {folder}"
    )
    return PreferenceFeaturizer.from_backbone(str(folder), style=not args.no_style), asdict(report)


def recipe_from_args(args: argparse.Namespace, budget: int | None = None) -> Any:
    """The :class:`~mom_micro.rewards.RecipeConfig` of the training flags (what ``reward
    train`` trains with them; ``budget`` overrides ``--budget``; a flag a command lacks
    keeps the recipe's default)."""
    from mom_micro.rewards import RecipeConfig, Stage1Config

    if budget is None:
        budget = getattr(args, "budget", RecipeConfig.budget)
    return RecipeConfig(
        heads=args.heads,
        context_stage1=getattr(args, "context_stage1", "auto"),
        stage1=Stage1Config(epochs=args.epochs),
        stage1_ctx=Stage1Config(epochs=args.epochs, alpha=args.ctx_alpha[0]),
        ctx_alphas=tuple(args.ctx_alpha),
        budget=budget,
        stage2=Stage2Config(tau=args.tau, guard_z=args.guard_z),
        seed=args.seed,
    )


def add_tuning_options(parser: argparse.ArgumentParser) -> None:
    """``--tune-backbone`` and its settings (see :func:`tuned_featurizer`)."""
    parser.add_argument(
        "--tune-backbone",
        action="store_true",
        help="first tune the MiniLM backbone on the training pairs (its top layers with one "
        "Bradley-Terry head per context, early-stopped on held-out prompts; on a CPU about "
        "2 s per pair on a busy 2-core machine), then train the mixture on it",
    )
    parser.add_argument(
        "--tune-epochs", type=count(1), default=1, help="epochs of backbone tuning (1)"
    )
    parser.add_argument(
        "--tune-layers",
        type=count(0),
        default=3,
        help="top transformer layers tuned (0: all; default 3)",
    )


def add_input_options(parser: argparse.ArgumentParser) -> None:
    """The flags of every command that reads preference files and trains a model."""
    parser.add_argument(
        "--format",
        default="auto",
        choices=FORMATS,
        help="file format (default: detected from suffix and first record)",
    )
    parser.add_argument(
        "--context",
        action="append",
        default=[],
        metavar="[FILE=]LABEL",
        help="context label for files without one (HH, LLMBar, generic rows "
        "lacking it); FILE=LABEL for one file; repeatable",
    )
    parser.add_argument(
        "--backbone",
        default="minilm",
        help="minilm (default), smollm2, a sentence-transformers folder, or a "
        "Hugging Face causal LM / reward model folder",
    )
    parser.add_argument(
        "--no-style",
        action="store_true",
        help="leave the style block (length, lists, steps, hedges, ...) out of the features",
    )
    parser.add_argument(
        "--heads", type=count(1), default=10, help="number of reward heads K (default 10)"
    )
    parser.add_argument(
        "--epochs", type=count(1), default=10, help="stage-1 epochs, early-stopped (10)"
    )
    parser.add_argument(
        "--ctx-alpha",
        type=weights,
        default=list(CONTEXT_ROUTER_ALPHAS),
        metavar="A[,A...]",
        help="entropy weight(s) of the context-aware stage-1 router; with several, each is "
        "trained and the model that ranks stage 1's held-out prompts best is kept "
        f"(default: {','.join(f'{a:g}' for a in CONTEXT_ROUTER_ALPHAS)})",
    )
    parser.add_argument(
        "--tau", type=positive_float, default=1e-3, help="stage-2 Hedge temperature (1e-3)"
    )
    parser.add_argument(
        "--guard-z",
        type=number(0.0, closed=True),
        default=Stage2Config.guard_z,
        help="a context keeps its stage-2 routing only where it beats the earlier routing "
        "on held-out labels by this many standard deviations (default %(default)s)",
    )
    parser.add_argument("--seed", type=count(0), default=0, help="random seed (0)")
