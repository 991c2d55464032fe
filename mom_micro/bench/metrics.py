"""What the benchmarks measure: answer hits and token recall within a word budget.

A QA answer is a *hit* at budget ``B`` when the normalised reference answer occurs in
the first ``B`` words of the retrieved context (items concatenated in rank order);
normalised = lowercase, white space collapsed, punctuation stripped at the ends. *Token
recall* is the share of the answer's word tokens present in that context (for free-form
answers that rarely occur verbatim).
"""

from __future__ import annotations

import math
import re
import string
from collections.abc import Sequence

from mom_micro.text import word_tokens

__all__ = ["answer_hit", "answer_recall", "cut_to_budget", "normalize_answer", "percentile"]

_PUNCT = string.punctuation + "“”‘’"


def normalize_answer(text: str) -> str:
    """Lowercase, collapse white space, strip punctuation (brackets included) at the ends.

    Example:
        >>> normalize_answer("  Mother-to-child   Transmission. ")
        'mother-to-child transmission'
        >>> normalize_answer("(MTCT)")
        'mtct'
    """
    return re.sub(r"\s+", " ", text.lower()).strip().strip(_PUNCT).strip()


def answer_hit(context: str, answers: Sequence[str]) -> bool:
    """Whether any normalised answer occurs in the (white-space collapsed) context.

    Example:
        >>> answer_hit("The virus spreads by droplets.", ["spreads by  Droplets."])
        True
    """
    haystack = re.sub(r"\s+", " ", context.lower())
    return any(normalize_answer(a) and normalize_answer(a) in haystack for a in answers)


def answer_recall(context: str, answers: Sequence[str]) -> float:
    """Best share, over the answers, of an answer's word tokens present in the context.

    Example:
        >>> answer_recall("relu and tanh are used", ["relu, selu, tanh"])
        0.6666666666666666
    """
    present = set(word_tokens(context))
    best = 0.0
    for answer in answers:
        tokens = word_tokens(answer)
        if tokens:
            best = max(best, sum(t in present for t in tokens) / len(tokens))
    return best


def cut_to_budget(texts: Sequence[str], budget: int) -> str:
    """The retrieved ``texts`` joined in rank order and cut at ``budget`` words.

    Example:
        >>> cut_to_budget(["one two three", "four five"], 4)
        'one two three four'
    """
    words: list[str] = []
    for text in texts:
        words.extend(text.split())
        if len(words) >= budget:
            break
    return " ".join(words[:budget])


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-quantile of ``values`` by linear interpolation (NaN when empty).

    Example:
        >>> percentile([10, 20, 30, 40], 0.5)
        25.0
    """
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    pos = (len(ordered) - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)
