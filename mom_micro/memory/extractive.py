"""The offline extractive reader: a document memory without a language model.

It reads a document the way MoM's guide model is asked to — along its logical structure —
using only the document itself and the bundled MiniLM:

1. **Sentences and structure.** The document's own section headings are found, with
   their hierarchy (:mod:`mom_micro.structure`: Markdown and HTML headings, numbered
   clauses, ARTICLE / Section / Item n, capitalised lines; not a table of contents or
   page headers), and the text is split into sentences with exact spans, each heading a
   sentence of its own; paragraph starts and blank lines are marked (:mod:`.text`).
2. **Topic shifts.** Each sentence is embedded once. The shift before sentence ``i`` is
   ``1 - cos(mean(e_{i-w..i-1}), mean(e_{i..i+w-1}))`` (TextTiling with embeddings),
   z-scored within the document.
3. **Segmentation by dynamic programming.** Chunk boundaries maximise

       sum_boundaries [ shift_weight * z_shift + paragraph_bonus * [new paragraph]
                        + heading_bonus * [heading starts here] ]
       - length_weight * sum_chunks ((words - target) / target)^2

   with a hard limit — no chunk over ``max_words`` (sentences longer than half of it are
   cut at word boundaries first) — a steep extra penalty under ``min_words``, never a
   boundary right after a heading (a heading belongs to the text it introduces), and
   sections kept apart: a chunk runs across the start of a section only when it stays
   within ``target_words`` (small neighbouring sections may share one) or opens with a
   lead too short to stand alone (under ``min_words``: a title line, a preamble), so a
   new section starts a new chunk and a long one splits at its sentences and paragraphs.
4. **Titles and core content.** Each chunk is titled from the document's outline
   (:mod:`.titles`): by the heading it opens with and the headings above it, by its
   section's heading and its opening phrase when it continues a long section, by its
   opening phrase where the text has no heading. The core content is the chunk's most
   central sentences (cosine to the chunk's mean embedding), in document order, up to
   ``core_words`` words.
5. **Sampled paths.** With ``n_paths > 1`` the segmentation runs at several
   granularities (``target_words`` times each factor of ``granularities``) and
   :func:`.selection.select_memory` keeps the best by clarity and completeness.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from mom_micro.structure import Heading, find_headings
from mom_micro.text import Sentence, split_sentences

from .document import ReaderConfigError, validate_document
from .schema import DocumentMemory, MemoryUnit
from .selection import MemoryScorerLike, select_memory
from .sentence_embedding import MINILM_NAME, Embedder, minilm_embedder
from .titles import unit_title

__all__ = ["ExtractiveExtractor"]

#: Documents at least this long get a progress bar while their sentences are embedded.
LONG_DOCUMENT_CHARS = 200_000
_EMBED_BLOCK = 1024
#: How many of a chunk's first sentences its topic sentence is looked for in.
_TOPIC_CANDIDATES = 6
#: The settings :meth:`ExtractiveExtractor.config` records (the fields that shape a memory).
_SETTINGS = (
    "target_words",
    "min_words",
    "max_words",
    "n_paths",
    "granularities",
    "core_words",
    "shift_weight",
    "paragraph_bonus",
    "heading_bonus",
    "length_weight",
    "window",
    "rrf_k",
)


@dataclass
class ExtractiveExtractor:
    """Read a document into a :class:`DocumentMemory` offline, with no language model.

    Args:
        target_words: preferred chunk length in words (the granularity).
        min_words: shortest chunk the reader aims for (default ``0.4 * target_words``).
        max_words: hard ceiling on chunk length (default ``1.7 * target_words``; the
            bundled MiniLM reads at most 256 word pieces, about 180 words).
        n_paths: number of sampled granularities; the best is kept by
            :func:`~mom_micro.memory.selection.select_memory`.
        granularities: factors applied to ``target_words`` for the sampled paths.
        core_words: length budget of each core content.
        shift_weight, paragraph_bonus, heading_bonus, length_weight: weights of the
            segmentation objective (see the module docstring).
        window: sentences on each side when measuring a topic shift.
        embedder: texts -> unit-norm vectors; defaults to the bundled MiniLM.
        scorer: scores the sampled paths; defaults to the embedding scorer
            (:class:`~mom_micro.memory.scoring.EmbeddingMemoryScorer`).
        rrf_k: the ``k`` of reciprocal rank fusion.
        show_progress: progress bars over the documents of :meth:`extract_many` and over
            the sentences of a long document (from :data:`LONG_DOCUMENT_CHARS`
            characters); ``None`` (default): the latter only; ``False``: none.

    Every step is linear in the length of the document (the embedding of its sentences
    dominates), so its time grows in proportion to the text (docs/benchmarks.md).

    Example:
        >>> reader = ExtractiveExtractor(target_words=80, n_paths=3)
        >>> memory = reader.extract(open("paper.txt").read(), doc_id="paper")  # doctest: +SKIP
        >>> print(memory.outline_tree())                              # doctest: +SKIP
        >>> ExtractiveExtractor.from_config(reader.config()) == reader
        True
    """

    target_words: int = 100
    min_words: int | None = None
    max_words: int | None = None
    n_paths: int = 1
    granularities: tuple[float, ...] = (1.0, 0.7, 1.4, 0.5, 2.0)
    core_words: int = 45
    shift_weight: float = 1.0
    paragraph_bonus: float = 1.0
    heading_bonus: float = 4.0
    length_weight: float = 2.0
    window: int = 2
    embedder: Embedder | None = field(default=None, repr=False)
    scorer: MemoryScorerLike | None = field(default=None, repr=False)
    rrf_k: float = 60.0
    show_progress: bool | None = None

    def __post_init__(self) -> None:
        if self.target_words < 5:
            raise ValueError(f"target_words must be at least 5, got {self.target_words}")
        if not 1 <= self.n_paths <= len(self.granularities):
            raise ValueError(
                f"n_paths must be between 1 and {len(self.granularities)} "
                f"(the number of granularities), got {self.n_paths}"
            )
        if any(g <= 0 for g in self.granularities):
            raise ValueError(f"granularities must be positive, got {self.granularities}")
        if self.min_words is not None and self.max_words is not None:
            if not 0 < self.min_words < self.max_words:
                raise ValueError(
                    f"need 0 < min_words < max_words, got {self.min_words}, {self.max_words}"
                )

    # -- public API ---------------------------------------------------------------------
    def extract(self, text: str, doc_id: str | None = None) -> DocumentMemory:
        """Read ``text`` into its memory (the best of ``n_paths`` sampled granularities)."""
        text = validate_document(text, doc_id)
        doc_id = doc_id or "document"
        targets = [max(5, round(self.target_words * g)) for g in self.granularities[: self.n_paths]]
        headings = find_headings(text)
        sentences = split_sentences(
            text,
            max_words=max(4, min(self._limits(t)[1] for t in targets) // 2),
            headings=headings,
        )
        outline = _Outline(text, sentences, headings)
        progress = self.show_progress is not False and len(text) >= LONG_DOCUMENT_CHARS
        vectors = self._embed(
            [text[s.start : s.end] for s in sentences], f"reading {doc_id}" if progress else None
        )
        shifts = _topic_shifts(vectors, self.window)
        candidates = [
            self._memory(text, doc_id, sentences, outline, vectors, shifts, target)
            for target in targets
        ]
        if len(candidates) == 1:
            return candidates[0]
        return select_memory(candidates, self._scorer(), k=self.rrf_k)

    def extract_many(
        self, texts: Sequence[str], doc_ids: Sequence[str] | None = None
    ) -> list[DocumentMemory]:
        """:meth:`extract` for each text, with a progress bar when ``show_progress``."""
        if doc_ids is not None and len(doc_ids) != len(texts):
            raise ValueError(f"{len(texts)} texts but {len(doc_ids)} doc_ids")
        ids = list(doc_ids) if doc_ids is not None else [f"doc-{i}" for i in range(len(texts))]
        return [
            self.extract(text, doc_id)
            for text, doc_id in tqdm(
                list(zip(texts, ids)), desc="reading documents", disable=not self.show_progress
            )
        ]

    def config(self) -> dict[str, Any]:
        """The reader as JSON: ``{"kind": "extractive", "model": <embedding>, "settings":
        {...}}``; :meth:`from_config` rebuilds it. A custom embedder or scorer is named
        ``"custom"`` (it cannot be stored)."""
        settings = {name: getattr(self, name) for name in _SETTINGS}
        settings["granularities"] = list(self.granularities)
        return {
            "kind": "extractive",
            "model": MINILM_NAME if self.embedder is None else "custom",
            "scorer": "embedding" if self.scorer is None else "custom",
            "settings": settings,
        }

    @classmethod
    def from_config(
        cls,
        config: dict[str, Any],
        embedder: Embedder | None = None,
        scorer: MemoryScorerLike | None = None,
    ) -> ExtractiveExtractor:
        """The reader :meth:`config` describes; a custom embedder or scorer must be passed
        again (else :class:`~mom_micro.memory.document.ReaderConfigError`)."""
        if not isinstance(config, dict) or config.get("kind") != "extractive":
            raise ReaderConfigError(f"not an extractive reader configuration: {config!r}")
        settings = dict(config.get("settings", {}))
        unknown = sorted(set(settings) - set(_SETTINGS))
        if unknown:
            raise ReaderConfigError(f"unknown extractive reader settings: {', '.join(unknown)}")
        for part, given in (("model", embedder), ("scorer", scorer)):
            if config.get(part) == "custom" and given is None:
                raise ReaderConfigError(
                    f"the reader was configured with a custom {part}: pass it again"
                )
        if "granularities" in settings:
            settings["granularities"] = tuple(settings["granularities"])
        try:
            return cls(**settings, embedder=embedder, scorer=scorer)
        except (TypeError, ValueError) as exc:
            raise ReaderConfigError(f"invalid extractive reader settings: {exc}") from exc

    # -- internals ----------------------------------------------------------------------
    def _limits(self, target: int) -> tuple[int, int]:
        scale = target / self.target_words
        low = self.min_words * scale if self.min_words is not None else 0.4 * target
        high = self.max_words * scale if self.max_words is not None else 1.7 * target
        return max(1, round(low)), max(2, round(high))

    def _embed(self, texts: Sequence[str], progress: str | None = None) -> np.ndarray:
        """Unit vectors of ``texts``; with ``progress`` (a label), in blocks under a bar."""
        embed = self.embedder or minilm_embedder()
        if progress is None or len(texts) <= _EMBED_BLOCK:
            return embed(texts)
        blocks = []
        with tqdm(total=len(texts), desc=progress, unit="sentence") as bar:
            for start in range(0, len(texts), _EMBED_BLOCK):
                blocks.append(embed(texts[start : start + _EMBED_BLOCK]))
                bar.update(len(blocks[-1]))
        return np.concatenate(blocks)

    def _scorer(self) -> MemoryScorerLike:
        from .scoring import EmbeddingMemoryScorer

        return self.scorer or EmbeddingMemoryScorer(embedder=self._embed)

    def _memory(
        self,
        text: str,
        doc_id: str,
        sentences: list[Sentence],
        outline: _Outline,
        vectors: np.ndarray,
        shifts: np.ndarray,
        target: int,
    ) -> DocumentMemory:
        bounds = self._segment(sentences, shifts, target, outline)
        groups = [list(range(a, b)) for a, b in zip(bounds, bounds[1:])]
        units = []
        for group in groups:
            title = outline.title(group)
            core = self._core(text, sentences, vectors, group)
            units.append(
                MemoryUnit(title, core, sentences[group[0]].start, sentences[group[-1]].end)
            )
        return DocumentMemory(
            doc_id=doc_id,
            units=units,
            source=text,
            extractor="extractive",
            model="all-MiniLM-L6-v2",
            path=f"target_words={target}",
        )

    def _boundary_bonus(self, sentences: list[Sentence], shifts: np.ndarray) -> np.ndarray:
        """Score of a boundary before each sentence (``-inf`` where one is not allowed)."""
        bonus = np.full(len(sentences), -np.inf)
        for i in range(1, len(sentences)):
            if sentences[i - 1].heading:
                continue
            value = self.shift_weight * float(shifts[i - 1])
            if sentences[i].line_start:
                value += self.paragraph_bonus * (1.5 if sentences[i].blank_before else 1.0)
            if sentences[i].heading:
                value += self.heading_bonus
            bonus[i] = value
        return bonus

    def _segment(
        self,
        sentences: list[Sentence],
        shifts: np.ndarray,
        target: int,
        outline: _Outline | None,
    ) -> list[int]:
        """Chunk boundaries (sentence indices, with 0 and n) maximising the objective.

        Sections share a chunk only as :meth:`_Outline.may_share` allows; where that leaves
        no way through the document (a stack of headings over a sentence longer than the
        target), the document is cut again as if it had no headings, rather than kept as
        one chunk (``outline=None``)."""
        low, high = self._limits(target)
        n = len(sentences)
        words = np.cumsum([0] + [s.words for s in sentences])
        bonus = self._boundary_bonus(sentences, shifts)
        best = np.full(n + 1, -np.inf)
        best[0] = 0.0
        back = np.zeros(n + 1, dtype=np.int64)
        for j in range(1, n + 1):
            for i in range(j - 1, -1, -1):
                size = words[j] - words[i]
                if size > high and i < j - 1:
                    break
                if best[i] == -np.inf or (i > 0 and bonus[i] == -np.inf):
                    continue
                if size > target and outline and not outline.may_share(i, j, words, low):
                    continue  # only small sections share a chunk
                cost = self.length_weight * ((size - target) / target) ** 2
                if size < low:
                    cost += self.length_weight * 2.0 * (low - size) / low
                value = best[i] - cost + (bonus[i] if i > 0 else 0.0)
                if value > best[j]:
                    best[j], back[j] = value, i
        if best[n] == -np.inf and outline is not None:
            return self._segment(sentences, shifts, target, None)
        if best[n] == -np.inf:  # only possible if every boundary is forbidden
            return [0, n]
        bounds = [n]
        while bounds[-1] > 0:
            bounds.append(int(back[bounds[-1]]))
        return bounds[::-1]

    def _core(
        self, text: str, sentences: list[Sentence], vectors: np.ndarray, group: list[int]
    ) -> str:
        body = [i for i in group if not sentences[i].heading] or group
        centroid = vectors[body].mean(axis=0)
        centrality = vectors[body] @ centroid
        chosen: list[int] = []
        used = 0
        for position in np.argsort(-centrality, kind="stable"):
            i = body[int(position)]
            if chosen and used + sentences[i].words > self.core_words:
                continue
            chosen.append(i)
            used += sentences[i].words
            if used >= self.core_words:
                break
        return " ".join(
            re.sub(r"\s+", " ", text[sentences[i].start : sentences[i].end]) for i in sorted(chosen)
        )


def _topic_shifts(vectors: np.ndarray, window: int) -> np.ndarray:
    """z-scored ``1 - cos(left window mean, right window mean)`` at each sentence gap."""
    n = len(vectors)
    if n < 2:
        return np.zeros(0)
    prefix = np.concatenate([np.zeros((1, vectors.shape[1])), np.cumsum(vectors, axis=0)])
    gaps = np.arange(1, n)
    left = prefix[gaps] - prefix[np.maximum(gaps - window, 0)]
    right = prefix[np.minimum(gaps + window, n)] - prefix[gaps]
    norms = np.linalg.norm(left, axis=1) * np.linalg.norm(right, axis=1)
    cosine = np.einsum("ij,ij->i", left, right) / np.maximum(norms, 1e-12)
    shift = 1.0 - cosine
    spread = shift.std()
    return (shift - shift.mean()) / spread if spread > 1e-9 else np.zeros_like(shift)


class _Outline:
    """The document's headings as its sentences see them: which sentence starts a
    section, and each chunk's title (:func:`.titles.unit_title`)."""

    def __init__(self, text: str, sentences: list[Sentence], headings: list[Heading]) -> None:
        by_start = {h.start: h for h in headings}
        self.text = text
        self.sentences = sentences
        #: the heading a sentence starts, by sentence index
        self.opens: dict[int, Heading] = {
            i: by_start[s.start] for i, s in enumerate(sentences) if s.start in by_start
        }
        #: how many sections start among sentences 0..i-1
        self.section_starts = np.cumsum([0] + [i in self.opens for i in range(len(sentences))])
        #: the first sentence at or after i that starts a section (n when none)
        self.next_start = np.full(len(sentences) + 1, len(sentences))
        for i in range(len(sentences) - 1, -1, -1):
            self.next_start[i] = i if i in self.opens else self.next_start[i + 1]
        current: Heading | None = None
        #: the heading of the section each sentence lies in
        self.section: list[Heading | None] = []
        for i in range(len(sentences)):
            current = self.opens.get(i, current)
            self.section.append(current)

    def may_share(self, i: int, j: int, words: np.ndarray, low: int) -> bool:
        """Whether sentences ``i..j-1``, longer than the target, may be one chunk: they
        start no section after their first sentence, or only one, after a lead of fewer
        than ``low`` words (a title line, a short preamble) that would be too small alone."""
        crossed = int(self.section_starts[j] - self.section_starts[i + 1])
        if crossed == 0:
            return True
        return crossed == 1 and words[self.next_start[i + 1]] - words[i] < low

    def title(self, group: list[int]) -> str:
        """The title of the chunk of sentences ``group``."""
        heads = [self.opens[i] for i in group if i in self.opens]
        body = [
            self.text[self.sentences[i].start : self.sentences[i].end]
            for i in group
            if not self.sentences[i].heading
        ]
        return unit_title(
            self.section[group[0]] if group[0] in self.opens else None,
            self.section[group[0]],
            heads,
            body[:_TOPIC_CANDIDATES],
        )
