"""The rewards part of the ``mom-micro`` CLI: ``reward train``, ``reward rank`` and
``bench preference``. :func:`add_reward_commands` registers them; the logic is here so
that ``mom_micro/cli.py`` only wires the groups.

Example:
    $ mom-micro bench preference --train a.json b.json --split-by-prompt 0.2 --out /tmp/p.json
    $ mom-micro reward train prefs.jsonl --out my-reward --heads 10 --budget 50
    $ mom-micro reward rank --model my-reward --prompt "Hi" --context kind "Hello!" "Go away."
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .readers import FORMATS, read_preferences

if TYPE_CHECKING:
    from .data import PreferencePair

__all__ = ["add_reward_commands", "load_pair_files"]


def _context_map(specs: Sequence[str]) -> tuple[dict[str, str], str | None]:
    """``FILE=LABEL`` entries per file, and a plain ``LABEL`` for all files."""
    per_file, default = {}, None
    for spec in specs:
        if "=" in spec:
            path, label = spec.rsplit("=", 1)
            per_file[str(Path(path))] = label
        else:
            default = spec
    return per_file, default


def load_pair_files(files: Sequence[str], format: str = "auto",
                    contexts: Sequence[str] = (), verbose: bool = True) -> list[PreferencePair]:
    """Read every file (any supported format) and print each file's read report."""
    per_file, default = _context_map(contexts)
    pairs: list[PreferencePair] = []
    for file in files:
        got, report = read_preferences(file, format, context=per_file.get(str(Path(file)), default))
        if verbose:
            print(report.summary())
        pairs += got
    return pairs


# The command bodies import torch-backed modules when they run, so that building the
# parser (``mom-micro --help``) stays fast.
def _cmd_bench_preference(args: argparse.Namespace) -> int:
    from .bench import (
        PreferenceBenchConfig,
        render_markdown,
        run_preference_benchmark,
        split_by_prompt,
        subsample,
        write_outputs,
    )
    from .config import Stage1Config, Stage2Config
    from .featurizer import PreferenceFeaturizer

    pairs = load_pair_files(args.train, args.format, args.context)
    if args.test:
        test = load_pair_files(args.test, args.format, args.context)
        train = pairs
    else:
        if args.max_pairs:
            pairs = subsample(pairs, args.max_pairs, args.seed)
        train, test = split_by_prompt(pairs, args.split_by_prompt, args.seed)
    overlap = {p.prompt for p in train} & {p.prompt for p in test}
    if overlap:
        raise ValueError(f"{len(overlap)} prompts are on both the training and the test side")
    print(f"{len(train)} training pairs, {len(test)} test pairs")
    config = PreferenceBenchConfig(
        heads=args.heads, budget=args.budget, curve=tuple(args.curve), repeats=args.repeats,
        seed=args.seed, stage1=Stage1Config(epochs=args.epochs, seed=args.seed),
        stage2=Stage2Config(tau=args.tau, seed=args.seed),
        context_stage1=not args.no_ctx,
        stage1_ctx=Stage1Config(alpha=args.ctx_alpha, epochs=args.epochs, seed=args.seed),
    )
    result = run_preference_benchmark(train, test, PreferenceFeaturizer.from_backbone(args.backbone),
                                      config)
    result["setup"]["files"] = {"train": args.train, "test": args.test or [],
                                "split_by_prompt": None if args.test else args.split_by_prompt,
                                "max_pairs": args.max_pairs}
    paths = write_outputs(result, args.out)
    print(render_markdown(result))
    print("written: " + ", ".join(map(str, paths)))
    return 0


def _cmd_reward_train(args: argparse.Namespace) -> int:
    from .bench import budget_rows
    from .config import Stage1Config, Stage2Config
    from .featurizer import PreferenceFeaturizer
    from .model import MixtureRewardModel

    pairs = load_pair_files(args.files, args.format, args.context)
    featurizer = PreferenceFeaturizer.from_backbone(args.backbone)
    model = MixtureRewardModel.create(featurizer, n_heads=args.heads, seed=args.seed)
    features = featurizer.featurize(pairs)
    result = model.fit(features, Stage1Config(epochs=args.epochs, seed=args.seed))
    print(f"stage 1: {result.pairs} pairs, best epoch {result.best_epoch + 1}, "
          f"{result.seconds:.1f} s")
    with_context = [i for i, c in enumerate(features.contexts) if c is not None]
    if args.budget > 0 and with_context:
        rows = budget_rows(features.contexts, args.budget, args.seed)
        stage2 = model.fit_routing(features.subset(rows), Stage2Config(tau=args.tau, seed=args.seed))
        print(f"stage 2: {stage2.pairs} labelled pairs over contexts {model.config.contexts}, "
              f"{stage2.seconds:.1f} s")
    print(f"model written to {model.save(args.out)}")
    return 0


def _cmd_reward_rank(args: argparse.Namespace) -> int:
    responses = list(args.responses)
    if args.responses_file:
        responses += [line.rstrip("\n") for line in
                      Path(args.responses_file).read_text(encoding="utf-8").splitlines() if line.strip()]
    if not responses:
        raise ValueError("give at least one response (arguments or --responses-file)")
    from .model import MixtureRewardModel
    from .profiles import UserProfileStore

    model = MixtureRewardModel.load(args.model)
    if args.user:
        if not args.profiles:
            raise ValueError("--user needs --profiles FILE.json")
        model.profiles = UserProfileStore(args.profiles, n_heads=model.config.n_heads)
    scores = model.score(args.prompt, responses, context=args.context, user=args.user)
    ranked = sorted(zip(scores, responses, strict=True), key=lambda item: -item[0])
    if args.json:
        print(json.dumps([{"score": s, "response": r} for s, r in ranked], ensure_ascii=False))
    else:
        for rank, (score, response) in enumerate(ranked, 1):
            print(f"{rank}. {score:+.4f}  {response}")
    return 0


