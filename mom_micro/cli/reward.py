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
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mom_micro.rewards.config import CONTEXT_ROUTER_ALPHAS, Stage2Config
from mom_micro.rewards.preference_files import FORMATS

from . import profile

#: Where ``reward train --tune-backbone`` writes the tuned backbone, inside the model folder.
TUNED_BACKBONE = "backbone"

if TYPE_CHECKING:
    from mom_micro.rewards import PreferencePair

__all__ = [
    "add_input_options",
    "add_tuning_options",
    "count",
    "fraction",
    "positive_float",
    "read_pair_files",
    "register",
    "split_csv",
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


def count(minimum: int) -> Callable[[str], int]:
    """An argparse ``type``: a whole number ``>= minimum`` (the message names the value)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be >= {minimum}, got {value}")
        return value

    return parse


def number(low: float, high: float = math.inf, closed: bool = False) -> Callable[[str], float]:
    """An argparse ``type``: a finite number in ``(low, high)`` (``[low, high]`` with
    ``closed``); the message names the value."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        inside = low <= value <= high if closed else low < value < high
        if not (math.isfinite(value) and inside):
            bounds = f"[{low}, {high}]" if closed else f"({low}, {high})"
            raise argparse.ArgumentTypeError(f"must be a number in {bounds}, got {text}")
        return value

    return parse


#: argparse ``type`` of a rate or temperature, and of a share of the data.
positive_float = number(0.0)
fraction = number(0.0, 1.0)


def split_csv(text: str) -> list[str]:
    """The non-empty, stripped items of a comma-separated flag value."""
    return [part.strip() for part in text.split(",") if part.strip()]


def whole_numbers(minimum: int) -> Callable[[str], list[int]]:
    """An argparse ``type``: a comma-separated list of whole numbers ``>= minimum`` (the
    message names the item that is not, e.g. ``--budgets: 'a' is not a whole number``)."""
    parse = count(minimum)

    def parse_list(text: str) -> list[int]:
        parts = split_csv(text)
        if not parts:
            raise argparse.ArgumentTypeError(f"{text!r} names no number")
        return [parse(part) for part in parts]

    return parse_list


def weights(text: str) -> list[float]:
    """An argparse ``type``: a comma-separated list of finite numbers >= 0 (a list in
    one argument, so that a file name after the flag is not taken for a number)."""
    parse = number(0.0, closed=True)
    parts = split_csv(text)
    if not parts:
        raise argparse.ArgumentTypeError(f"{text!r} names no number")
    return [parse(part) for part in parts]


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


# The command bodies import torch-backed modules when they run, so that building the
# parser (``mom-micro --help``) stays fast.
def _train(args: argparse.Namespace) -> int:
    from mom_micro.rewards import train_reward_model

    pairs = read_pair_files(args.files, args.format, args.context)
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
