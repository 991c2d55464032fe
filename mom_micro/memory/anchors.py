"""Locating a model's quoted anchor text in the source: exact, normalised, then fuzzy.

Guide models quote the first and last words of each chunk, and they quote imperfectly:
other spacing or letter case, dropped punctuation, a word paraphrased. :class:`AnchorIndex`
finds such a quote in the source in three steps and returns a span of the *original*
text:

1. exact substring;
2. the same after normalising both sides (case folded, punctuation and symbols dropped,
   white space collapsed), mapped back to source offsets;
3. fuzzy: the best partial alignment (rapidfuzz ``partial_ratio_alignment``) of the
   normalised quote in the normalised source, accepted at ``threshold`` (0-100).
"""

from __future__ import annotations

import bisect
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz

__all__ = ["AnchorIndex", "AnchorMatch", "normalize"]


@dataclass(frozen=True)
class AnchorMatch:
    """Where an anchor was found: ``source[start:end]``, and by which step."""

    start: int
    end: int
    method: str  # "exact" | "normalized" | "fuzzy"
    score: float = 100.0


@lru_cache(maxsize=4096)
def _keep(ch: str) -> bool:
    return not unicodedata.category(ch).startswith(("P", "S", "C"))


def normalize(text: str) -> str:
    """Case-folded text without punctuation/symbols, white space collapsed to one space.

    Example:
        >>> normalize("  The  Cat's\\nHAT!  ")
        'the cats hat'
    """
    return _normalize_with_offsets(text)[0].strip()


def _normalize_with_offsets(source: str) -> tuple[str, list[int]]:
    """:func:`normalize` of ``source`` (without the final strip) and the source offset of
    each of its characters."""
    chars: list[str] = []
    where: list[int] = []
    for i, ch in enumerate(source):
        if ch.isspace():
            if chars and chars[-1] != " ":
                chars.append(" ")
                where.append(i)
        elif _keep(ch):
            for folded in ch.casefold():
                chars.append(folded)
                where.append(i)
    return "".join(chars), where


class AnchorIndex:
    """A source text prepared for repeated anchor look-ups.

    Example:
        >>> index = AnchorIndex("Alpha beta.  Gamma, delta!")
        >>> index.find("gamma delta")
        AnchorMatch(start=13, end=25, method='normalized', score=100.0)
    """

    def __init__(self, source: str, threshold: float = 80.0) -> None:
        self.source = source
        self.threshold = threshold
        self._norm: str | None = None
        self._where: list[int] = []

    @property
    def norm(self) -> str:
        """The normalised source, built on the first look-up that needs it (an output
        whose anchors are all exact never pays for it)."""
        if self._norm is None:
            self._norm, self._where = _normalize_with_offsets(self.source)
        return self._norm

    @property
    def where(self) -> list[int]:
        """Source offset of each character of :attr:`norm`."""
        self.norm  # noqa: B018 - builds the index on first use
        return self._where

    def _norm_pos(self, source_pos: int) -> int:
        return bisect.bisect_left(self.where, source_pos)

    def _to_source(self, a: int, b: int) -> tuple[int, int]:
        # skip a leading/trailing normalised space so the span starts/ends on text
        while a < b and self.norm[a] == " ":
            a += 1
        while b > a and self.norm[b - 1] == " ":
            b -= 1
        return self.where[a], self.where[b - 1] + 1

    def find(
        self, anchor: str, lo: int = 0, hi: int | None = None, last: bool = False
    ) -> AnchorMatch | None:
        """Find ``anchor`` inside ``source[lo:hi]``; ``last`` prefers the last occurrence.

        Returns ``None`` when no step finds it (or the quote normalises to nothing).
        """
        hi = len(self.source) if hi is None else min(hi, len(self.source))
        quote = anchor.strip()
        if not quote or lo >= hi:
            return None
        pos = self.source.rfind(quote, lo, hi) if last else self.source.find(quote, lo, hi)
        if pos >= 0:
            return AnchorMatch(pos, pos + len(quote), "exact")
        needle = normalize(quote)
        if not needle:
            return None
        n_lo, n_hi = self._norm_pos(lo), self._norm_pos(hi)
        pos = self.norm.rfind(needle, n_lo, n_hi) if last else self.norm.find(needle, n_lo, n_hi)
        if pos >= 0:
            start, end = self._to_source(pos, pos + len(needle))
            return AnchorMatch(start, end, "normalized")
        if len(needle) < 8 or n_hi - n_lo < len(needle) // 2:
            return None  # too short to match fuzzily without false hits
        hay = self.norm[n_lo:n_hi]
        found = fuzz.partial_ratio_alignment(needle, hay, score_cutoff=self.threshold)
        if found is None or found.dest_end <= found.dest_start:
            return None
        start, end = self._to_source(n_lo + found.dest_start, n_lo + found.dest_end)
        if end <= start:
            return None
        return AnchorMatch(start, end, "fuzzy", float(found.score))