def _add_input_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", default="auto", choices=FORMATS,
                        help="file format (default: detected from suffix and first record)")
    parser.add_argument("--context", action="append", default=[], metavar="[FILE=]LABEL",
                        help="context label for files without one (HH, LLMBar, generic rows "
                        "lacking it); FILE=LABEL for one file; repeatable")
    parser.add_argument("--backbone", default="minilm",
                        help="minilm (default), smollm2, a sentence-transformers folder, or a "
                        "Hugging Face causal LM / reward model path")
    parser.add_argument("--heads", type=int, default=10, help="number of reward heads K (default 10)")
    parser.add_argument("--epochs", type=int, default=10, help="stage-1 epochs, early-stopped (10)")
    parser.add_argument("--tau", type=float, default=1e-3, help="stage-2 Hedge temperature (1e-3)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (0)")


def add_reward_commands(sub: argparse._SubParsersAction, bench: argparse._SubParsersAction) -> None:
    """Register ``reward train``, ``reward rank`` (under ``sub``) and ``bench preference``
    (under the shared ``bench`` group)."""
    reward = sub.add_parser("reward", help="train and use a personalized (MiCRo) reward model",
                            description="Train a MiCRo mixture reward model and rank responses.")
    reward_sub = reward.add_subparsers(dest="reward_command", required=True, metavar="COMMAND")

    train = reward_sub.add_parser(
        "train", help="train stage 1 on preference files, then stage 2 on B pairs per context",
        description="Stage 1 (mixture of K heads, prompt router) on every pair; stage 2 "
        "(context router, Hedge) on --budget labelled pairs per context, if pairs have contexts.")
    train.add_argument("files", nargs="+", help="preference files (JSONL, CSV, HH, DSP, LLMBar)")
    train.add_argument("--out", required=True, help="folder to write the model into")
    train.add_argument("--budget", type=int, default=50,
                       help="stage-2 labelled pairs per context (0 skips stage 2; default 50)")
    _add_input_options(train)
    train.set_defaults(func=_cmd_reward_train)

    rank = reward_sub.add_parser("rank", help="rank responses to a prompt for a context / user",
                                 description="Score responses with a trained model, best first.")
    rank.add_argument("--model", required=True, help="folder written by `reward train`")
    rank.add_argument("--prompt", required=True, help="the prompt")
    rank.add_argument("responses", nargs="*", help="candidate responses")
    rank.add_argument("--responses-file", help="more responses, one per line")
    rank.add_argument("--context", help="the user's context / criteria (unseen: router prior)")
    rank.add_argument("--user", help="user id whose profile personalises the routing")
    rank.add_argument("--profiles", help="JSON profile store (with --user)")
    rank.add_argument("--json", action="store_true", help="print JSON instead of a list")
    rank.set_defaults(func=_cmd_reward_rank)

    bench_pref = bench.add_parser(
        "preference", help="single BT vs static mixture vs MiCRo stage 1/2 on preference pairs",
        description="Per-context and average pairwise accuracy of single_bt, static_mixture, "
        "micro_stage1, micro_stage2, micro_stage1_ctx, micro_stage2_ctx (stage-1 router also "
        "reads the context labels; not the paper's) (+ oracle_per_context), the stage-2 "
        "curves over B, "
        "training time and scoring throughput. Writes --out JSON, .md and .png beside it.")
    bench_pref.add_argument("--train", nargs="+", required=True, help="training preference files")
    side = bench_pref.add_mutually_exclusive_group(required=True)
    side.add_argument("--test", nargs="+", help="test preference files")
    side.add_argument("--split-by-prompt", type=float, metavar="FRACTION",
                      help="hold out this fraction of the prompts of --train as the test side")
    bench_pref.add_argument("--budget", type=int, default=50,
                            help="stage-2 labels per context for micro_stage2 (default 50)")
    bench_pref.add_argument("--curve", type=int, nargs="+", default=[0, 10, 25, 50, 100],
                            help="budgets of the stage-2 curve (default 0 10 25 50 100)")
    bench_pref.add_argument("--repeats", type=int, default=3,
                            help="random draws of the stage-2 labels per budget (default 3)")
    bench_pref.add_argument("--max-pairs", type=int, default=None,
                            help="random subsample of the --train pairs before splitting")
    bench_pref.add_argument("--ctx-alpha", type=float, default=0.1,
                            help="entropy weight of the micro_*_ctx rows, whose stage-1 router "
                            "also reads the training pairs' context labels (default 0.1)")
    bench_pref.add_argument("--no-ctx", action="store_true",
                            help="leave out the micro_stage1_ctx / micro_stage2_ctx rows")
    bench_pref.add_argument("--out", required=True, help="result JSON (.md and .png beside it)")
    _add_input_options(bench_pref)
    bench_pref.set_defaults(func=_cmd_bench_preference)
