"""``mom-micro bench style``: can the shipped model learn a plain style preference?

Style preferences are built from real answers, so that only the style differs between
the two responses of a pair: for every prompt whose preferred answer has at least three
sentences,

- **length**: its first sentence against the whole answer, preferred by the context
  ``"short answers"`` one way and by ``"long answers"`` the other way;
- **format**: the same sentences as a bulleted list (``"- "`` per line) against one
  paragraph, preferred by ``"lists"`` and by ``"prose"``.

For each contrast, ``train_pairs`` pairs (half per context, on the same prompts, so the
preference flips on every prompt) train the model ``reward train`` ships
(:func:`~mom_micro.rewards.recipe.train_reward_model`); accuracy is measured on prompts
held out from training.

Example:
    >>> result = run_style_benchmark(pairs, PreferenceFeaturizer.minilm())  # doctest: +SKIP
    >>> result["contrasts"]["length"]["per_context"]                        # doctest: +SKIP
    {'long answers': 1.0, 'short answers': 1.0}
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from mom_micro.rewards.config import RecipeConfig
from mom_micro.rewards.data import PreferencePair
from mom_micro.rewards.errors import RewardsError
from mom_micro.rewards.evaluation import evaluate
from mom_micro.rewards.featurizer import PreferenceFeaturizer
from mom_micro.rewards.recipe import train_reward_model
from mom_micro.text import split_sentences

from .outputs import write_outputs

__all__ = [
    "CONTRASTS",
    "StyleBenchConfig",
    "render_style_markdown",
    "run_style_benchmark",
    "style_pairs",
    "write_style_outputs",
]

#: Each contrast: its two contexts, the first preferring the first rendering.
CONTRASTS = {
    "length": ("short answers", "long answers"),
    "format": ("lists", "prose"),
}


def _renderings(answer: str) -> dict[str, tuple[str, str]] | None:
    sentences = [answer[s.start : s.end] for s in split_sentences(answer) if not s.heading]
    if len(sentences) < 3:
        return None
    prose = " ".join(sentences)
    return {
        "length": (sentences[0], prose),
        "format": ("\n".join(f"- {s}" for s in sentences), prose),
    }


def style_pairs(answers: Sequence[tuple[str, str]], contrast: str) -> list[PreferencePair]:
    """Two pairs per ``(prompt, answer)`` with three or more sentences, one per context of
    ``contrast`` (module docstring), the answer rendered both ways.

    Example:
        >>> pairs = style_pairs([("Why?", "It rains. Clouds form. Drops fall.")], "length")
        >>> [(p.chosen, p.context) for p in pairs]
        [('It rains.', 'short answers'), ('It rains. Clouds form. Drops fall.', 'long answers')]
    """
    first, second = CONTRASTS[contrast]
    pairs = []
    for prompt, answer in answers:
        ways = _renderings(answer)
        if ways is None:
            continue
        a, b = ways[contrast]
        if a != b:
            pairs += [PreferencePair(prompt, a, b, first), PreferencePair(prompt, b, a, second)]
    return pairs


@dataclass
class StyleBenchConfig:
    """``train_pairs`` per contrast (both contexts together), ``test_prompts`` held out,
    and the recipe that trains (the shipped one, by default)."""

    train_pairs: int = 100
    test_prompts: int = 100
    seed: int = 0
    recipe: RecipeConfig = field(default_factory=RecipeConfig)

    def __post_init__(self) -> None:
        if self.train_pairs < 2 or self.test_prompts < 1:
            raise ValueError("train_pairs must be >= 2 and test_prompts >= 1")


def run_style_benchmark(
    source: Sequence[PreferencePair],
    featurizer: PreferenceFeaturizer,
    config: StyleBenchConfig | None = None,
) -> dict[str, Any]:
    """Build both contrasts from the preferred answers of ``source``, train on
    ``train_pairs`` of each, and return the held-out accuracy per context."""
    config = config or StyleBenchConfig()
    answers = list(dict.fromkeys((p.prompt, p.chosen) for p in source))
    answers = [a for a in answers if _renderings(a[1]) is not None]
    by_prompt: dict[str, str] = {}
    for prompt, answer in answers:
        by_prompt.setdefault(prompt, answer)
    prompts = sorted(by_prompt)
    random.Random(config.seed).shuffle(prompts)
    n_train = config.train_pairs // 2
    if len(prompts) < n_train + config.test_prompts:
        raise RewardsError(
            f"{len(prompts)} prompts with an answer of three or more sentences; the style "
            f"benchmark needs {n_train} to train on and {config.test_prompts} to test on"
        )
    train_answers = [(p, by_prompt[p]) for p in prompts[:n_train]]
    test_answers = [(p, by_prompt[p]) for p in prompts[n_train : n_train + config.test_prompts]]
    contrasts = {}
    for contrast in CONTRASTS:
        train = style_pairs(train_answers, contrast)
        test = style_pairs(test_answers, contrast)
        model, report = train_reward_model(train, featurizer, config.recipe)
        contrasts[contrast] = {
            **evaluate(model, featurizer.featurize(test)).to_dict(),
            "train_pairs": len(train),
            "context_stage1": report.context_stage1,
        }
    return {
        "contrasts": contrasts,
        "setup": {
            "backbone": featurizer.name,
            "source_prompts": len(prompts),
            "seed": config.seed,
            "train_pairs": config.train_pairs,
            "test_prompts": config.test_prompts,
            "recipe": asdict(config.recipe),
        },
    }


def render_style_markdown(result: dict[str, Any]) -> str:
    """One row per contrast: held-out accuracy of each of its contexts."""
    lines = ["| contrast | context | held-out accuracy | test pairs |", "|---|---|---:|---:|"]
    for contrast, row in result["contrasts"].items():
        for context, accuracy in row["per_context"].items():
            lines.append(f"| {contrast} | {context} | {accuracy:.3f} | {row['counts'][context]} |")
    setup = result["setup"]
    lines += [
        "",
        f"Backbone `{setup['backbone']}`; {setup['train_pairs']} training pairs per contrast "
        f"({setup['train_pairs'] // 2} prompts, both contexts), {setup['test_prompts']} "
        "held-out prompts; the model `reward train` ships.",
    ]
    return "\n".join(lines) + "\n"


def write_style_outputs(result: dict[str, Any], out: str | Path) -> list[Path]:
    """Write ``out`` (JSON) and ``out.md`` beside it."""
    return write_outputs(result, out, render_style_markdown(result))
