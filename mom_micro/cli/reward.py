"""``mom-micro reward train | rank | choose``: a MiCRo model on the command line.

Example:
    $ mom-micro reward train prefs.jsonl --out my-reward
    $ mom-micro reward rank --model my-reward --prompt "Hi" --user ana --profiles p.json \\
        "Hello!" "Hello! I'm glad you asked; let me tell you everything..."
    $ mom-micro reward choose --model my-reward --profiles p.json --user ana --prompt "Hi" \\
        --chosen "Hello!" --rejected "Hello! I'm glad you asked; ..."
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from . import profile
from .options import count
from .preference_options import (
    add_input_options,
    add_split_options,
    add_tuning_options,
    prompt_side,
    read_pair_files,
    recipe_from_args,
    tuned_featurizer,
)

#: Where ``reward train --tune-backbone`` writes the tuned backbone, inside the model folder.
TUNED_BACKBONE = "backbone"

__all__ = ["register"]


# The command bodies import torch-backed modules when they run, so that building the
# parser (``mom-micro --help``) stays fast.
def _train(args: argparse.Namespace) -> int:
    from mom_micro.rewards import train_reward_model

    pairs = prompt_side(read_pair_files(args.files, args.format, args.context), args, False)
    featurizer, _ = tuned_featurizer(args, pairs, Path(args.out) / TUNED_BACKBONE)
    model, report = train_reward_model(pairs, featurizer, recipe_from_args(args))
    router = (
        "context-aware router (reads the context labels)"
        if report.context_stage1
        else ("prompt router (the paper's)")
    )
    print(
        f"stage 1, {router}: {report.stage1.pairs} pairs, best epoch "
        f"{report.stage1.best_epoch + 1}, {report.stage1.seconds:.1f} s"
    )
    if report.ctx_alpha_accuracy:
        tried = ", ".join(f"{a:g}: {acc:.3f}" for a, acc in report.ctx_alpha_accuracy.items())
        print(f"entropy weight {report.ctx_alpha:g} kept (held-out accuracy {tried})")
    if report.stage2 is not None:
        dropped = report.stage2.dropped_contexts
        print(
            f"stage 2: {report.stage2.pairs} labelled pairs; routing learnt for contexts "
            f"{model.stage2_contexts}"
            + (
                f"; kept the stage-1 routing for {dropped} (stage 2 did not validate)"
                if dropped
                else ""
            )
            + f", {report.stage2.seconds:.1f} s"
        )
    print(f"model written to {model.save(args.out)}")
    return 0


def _load(model_dir: str, profiles: str | None) -> Any:
    from mom_micro.rewards import MixtureRewardModel

    model = MixtureRewardModel.load(model_dir, disk_cache=False)  # a few texts: embed them
    if profiles:
        model.profiles = model.profile_store(profiles)
    return model


def _check_user(args: argparse.Namespace) -> None:
    if args.user is not None and not args.user.strip():
        raise ValueError("--user must be a non-empty name")
    if args.user is not None and not args.profiles:
        raise ValueError("--user needs --profiles FILE.json (the users' recorded choices)")


def _rank(args: argparse.Namespace) -> int:
    from mom_micro.rewards import bounded_scores

    responses = list(args.responses)
    if args.responses_file:
        path = Path(args.responses_file)
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except UnicodeDecodeError as exc:
            raise ValueError(
                f"{path} is not UTF-8 text (byte {exc.start}: {exc.reason}); save it as UTF-8"
            ) from exc
        responses += [line for line in lines if line.strip()]
    if not responses:
        raise ValueError("give at least one response (arguments or --responses-file)")
    _check_user(args)
    model = _load(args.model, args.profiles if args.user else None)
    weights = model.weights(args.prompt, context=args.context, user=args.user)
    scores = bounded_scores(model.basis(args.prompt, responses) @ weights, responses)
    if args.user:
        model.profiles.note_ranking(args.user, args.prompt, responses)
    ranked = sorted(zip(scores, responses, strict=True), key=lambda item: -item[0])
    heads = model.config.n_heads
    if args.json:
        print(
            json.dumps(
                {
                    "prompt": args.prompt,
                    "context": args.context,
                    "user": args.user,
                    "head_weights": weights[:heads].tolist(),
                    "style_weights": weights[heads:].tolist(),
                    "ranking": [{"score": s, "response": r} for s, r in ranked],
                },
                ensure_ascii=False,
            )
        )
    else:
        for rank, (score, response) in enumerate(ranked, 1):
            print(f"{rank}. {score:+.4f}  {response}")
    return 0


def _choose(args: argparse.Namespace) -> int:
    _check_user(args)
    if args.chosen == args.rejected:
        raise ValueError("--chosen and --rejected are the same response")
    model = _load(args.model, args.profiles)
    for flag, response in (("--chosen", args.chosen), ("--rejected", args.rejected)):
        if not model.profiles.was_ranked(args.user, args.prompt, response):
            raise ValueError(
                f"{flag} {response[:60]!r} was not ranked for user {args.user!r} and this "
                f"prompt; rank it first (mom-micro reward rank --user {args.user} --profiles "
                f"{args.profiles} ...)"
            )
    profile = model.record_feedback(
        args.user, args.prompt, args.chosen, args.rejected, context=args.context
    )
    print(
        f"{args.user}: {profile.updates} choices recorded in {args.profiles}; head weights "
        + " ".join(
            f"{w:+.3f}"
            for w in model.weights(args.prompt, args.context, args.user)[
                : model.config.n_heads
            ].tolist()
        )
    )
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``reward train``, ``reward rank`` and ``reward choose`` to the ``mom-micro``
    sub-commands ``sub``."""
    reward = sub.add_parser(
        "reward",
        help="train and use a personalized (MiCRo) reward model",
        description="Train a MiCRo mixture reward model, rank responses, record choices.",
    )
    reward_sub = reward.add_subparsers(dest="reward_command", required=True, metavar="COMMAND")

    train = reward_sub.add_parser(
        "train",
        help="train stage 1 on preference files, then stage 2 on B pairs per context",
        description="Stage 1 (K heads and a router) on every pair: the context-aware router "
        "when the pairs carry two or more contexts (--context-stage1 auto), else the paper's "
        "prompt router; then stage 2 (Hedge) on --budget labelled pairs per context, kept for "
        "a context only where it validates on those labels.",
    )
    train.add_argument("files", nargs="+", help="preference files (JSONL, CSV, HH, DSP, LLMBar)")
    train.add_argument("--out", required=True, help="folder to write the model into")
    train.add_argument(
        "--budget",
        type=count(0),
        default=50,
        help="stage-2 labelled pairs per context (0 skips stage 2; default 50)",
    )
    train.add_argument(
        "--context-stage1",
        choices=("auto", "on", "off"),
        default="auto",
        help="the context-aware stage-1 router: auto (default: when the pairs carry two or "
        "more contexts), on, or off (the paper's prompt router)",
    )
    add_input_options(train)
    add_tuning_options(train)
    add_split_options(train, "training")
    train.set_defaults(func=_train)

    rank = reward_sub.add_parser(
        "rank",
        help="rank responses to a prompt for a context / user",
        description="Score responses with a trained model, best first. With --user and "
        "--profiles the user's recorded choices personalise the ranking, and the ranking is "
        "noted so that `reward choose` can record the user's pick among these responses.",
    )
    rank.add_argument("--model", required=True, help="folder written by `reward train`")
    rank.add_argument("--prompt", required=True, help="the prompt")
    rank.add_argument("responses", nargs="*", help="candidate responses")
    rank.add_argument("--responses-file", help="more responses, one per line")
    rank.add_argument("--context", help="the user's context / criteria (unseen: router prior)")
    rank.add_argument("--user", help="user id whose profile personalises the ranking")
    rank.add_argument("--profiles", help="JSON profile store (with --user)")
    rank.add_argument(
        "--json", action="store_true", help="print JSON (ranking and the weights used)"
    )
    rank.set_defaults(func=_rank)

    choose = reward_sub.add_parser(
        "choose",
        help="record that a user preferred one ranked response over another",
        description="Add 'USER preferred --chosen over --rejected for --prompt' to the "
        "user's profile and refit their online weights. Both responses must have been "
        "ranked for this user and prompt by `reward rank --user ... --profiles ...`. Safe "
        "when several processes record at once: no choice is lost.",
    )
    choose.add_argument("--model", required=True, help="folder written by `reward train`")
    choose.add_argument("--profiles", required=True, help="JSON profile store")
    choose.add_argument("--user", required=True, help="whose choice it is")
    choose.add_argument("--prompt", required=True, help="the prompt the responses answer")
    choose.add_argument("--chosen", required=True, help="the response the user preferred")
    choose.add_argument("--rejected", required=True, help="the response they passed over")
    choose.add_argument("--context", help="the user's stated context, if any (as for rank)")
    choose.set_defaults(func=_choose)
    profile.register(reward_sub)
