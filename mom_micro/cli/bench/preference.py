"""``mom-micro bench preference | personalize | featurize | style``: the MiCRo
benchmarks on preference files (the logic is in :mod:`mom_micro.bench`)."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..options import add_out, count, fraction, positive_float
from ..preference_options import (
    add_input_options,
    add_tuning_options,
    featurizer_from_args,
    read_pair_files,
    recipe_from_args,
    tuned_featurizer,
)
from .run import BenchRun, set_handler

__all__ = ["register"]


def _train_test(args: argparse.Namespace) -> tuple[list, list]:
    """The training and test pairs of a preference benchmark: ``--test`` files, or
    ``--split-by-prompt`` of the ``--train`` pairs (after ``--max-pairs``); with
    ``--validation``, the training side split again in its place."""
    from mom_micro.rewards import split_by_prompt, subsample

    pairs = read_pair_files(args.train, args.format, args.context)
    if args.test:
        test = read_pair_files(args.test, args.format, args.context)
        train = pairs
    else:
        if args.max_pairs is not None:
            pairs = subsample(pairs, args.max_pairs, args.seed)
        train, test = split_by_prompt(pairs, args.split_by_prompt, args.seed)
    if args.validation:  # choose settings without looking at the test side
        train, test = split_by_prompt(train, args.split_by_prompt or 0.2, args.seed + 1)
    overlap = {p.prompt for p in train} & {p.prompt for p in test}
    if overlap:
        raise ValueError(f"{len(overlap)} prompts are on both the training and the test side")
    print(f"{len(train)} training pairs, {len(test)} test pairs")
    return train, test


def _paper_stages(args: argparse.Namespace) -> dict[str, Any]:
    """The paper's stage-1 and (unguarded) stage-2 settings of the flags, for the rows a
    benchmark reports as the paper's method."""
    from mom_micro.rewards import Stage1Config, Stage2Config

    return {
        "stage1": Stage1Config(epochs=args.epochs, seed=args.seed),
        "stage2": Stage2Config(tau=args.tau, seed=args.seed, guard_folds=0),
    }


def _preference(args: argparse.Namespace) -> Iterator[BenchRun]:
    from mom_micro.bench.preference import (
        PreferenceBenchConfig,
        render_markdown,
        run_preference_benchmark,
        write_preference_outputs,
    )
    from mom_micro.rewards import Stage1Config

    train, test = _train_test(args)
    config = PreferenceBenchConfig(
        heads=args.heads,
        budget=args.budget,
        curve=tuple(args.curve),
        repeats=args.repeats,
        seed=args.seed,
        **_paper_stages(args),
        context_stage1=not args.no_ctx,
        stage1_ctx=Stage1Config(alpha=args.ctx_alpha[0], epochs=args.epochs, seed=args.seed),
        recipe=recipe_from_args(args),
    )
    out = Path(args.out)
    featurizer, tuning = tuned_featurizer(args, train, out.with_name(f"{out.stem}-backbone"))
    result = run_preference_benchmark(train, test, featurizer, config)
    result["setup"]["backbone_tuning"] = tuning
    result["setup"]["files"] = {
        "train": args.train,
        "test": args.test or [],
        "split_by_prompt": None if args.test else args.split_by_prompt,
        "max_pairs": args.max_pairs,
    }
    yield BenchRun(result, render_markdown, write_preference_outputs)


def _personalize(args: argparse.Namespace) -> Iterator[BenchRun]:
    from mom_micro.bench.personalize import (
        PersonalizeBenchConfig,
        render_personalize_markdown,
        run_personalize_benchmark,
        write_personalize_outputs,
    )
    from mom_micro.rewards import Stage1Config

    train, test = _train_test(args)
    config = PersonalizeBenchConfig(
        heads=args.heads,
        choices=tuple(args.choices),
        draws=args.draws,
        seed=args.seed,
        **_paper_stages(args),
        scratch=Stage1Config(epochs=args.epochs, seed=args.seed, val_fraction=0.0),
        recipe=recipe_from_args(args, budget=0),
        l2=args.l2,
    )
    result = run_personalize_benchmark(train, test, featurizer_from_args(args), config)
    yield BenchRun(result, render_personalize_markdown, write_personalize_outputs)


