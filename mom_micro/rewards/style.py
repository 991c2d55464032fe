"""The style block: what a response looks like, measured, not embedded.

Sentence embeddings carry what a text is *about* and barely see how long it is, whether
it is a list or prose, whether it refuses, hedges or asks back; preferences are often
about exactly that ("short answers", "step by step", "no lecturing"). The featurizer
joins these measurements of each (prompt, response) to the backbone's features; the
model's feature scaler standardises them with the rest, so every entry is on the same
footing for the heads.

Each entry of :func:`style_features`, in the order of :data:`STYLE_FEATURES`:

==================  ===================================================================
``words``           ``log(1 + words)``
``sentences``       ``log(1 + sentences)``
``sentence_words``  ``log(1 + words / sentences)``: long or short sentences
``lines``           ``log(1 + non-empty lines)``: one paragraph or many
``list_items``      ``log(1 + lines opening with a bullet: - * + •)``
``numbered``        ``log(1 + lines opening with 1. 2) a) or "Step 3")``
``sequencers``      ``log(1 + first / second / then / next / finally / step ...)``
``code``            ``log(1 + code fences, inline code spans and code-like lines)``
``hedges``          share of sentences with a hedge (might, perhaps, I think, ...)
``refusals``        ``log(1 + refusal phrases: "I'm sorry", "I can't", "as an AI" ...)``
``questions``       ``log(1 + question marks)``
``exclamations``    ``log(1 + exclamation marks)``
``you``             share of words addressing the reader (you, your, ...)
``i``               share of words about the writer (I, me, my, ...)
``digits``          share of words with a digit (figures, dates, quantities)
``word_chars``      mean characters per word (plain or learned vocabulary)
``distinct``        distinct words / words (repetition)
``links``           ``log(1 + URLs)``
``on_prompt``       share of the response's terms that occur in the prompt
``covers_prompt``   share of the prompt's terms that occur in the response
==================  ===================================================================

Counts are log-scaled so that a 2,000-word answer is not 100 times a 20-word one;
shares are in ``[0, 1]``; an empty text gives zeros. Everything is plain regular
expressions over the text (:mod:`mom_micro.text` for words, terms and sentences), a few
microseconds per text, so nothing is cached.

Example:
    >>> values = style_features("How do I boil an egg?", "- Boil water.\\n- Add the egg.")
    >>> dict(zip(STYLE_FEATURES, values))["list_items"] == math.log1p(2)   # two bullets
    True
    >>> len(values) == STYLE_DIM
    True
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import torch

from mom_micro.text import count_words, split_sentences, terms, word_tokens

__all__ = ["STYLE_DIM", "STYLE_FEATURES", "STYLE_VERSION", "style_features", "style_matrix"]

#: Bumped whenever an entry changes: it is part of the featurizer's name, so a model
#: trained on another style block is refused rather than fed different numbers.
STYLE_VERSION = 1

STYLE_FEATURES = (
    "words",
    "sentences",
    "sentence_words",
    "lines",
    "list_items",
    "numbered",
    "sequencers",
    "code",
    "hedges",
    "refusals",
    "questions",
    "exclamations",
    "you",
    "i",
    "digits",
    "word_chars",
    "distinct",
    "links",
    "on_prompt",
    "covers_prompt",
)
STYLE_DIM = len(STYLE_FEATURES)

_BULLET = re.compile(r"^\s*[-*+\u2022\u25cf\u25aa]\s+\S")
_NUMBERED = re.compile(r"^\s*(?:\(?\d{1,3}[.)]|\(?[a-zA-Z][.)]|step\s+\d+\s*[:.)-]?)\s+\S", re.I)
_SEQUENCERS = re.compile(
    r"\b(?:first(?:ly)?|second(?:ly)?|third(?:ly)?|then|next|afterwards|finally|lastly|step)\b",
    re.I,
)
_CODE_FENCE = re.compile(r"```")
_INLINE_CODE = re.compile(r"`[^`\n]+`")
_CODE_LINE = re.compile(r"^(?: {4}|\t)\S|[;{}]\s*$|^\s*(?:def|class|import|return|for|if)\b.*[:(]")
_HEDGE = re.compile(
    r"\b(?:might|may|perhaps|possibly|probably|likely|maybe|could|generally|usually|"
    r"i think|i believe|i guess|not sure|it depends|seems?)\b",
    re.I,
)
_REFUSAL = re.compile(
    r"\b(?:i'?m sorry|i am sorry|sorry,|i can(?:'|no)t|i cannot|i won'?t|i will not|"
    r"i'?m (?:not able|unable)|i am (?:not able|unable)|as an ai|i don'?t (?:know|think i should)|"
    r"not appropriate|i'?d rather not|i do not)\b",
    re.I,
)
_URL = re.compile(r"https?://|www\.", re.I)
_YOU = frozenset("you your yours yourself yourselves you're youre you've you'll you'd".split())
_I = frozenset("i me my mine myself i'm im i've i'll i'd".split())


def _log1p(count: int | float) -> float:
    return math.log1p(count)


def style_features(prompt: str, response: str) -> list[float]:
    """The style block of ``response`` as an answer to ``prompt`` (module docstring).

    Example:
        >>> round(style_features("Hi", "Hello! How are you?")[STYLE_FEATURES.index("questions")], 3)
        0.693
    """
    n_words = count_words(response)
    if n_words == 0:
        return [0.0] * STYLE_DIM
    lines = [line for line in response.splitlines() if line.strip()]
    sentences = split_sentences(response)
    n_sentences = max(len(sentences), 1)
    tokens = word_tokens(response)
    n_tokens = max(len(tokens), 1)
    response_terms = set(terms(response))
    prompt_terms = set(terms(prompt))
    hedged = sum(1 for s in sentences if _HEDGE.search(response[s.start : s.end]))
    code = (
        len(_CODE_FENCE.findall(response))
        + len(_INLINE_CODE.findall(response))
        + sum(1 for line in lines if _CODE_LINE.search(line))
    )
    return [
        _log1p(n_words),
        _log1p(len(sentences)),
        _log1p(n_words / n_sentences),
        _log1p(len(lines)),
        _log1p(sum(1 for line in lines if _BULLET.match(line))),
        _log1p(sum(1 for line in lines if _NUMBERED.match(line))),
        _log1p(len(_SEQUENCERS.findall(response))),
        _log1p(code),
        hedged / n_sentences,
        _log1p(len(_REFUSAL.findall(response))),
        _log1p(response.count("?")),
        _log1p(response.count("!")),
        sum(1 for t in tokens if t in _YOU) / n_tokens,
        sum(1 for t in tokens if t in _I) / n_tokens,
        sum(1 for t in tokens if any(ch.isdigit() for ch in t)) / n_tokens,
        sum(len(t) for t in tokens) / n_tokens,
        len(set(tokens)) / n_tokens,
        _log1p(len(_URL.findall(response))),
        len(response_terms & prompt_terms) / max(len(response_terms), 1),
        len(response_terms & prompt_terms) / max(len(prompt_terms), 1),
    ]


def style_matrix(prompts: Sequence[str], responses: Sequence[str]) -> torch.Tensor:
    """:func:`style_features` of each ``(prompts[i], responses[i])``, shape ``(n, STYLE_DIM)``.

    Example:
        >>> style_matrix(["Hi"], ["Hello."]).shape
        torch.Size([1, 20])
    """
    rows = [style_features(p, r) for p, r in zip(prompts, responses, strict=True)]
    return torch.tensor(rows, dtype=torch.float32).reshape(len(rows), STYLE_DIM)
