"""Steps 4-6 of the demo: a small MiCRo model on the shipped answer styles, two users'
choices, and SmolLM2's answers ranked for each user.

``answer_styles.jsonl`` (beside this module) is **synthetic demo data written for
mom-micro**, not a measurement of real users: 40 everyday questions, each with a
one-sentence answer and a thorough step-by-step answer, labelled once for a user who
wants short, direct answers and once for one who wants thorough explanations (80 pairs,
``"synthetic": true`` on every row).

Example:
    >>> model, accuracy, train = train_style_model(Path("demo"), print)   # doctest: +SKIP
    >>> users_choose(model, train, print)                                 # doctest: +SKIP
"""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .display import snippet

__all__ = [
    "STYLES",
    "STYLE_DATA",
    "USERS",
    "answer_for_users",
    "plot_head_weights",
    "train_style_model",
    "users_choose",
    "with_short_versions",
]

STYLE_DATA = Path(__file__).with_name("answer_styles.jsonl")

#: The answer instructions cycled over the candidate answers, so that they differ in
#: the way the demo users' preferences do.
STYLES = ("Answer in one short sentence.", "Explain it thoroughly, step by step.")

#: The demo users and their preference: the stated context of the pairs whose chosen
#: answer they pick.
USERS = {
    "ana": "I want short, direct answers.",
    "ben": "I want thorough, step-by-step explanations.",
}


def train_style_model(
    workdir: Path, out: Callable[[str], None]
) -> tuple[Any, dict[str, float], list]:
    """Train K=4 heads on the shipped answer styles (8 questions held out), save the
    model under ``workdir/micro``; return it, its held-out accuracy per context, and the
    training pairs."""
    from mom_micro.rewards import (
        PreferenceFeaturizer,
        RecipeConfig,
        Stage1Config,
        evaluate,
        read_preferences,
        train_reward_model,
    )

    pairs, _ = read_preferences(STYLE_DATA)
    prompts = sorted({p.prompt for p in pairs})
    random.Random(0).shuffle(prompts)
    held_out = set(prompts[:8])
    train = [p for p in pairs if p.prompt not in held_out]
    test = [p for p in pairs if p.prompt in held_out]
    out(
        f"{STYLE_DATA.name}: {len(pairs)} synthetic pairs ({len(prompts)} questions x 2 "
        f"stated preferences); training on {len(train)}, holding out {len(test)} "
        f"({len(held_out)} questions)"
    )
    # the recipe `mom-micro reward train` ships (context-aware stage-1 router: these pairs
    # flip with the stated preference on the same question), with more, faster epochs
    # for 64 pairs; no stage 2: the users below state no context, they make choices
    fast = Stage1Config(epochs=30, patience=30, val_fraction=0, lr=1e-2, alpha=0.1, progress=False)
    featurizer = PreferenceFeaturizer.minilm()
    model, _ = train_reward_model(
        train, featurizer, RecipeConfig(heads=4, context_stage1="on", stage1_ctx=fast, budget=0)
    )
    report = evaluate(model, featurizer.featurize(test))
    for context, accuracy in sorted(report.per_context.items()):
        count = report.counts[context]
        out(f"  held-out accuracy for {context!r}: {round(accuracy * count)}/{count}")
    path = model.save(workdir / "micro")
    model.profiles = model.profile_store()  # in memory: the demo users start afresh
    out(
        f"  K=4 heads on MiniLM features and the style block (length, sentences, lists, "
        f"steps, ...), the context-aware stage-1 router; saved to {path} (safetensors + JSON)"
    )
    return model, report.per_context, train