def _featurize(args: argparse.Namespace) -> Iterator[BenchRun]:
    import random

    from mom_micro.bench.featurize import (
        render_featurize_markdown,
        run_featurize_bench,
        write_featurize_outputs,
    )
    from mom_micro.rewards.encoders import SentenceTransformerEncoder

    pairs = read_pair_files(args.train, args.format, args.context)
    texts = sorted({t for p in pairs for t in (p.prompt, p.chosen, p.rejected)})
    random.Random(args.seed).shuffle(texts)
    encoder = SentenceTransformerEncoder(args.backbone)
    result = run_featurize_bench(
        texts[: args.max_texts], encoder, batch_size=args.batch_size, repeats=args.repeats
    )
    yield BenchRun(result, render_featurize_markdown, write_featurize_outputs)


def _style(args: argparse.Namespace) -> Iterator[BenchRun]:
    from mom_micro.bench.style import (
        StyleBenchConfig,
        render_style_markdown,
        run_style_benchmark,
        write_style_outputs,
    )

    pairs = read_pair_files(args.train, args.format, args.context)
    config = StyleBenchConfig(
        train_pairs=args.pairs,
        test_prompts=args.test_prompts,
        seed=args.seed,
        recipe=recipe_from_args(args),
    )
    result = run_style_benchmark(pairs, featurizer_from_args(args), config)
    yield BenchRun(result, render_style_markdown, write_style_outputs)


def _add_pair_sides(parser: argparse.ArgumentParser) -> None:
    """``--train``, ``--test`` | ``--split-by-prompt`` and ``--max-pairs`` (see
    :func:`_train_test`)."""
    parser.add_argument("--train", nargs="+", required=True, help="training preference files")
    side = parser.add_mutually_exclusive_group(required=True)
    side.add_argument("--test", nargs="+", help="test preference files")
    side.add_argument(
        "--split-by-prompt",
        type=fraction,
        metavar="FRACTION",
        help="hold out this fraction of the prompts of --train as the test side",
    )
    parser.add_argument(
        "--max-pairs",
        type=count(1),
        default=None,
        help="random subsample of the --train pairs before splitting",
    )
    parser.add_argument(
        "--validation",
        action="store_true",
        help="set the test side aside and split the training side again (the same "
        "fraction, seed + 1): a validation run for choosing settings",
    )


def _add_preference(bench: argparse._SubParsersAction) -> None:
    pref = bench.add_parser(
        "preference",
        help="single BT vs static mixture vs MiCRo stage 1/2 on preference pairs",
        description="Per-context and average pairwise accuracy of single_bt, static_mixture, "
        "micro_stage1, micro_stage2, micro_stage1_ctx, micro_stage2_ctx (stage-1 router also "
        "reads the context labels; not the paper's) (+ oracle_per_context), shipped (what "
        "`reward train` produces with the same flags), the stage-2 curves over B, training "
        "time and scoring throughput. Writes --out JSON, .md and .png beside it.",
    )
    _add_pair_sides(pref)
    pref.add_argument(
        "--budget",
        type=count(0),
        default=50,
        help="stage-2 labels per context for micro_stage2 and shipped (default 50)",
    )
    pref.add_argument(
        "--curve",
        type=count(0),
        nargs="+",
        default=[0, 10, 25, 50, 100],
        help="budgets of the stage-2 curve (default 0 10 25 50 100)",
    )
    pref.add_argument(
        "--repeats",
        type=count(1),
        default=3,
        help="random draws of the stage-2 labels per budget (default 3)",
    )
    pref.add_argument(
        "--no-ctx",
        action="store_true",
        help="leave out the micro_stage1_ctx / micro_stage2_ctx rows",
    )
    add_out(pref, ".md and .png", required=True)
    add_input_options(pref)
    add_tuning_options(pref)
    set_handler(pref, _preference)


