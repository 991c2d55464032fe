"""Titles of a memory's parts, as a person would write an outline of the document.

The rule, in order (:func:`unit_title`):

1. **A part that opens with a heading** is titled by it, with the headings above it:
   ``ARTICLE 2 — GRANT OF RIGHTS > 2.1 Hosting Software License`` (the last
   :data:`PATH_DEPTH` levels); when it opens with a heading and a subsection right under
   it, by the subsection's path. When small neighbouring sections share the part, the
   other headings it holds follow after ``; `` (each once).
2. **A later part of a long section** carries the section's heading path, then what
   the part opens with, stopped before a word the path already has:
   ``Water Treatment — Chlorine is added at the plant``.
3. **A part under no heading** is titled by its opening phrase alone.

The opening phrase (:func:`topic_phrase`) is taken from the part's topic sentence
(:func:`topic_sentence`): its first sentence that is not a heading and begins as a
sentence does (a capital or a digit, after list marks and Markdown emphasis), not in the
middle of one nor in a code fence; from its start to the first clause
break (``,`` ``;`` ``:`` a dash, or "which", "that", "because"... after three words), at
most :data:`PHRASE_WORDS` words, stopped before any word it already holds and before
trailing function words. A run-in label ("Results. We saw...") is the phrase itself.
Examples: "The plant draws water from two wells, which ..." gives "The plant draws
water from two wells"; "Results. We saw a rise." gives "Results".

Never a keyword bag: every title is words the document wrote, in its order.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence

from mom_micro.structure import Heading
from mom_micro.text import STOP_WORDS

__all__ = [
    "PATH_DEPTH",
    "PHRASE_WORDS",
    "heading_path",
    "topic_phrase",
    "topic_sentence",
    "unit_title",
]

#: The most heading levels a title shows (the deepest ones).
PATH_DEPTH = 3
#: The most words of an opening phrase.
PHRASE_WORDS = 8
_RUN_IN_LABEL = re.compile(r"^([A-Z][\w\-/&' ]{1,40}?)[:.]\s+\S")
_LIST_MARK = re.compile(r"^(?:[-*•]\s+|\(?(?:\d{1,3}|[a-zA-Z]|[ivxIVX]{1,4})[.)]\s+)")
_CLAUSE_WORDS = frozenset(
    "which that because where when while although though whereas so but unless".split()
)
_MIN_CLAUSE = 3
_MARKUP = re.compile(r"\*\*|__|[*`>#]")
_EDGES = re.compile(r"^[^\w]+|[^\w]+$")
_CLAUSE_END = re.compile(r"[,;:.!?][\"'”’)\]]*$")
#: A line of code or of a table is no topic sentence.
_NOT_PROSE = re.compile(r"^\s*(?:```|\|)")
_WORD = re.compile(r"[^\W\d_]{2,}")


def _plain(sentence: str) -> str:
    """``sentence`` without Markdown emphasis, code marks and quote marks, spaces collapsed."""
    return " ".join(_MARKUP.sub("", sentence).split())


def topic_sentence(sentences: Sequence[str]) -> str:
    """The first of ``sentences`` that begins as a sentence does, else the first with a
    word of letters, else "".

    Example:
        >>> topic_sentence(["and the rest of it.", "```python", "- **Ranking**: a mixture."])
        '- **Ranking**: a mixture.'
    """
    worded = [s for s in sentences if _WORD.search(_plain(s)) and not _NOT_PROSE.match(s)]
    for sentence in worded:
        start = _LIST_MARK.sub("", _plain(sentence))[:1]
        if start.isupper() or start.isdigit():
            return sentence
    return worded[0] if worded else ""


def topic_phrase(sentence: str, avoid: Collection[str] = ()) -> str:
    """The opening phrase of ``sentence`` (module docstring), stopped before a content
    word of ``avoid`` (lower case: the words of the heading path it follows); "" when
    the sentence opens with one.

    Example:
        >>> topic_phrase("The plant draws water from two wells, which were dug in 1920.")
        'The plant draws water from two wells'
        >>> topic_phrase("Results. We saw a rise in the rate.")
        'Results'
        >>> topic_phrase("The cat sat on the mat and the dog slept.")
        'The cat sat'
        >>> topic_phrase("Chlorine kills germs in the treated water.", avoid={"water", "treatment"})
        'Chlorine kills germs in the treated'
    """
    sentence = _plain(sentence)
    label = _RUN_IN_LABEL.match(sentence)
    if label and len(label.group(1).split()) <= 4:
        return label.group(1).strip()
    sentence = _LIST_MARK.sub("", sentence)
    kept: list[str] = []
    seen: set[str] = set()
    for word in sentence.split():
        bare = _EDGES.sub("", word)  # "(the", "model)." -> "the", "model"
        key = bare.lower()
        if not bare or key in seen or (len(kept) >= _MIN_CLAUSE and key in _CLAUSE_WORDS):
            break
        if key in avoid and key not in STOP_WORDS:
            if not kept:
                return ""
            break
        kept.append(bare)
        seen.add(key)
        if len(kept) >= PHRASE_WORDS or (len(kept) >= _MIN_CLAUSE and _CLAUSE_END.search(word)):
            break
    while len(kept) > 1 and kept[-1].lower() in STOP_WORDS:
        kept.pop()
    phrase = " ".join(kept) or sentence[:60]
    return phrase[:1].upper() + phrase[1:]


def _words(text: str) -> set[str]:
    return {_EDGES.sub("", w).lower() for w in text.split()}


def heading_path(heading: Heading) -> str:
    """The heading with the levels above it, as a title shows them.

    Example:
        >>> heading_path(Heading(0, 9, "2.1 Hosting", 2, ("2. GRANT", "2.1 Hosting")))
        '2. GRANT > 2.1 Hosting'
    """
    return " > ".join(heading.path[-PATH_DEPTH:])


def unit_title(
    opening: Heading | None,
    section: Heading | None,
    inner: Sequence[Heading],
    body: Sequence[str],
) -> str:
    """The title of a part (module docstring).

    Args:
        opening: the heading the part opens with, if any.
        section: the heading of the section the part lies in, if any (``opening`` when
            it opens with one).
        inner: the headings the part holds, in order (``opening`` among them or not).
        body: the part's first sentences that are not headings, in order (the topic
            sentence is one of them, :func:`topic_sentence`).

    Example:
        >>> water = Heading(0, 14, "Water Treatment", 1, ("Water Treatment",))
        >>> unit_title(None, water, [], ["Chlorine is added at the plant, then tested."])
        'Water Treatment — Chlorine is added at the plant'
        >>> unit_title(None, None, [], ["Chlorine is added at the plant."])
        'Chlorine is added at the plant'
    """
    first = topic_sentence(body)
    rest = [h for h in inner if h is not opening]
    if opening is not None:
        # a heading right under its parent ("2. GRANT OF RIGHTS" then "2.1 Hosting"): the
        # part is titled by the deeper one, whose path holds the parent
        while rest and opening.label in rest[0].path:
            opening = rest.pop(0)
        title = heading_path(opening)
    elif section is not None:
        path = heading_path(section)
        phrase = topic_phrase(first, _words(path)) if first else ""
        title = f"{path} — {phrase}" if phrase else path
    else:
        title = topic_phrase(first)
    labels = list(dict.fromkeys(h.label for h in rest if h.label not in title))
    return "; ".join([title, *labels])