def users_choose(
    model: Any, train: list, question: str, out: Callable[[str], None], choices: int = 6
) -> dict[str, list[float]]:
    """Each demo user records ``choices`` of their preferred answers (online weights, no
    stated context); return the head weights for ``question`` before any choice and per
    user after, and print the style entries each user's weights moved most."""
    from mom_micro.rewards import STYLE_FEATURES

    heads = model.config.n_heads
    prior = model.weights(question)[:heads].tolist()
    weights = {"before any choice": prior}
    out(
        "  before any choice (stage-1 router, no context): head weights "
        + " ".join(f"{w:+.2f}" for w in prior)
    )
    for user, wants in USERS.items():
        for pair in [p for p in train if p.context == wants][:choices]:
            model.record_feedback(user, pair.prompt, pair.chosen, pair.rejected)
        everything = model.weights(question, user=user).tolist()
        weights[user] = everything[:heads]
        style = sorted(zip(STYLE_FEATURES, everything[heads:]), key=lambda kv: -abs(kv[1]))[:3]
        out(
            f"  {user} ({wants!r}) picked {choices} answers; head weights now "
            + " ".join(f"{w:+.2f}" for w in weights[user])
            + "; style weights moved most: "
            + ", ".join(f"{name} {w:+.2f}" for name, w in style)
        )
    return weights


def plot_head_weights(weights: dict[str, list[float]], path: Path) -> Path:
    """A bar chart of each user's head weights, written to ``path`` (PNG)."""
    from mom_micro.figures import atomic_write_figure, pyplot

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 3.5))
    heads = range(len(next(iter(weights.values()))))
    width = 0.8 / len(weights)
    for j, (user, values) in enumerate(weights.items()):
        ax.bar(
            [k + j * width for k in heads],
            values,
            width,
            label=f"{user}: {USERS[user]}" if user in USERS else user,
        )
    ax.set_xticks([k + 0.4 - width / 2 for k in heads], [f"head {k + 1}" for k in heads])
    ax.set_ylabel("weight in the reward (router + the user's online weight)")
    ax.axhline(0, color="grey", lw=0.8)
    ax.set_title("MiCRo head weights per user (synthetic demo data)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return atomic_write_figure(path, fig)


def with_short_versions(answers: list[str]) -> list[str]:
    """``answers``, then the first sentence of each answer that has more than one (a
    135M model asked for one short sentence seldom writes one; the short versions give
    the users' rankings that choice).

    Example:
        >>> with_short_versions(["Use a server. Start it with chroma run.", "Yes."])
        ['Use a server. Start it with chroma run.', 'Yes.', 'Use a server.']
    """
    from mom_micro.text import split_sentences

    shorts = []
    for answer in answers:
        sentences = split_sentences(answer)
        if len(sentences) > 1:
            first = answer[sentences[0].start : sentences[0].end]
            if first not in answers and first not in shorts:
                shorts.append(first)
    return answers + shorts


def answer_for_users(
    index: Any,
    model: Any,
    question: str,
    n_answers: int,
    max_new_tokens: int,
    out: Callable[[str], None],
) -> tuple[list[str], dict[str, str]]:
    """SmolLM2 writes ``n_answers`` answers from the retrieved memory (through the
    memory-RAG chain); they and their one-sentence versions are ranked for each demo
    user. Return the candidates and each user's best."""
    from mom_micro.chains import memory_rag_chain
    from mom_micro.plugins.langchain import LocalChatModel, MoMRetriever, PersonalizedRanker

    ranker = PersonalizedRanker(model=model)
    llm = LocalChatModel(temperature=0.7, max_new_tokens=max_new_tokens)
    chain = memory_rag_chain(
        MoMRetriever(index=index, k=2), llm, ranker, n=n_answers, styles=STYLES
    )
    out(
        f"Q: {question}\nSmolLM2-135M writes {n_answers} answers from the retrieved memory "
        f"(styles cycled: {' / '.join(STYLES)}); each is also offered cut to its first "
        "sentence ..."
    )
    result = chain.invoke({"question": question, "user": next(iter(USERS))})
    answers = [c.text for c in sorted(result["ranking"].candidates, key=lambda c: c.index)]
    texts = with_short_versions(answers)
    for i, text in enumerate(texts):
        out(f"  [{i + 1}] {snippet(text, 220)}")
    best = {}
    for user in USERS:
        ranking = ranker.invoke({"prompt": question, "candidates": texts, "user": user})
        order = " > ".join(f"[{c.index + 1}]" for c in ranking.candidates)
        out(f"  {user}: {order}   best: [{ranking.best.index + 1}]")
        best[user] = ranking.best.text
    return texts, best