def _add_personalize(bench: argparse._SubParsersAction) -> None:
    from mom_micro.rewards.config import DEFAULT_L2

    pers = bench.add_parser(
        "personalize",
        help="a new user of a context left out of training: accuracy after n choices",
        description="Leave one context out: every model is trained without it; a new user "
        "of that context makes n choices (drawn from its training side, --draws times); "
        "accuracy on its test pairs of population (single BT), scratch_bt (BT on the n "
        "choices), hedge (the paper's stage 2 on them) and online (the shipped model with "
        "the user's online weights). Writes --out JSON, .md and .png beside it.",
    )
    _add_pair_sides(pers)
    pers.add_argument(
        "--choices",
        type=count(0),
        nargs="+",
        default=[0, 5, 10, 25, 50, 100],
        help="numbers of choices n (default 0 5 10 25 50 100)",
    )
    pers.add_argument(
        "--draws", type=count(1), default=5, help="random draws of the choices per n (default 5)"
    )
    pers.add_argument(
        "--l2",
        type=positive_float,
        default=DEFAULT_L2,
        help=f"penalty of the online fit (default {DEFAULT_L2})",
    )
    add_out(pers, ".md and .png", required=True)
    add_input_options(pers)
    set_handler(pers, _personalize)


def _add_featurize(bench: argparse._SubParsersAction) -> None:
    feat = bench.add_parser(
        "featurize",
        help="featurizer throughput against plain SentenceTransformer.encode",
        description="Embed the distinct texts of preference files by plain "
        "SentenceTransformer.encode and by the featurizer's cache path (empty cache), same "
        "model and threads, in one process; report texts/s of both and their ratio.",
    )
    feat.add_argument("--train", nargs="+", required=True, help="preference files")
    feat.add_argument(
        "--max-texts", type=count(1), default=2000, help="random sample of texts (default 2000)"
    )
    feat.add_argument("--batch-size", type=count(1), default=32, help="batch size (default 32)")
    feat.add_argument(
        "--repeats", type=count(1), default=2, help="alternating rounds, best kept (default 2)"
    )
    feat.add_argument(
        "--backbone", default="minilm", help="minilm (default) or a sentence-transformers folder"
    )
    feat.add_argument("--format", default="auto", help="preference file format (default auto)")
    feat.add_argument("--context", action="append", default=[], help=argparse.SUPPRESS)
    feat.add_argument("--seed", type=count(0), default=0, help="seed of the sample (0)")
    add_out(feat)
    set_handler(feat, _featurize)


def _add_style(bench: argparse._SubParsersAction) -> None:
    style = bench.add_parser(
        "style",
        help="learn a plain style preference (short vs long, list vs prose) from few pairs",
        description="From the preferred answers of --train (three or more sentences), build "
        "pairs that differ only in style: first sentence vs whole answer, bulleted list vs "
        "paragraph, each preferred one way by one context and the other way by another. "
        "Train the shipped model on --pairs of each and report accuracy on held-out prompts.",
    )
    style.add_argument("--train", nargs="+", required=True, help="preference files (answers)")
    style.add_argument(
        "--pairs", type=count(2), default=100, help="training pairs per contrast (default 100)"
    )
    style.add_argument(
        "--test-prompts", type=count(1), default=100, help="held-out prompts (default 100)"
    )
    add_out(style)
    add_input_options(style)
    set_handler(style, _style)


def register(bench: argparse._SubParsersAction) -> None:
    """Add the preference benchmarks to the ``mom-micro bench`` sub-commands."""
    _add_preference(bench)
    _add_personalize(bench)
    _add_featurize(bench)
    _add_style(bench)
