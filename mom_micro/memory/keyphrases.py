"""Key phrases of a chunk against the rest of its document (TF-IDF over word runs).

Used to title chunks that do not start at a heading. Candidate phrases are runs of one
to three content words (no :data:`~mom_micro.text.PHRASE_STOP_WORDS`, no bare number); a
phrase scores the mean over its words of ``tf(word, chunk) * log(1 + n_chunks / df(word))``
times a mild bonus for length, so words frequent in the chunk but rare elsewhere in the
document win.

:class:`KeyPhrases` counts the document frequencies once for all chunks of a document,
so titling every chunk costs time linear in the document (counting them again per chunk
made a 1 MB document spend most of its time here).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

from mom_micro.text import PHRASE_STOP_WORDS, phrase_tokens

__all__ = ["KeyPhrases"]


def _phrases(tokens: list[str]) -> list[tuple[str, list[str]]]:
    """Runs of up to three consecutive content words: (surface form, lowercase words)."""
    runs: list[list[str]] = [[]]
    for word in tokens:
        low = word.lower()
        if low in PHRASE_STOP_WORDS or not any(ch.isalpha() for ch in low) or len(low) < 2:
            runs.append([])
        else:
            runs[-1].append(word)
    out = []
    for run in runs:
        for size in (3, 2, 1):
            for i in range(0, len(run) - size + 1):
                words = run[i : i + size]
                out.append((" ".join(words), [w.lower() for w in words]))
    return out


class KeyPhrases:
    """The chunks of one document, with their document frequencies counted once.

    Example:
        >>> phrases = KeyPhrases(["Cats purr and cats nap.", "Dogs bark at dogs."])
        >>> phrases.top(1, top=1)
        ['Dogs']
    """

    def __init__(self, chunks: Sequence[str]) -> None:
        self._tokens = [phrase_tokens(chunk) for chunk in chunks]
        self._doc_freq: Counter[str] = Counter()
        for tokens in self._tokens:
            self._doc_freq.update({token.lower() for token in tokens})

    def top(self, index: int, top: int = 2) -> list[str]:
        """The ``top`` key phrases of chunk ``index``, no two sharing a word."""
        tokens = self._tokens[index]
        term_freq = Counter(token.lower() for token in tokens)
        n = len(self._tokens)

        def weight(word: str) -> float:
            return term_freq[word] * math.log(1 + n / self._doc_freq[word])

        scored: dict[str, float] = {}
        surface: dict[str, str] = {}
        for text, words in _phrases(tokens):
            key = " ".join(words)
            if key not in scored:
                # longer phrases need every word to carry weight: average, times a mild bonus
                scored[key] = (
                    sum(weight(w) for w in words) / len(words) * (1 + 0.25 * (len(words) - 1))
                )
                surface[key] = text
        chosen: list[str] = []
        for key in sorted(scored, key=lambda k: (-scored[k], k)):
            if any(set(key.split()) & set(other.split()) for other in chosen):
                continue
            chosen.append(key)
            if len(chosen) == top:
                break
        return [surface[key] for key in chosen]
