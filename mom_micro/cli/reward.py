"""``mom-micro reward train`` and ``mom-micro reward rank``: a MiCRo model on the command line.

Example:
    $ mom-micro reward train prefs.jsonl --out my-reward --heads 10 --budget 50
    $ mom-micro reward rank --model my-reward --prompt "Hi" --context kind "Hello!" "Go away."
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from mom_micro.rewards.readers import FORMATS

if TYPE_CHECKING:
    from mom_micro.rewards import PreferencePair

__all__ = ["add_input_options", "read_pair_files", "register"]


def read_pair_files(
    files: Sequence[str], format: str = "auto", contexts: Sequence[str] = ()
) -> list[PreferencePair]:
    """Read every preference file and print each file's read report."""
    from mom_micro.rewards import read_preference_files

    pairs, reports = read_preference_files(files, format, contexts)  # type: ignore[arg-type]
    for report in reports:
        print(report.summary())
    return pairs


# The command bodies import torch-backed modules when they run, so that building the
# parser (``mom-micro --help``) stays fast.
def _train(args: argparse.Namespace) -> int:
    from mom_micro.rewards import (
        MixtureRewardModel,
        PreferenceFeaturizer,
        Stage1Config,
        Stage2Config,
        budget_rows,
        train_stage1,
        train_stage2,
    )

    pairs = read_pair_files(args.files, args.format, args.context)
    featurizer = PreferenceFeaturizer.from_backbone(args.backbone)
    model = MixtureRewardModel.create(featurizer, n_heads=args.heads, seed=args.seed)
    features = featurizer.featurize(pairs)
    result = train_stage1(model, features, Stage1Config(epochs=args.epochs, seed=args.seed))
    print(
        f"stage 1: {result.pairs} pairs, best epoch {result.best_epoch + 1}, {result.seconds:.1f} s"
    )
    with_context = [i for i, c in enumerate(features.contexts) if c is not None]
    if args.budget > 0 and with_context:
        rows = budget_rows(features.contexts, args.budget, args.seed)
        stage2 = train_stage2(
            model, features.subset(rows), Stage2Config(tau=args.tau, seed=args.seed)
        )
        print(
            f"stage 2: {stage2.pairs} labelled pairs over contexts {model.stage2_contexts}, "
            f"{stage2.seconds:.1f} s"
        )
    print(f"model written to {model.save(args.out)}")
    return 0


def _rank(args: argparse.Namespace) -> int:
    responses = list(args.responses)
    if args.responses_file:
        responses += [
            line.rstrip("\n")
            for line in Path(args.responses_file).read_text(encoding="utf-8").splitlines()
            if line.strip()
        ]
    if not responses:
        raise ValueError("give at least one response (arguments or --responses-file)")
    from mom_micro.rewards import MixtureRewardModel, UserProfileStore

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
        "Hugging Face causal LM / reward model path",
    )
    parser.add_argument(
        "--heads", type=int, default=10, help="number of reward heads K (default 10)"
    )
    parser.add_argument("--epochs", type=int, default=10, help="stage-1 epochs, early-stopped (10)")
    parser.add_argument("--tau", type=float, default=1e-3, help="stage-2 Hedge temperature (1e-3)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (0)")


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``reward train`` and ``reward rank`` to the ``mom-micro`` sub-commands ``sub``."""
    reward = sub.add_parser(
        "reward",
        help="train and use a personalized (MiCRo) reward model",
        description="Train a MiCRo mixture reward model and rank responses.",
    )
    reward_sub = reward.add_subparsers(dest="reward_command", required=True, metavar="COMMAND")

    train = reward_sub.add_parser(
        "train",
        help="train stage 1 on preference files, then stage 2 on B pairs per context",
        description="Stage 1 (mixture of K heads, prompt router) on every pair; stage 2 "
        "(context router, Hedge) on --budget labelled pairs per context, if pairs have contexts.",
    )
    train.add_argument("files", nargs="+", help="preference files (JSONL, CSV, HH, DSP, LLMBar)")
    train.add_argument("--out", required=True, help="folder to write the model into")
    train.add_argument(
        "--budget",
        type=int,
        default=50,
        help="stage-2 labelled pairs per context (0 skips stage 2; default 50)",
    )
    add_input_options(train)
    train.set_defaults(func=_train)

    rank = reward_sub.add_parser(
        "rank",
        help="rank responses to a prompt for a context / user",
        description="Score responses with a trained model, best first.",
    )
    rank.add_argument("--model", required=True, help="folder written by `reward train`")
    rank.add_argument("--prompt", required=True, help="the prompt")
    rank.add_argument("responses", nargs="*", help="candidate responses")
    rank.add_argument("--responses-file", help="more responses, one per line")
    rank.add_argument("--context", help="the user's context / criteria (unseen: router prior)")
    rank.add_argument("--user", help="user id whose profile personalises the routing")
    rank.add_argument("--profiles", help="JSON profile store (with --user)")
    rank.add_argument("--json", action="store_true", help="print JSON instead of a list")
    rank.set_defaults(func=_rank)
