"""MoM with a guide language model: sampled paths, windows, retries, selection."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from mom_micro.errors import MomMicroError

from .document import MemoryExtractor, validate_document
from .guide import as_completion_fn, context_window, model_name
from .parsing import parse_memory_output
from .prompts import extraction_prompt
from .schema import DocumentMemory, MemoryUnit
from .selection import MemoryScorerLike, select_memory

__all__ = ["LLMExtractor", "MemoryExtractionError", "split_windows"]

logger = logging.getLogger(__name__)

_DEFAULT_TEMPERATURES = (0.1, 0.5, 0.9, 0.3, 0.7, 1.1)


class MemoryExtractionError(MomMicroError, RuntimeError):
    """Every sampled path failed; the message lists each path's reason."""


def split_windows(text: str, max_chars: int) -> list[tuple[int, int]]:
    """Cut ``text`` into spans of at most ``max_chars``, preferring to cut at a blank line,
    then a line break, then a sentence end, then a space (never inside a word if avoidable).

    Example:
        >>> split_windows("aaa bbb.\\n\\nccc ddd.", 12)
        [(0, 10), (10, 18)]
    """
    if max_chars < 1:
        raise ValueError(f"max_chars must be positive, got {max_chars}")
    spans = []
    pos = 0
    while len(text) - pos > max_chars:
        lo, hi = pos + max_chars // 2, pos + max_chars
        cut = -1
        for sep in ("\n\n", "\n", ". ", " "):
            found = text.rfind(sep, lo, hi)
            if found >= 0:
                cut = found + len(sep)
                break
        cut = cut if cut > pos else hi
        spans.append((pos, cut))
        pos = cut
    spans.append((pos, len(text)))
    return [(a, b) for a, b in spans if text[a:b].strip()]


@dataclass
class LLMExtractor:
    """Read a document into a memory with a guide LLM, as MoM does.

    For each temperature (one sampled path each) the document — in windows that fit the
    model's context — is sent with the MoM extraction prompt; the tagged output is parsed
    onto the source (:func:`~mom_micro.memory.parsing.parse_memory_output`) and the windows'
    memories are stitched in order. A failed call or an unusable output is retried with
    exponential back-off; a path that still fails is logged, recorded in
    ``metadata["failed_paths"]`` and skipped. The surviving candidates are scored and
    fused by reciprocal rank fusion (:func:`~mom_micro.memory.selection.select_memory`).

    Args:
        llm: a LangChain chat model or LLM, a LlamaIndex LLM, or a callable
            ``(prompt, temperature) -> str``.
        n_paths: number of sampled paths (ignored when ``temperatures`` is given).
        temperatures: one decoding temperature per path (the paper does not publish them;
            the default spreads them over 0.1-1.1).
        think: use the variant that reasons inside ``<think>`` first (for small models).
        scorer: scores the candidates; default the paper's LM scorer
            (:class:`~mom_micro.memory.scoring.MemoryScorer`, offline SmolLM2).
        rrf_k: the ``k`` of reciprocal rank fusion.
        context_tokens: the model's context window; default what the model declares, else 8192.
        chars_per_token: rough size of a token, to turn tokens into characters.
        max_retries: retries per window after the first try; backoff: first wait in seconds.
        fallback: a reader used when every path fails (e.g. ``ExtractiveExtractor()``);
            without one, :class:`MemoryExtractionError` is raised.
        min_chunk_chars: passed to the parser (shorter chunks are merged).

    Example:
        >>> from langchain_openai import ChatOpenAI                      # doctest: +SKIP
        >>> reader = LLMExtractor(ChatOpenAI(model="gpt-4o-mini"), n_paths=3)  # doctest: +SKIP
        >>> memory = reader.extract(open("report.txt").read(), doc_id="report")  # doctest: +SKIP
        >>> [c.scores["rrf"] for c in memory.candidates]                 # doctest: +SKIP
    """

    llm: Any
    n_paths: int = 3
    temperatures: Sequence[float] | None = None
    think: bool = False
    scorer: MemoryScorerLike | None = field(default=None, repr=False)
    rrf_k: float = 60.0
    context_tokens: int | None = None
    chars_per_token: float = 4.0
    max_retries: int = 2
    backoff: float = 1.0
    fallback: MemoryExtractor | None = None
    min_chunk_chars: int = 40
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)

    def __post_init__(self) -> None:
        self._complete = as_completion_fn(self.llm)
        if self.temperatures is None:
            if not 1 <= self.n_paths <= len(_DEFAULT_TEMPERATURES):
                raise ValueError(
                    f"n_paths must be 1-{len(_DEFAULT_TEMPERATURES)} without explicit "
                    f"temperatures, got {self.n_paths}"
                )
            self.temperatures = _DEFAULT_TEMPERATURES[: self.n_paths]
        if not self.temperatures:
            raise ValueError("temperatures must not be empty")
        self.n_paths = len(self.temperatures)
        if self.max_retries < 0:
            raise ValueError(f"max_retries must be >= 0, got {self.max_retries}")

    @property
    def window_chars(self) -> int:
        """Characters of document per call: what is left of the context after the
        instruction (~600 tokens) and room for the answer (40% of the rest)."""
        tokens = self.context_tokens or context_window(self.llm, 8192)
        return max(500, int((tokens - 600) * 0.6 * self.chars_per_token))

    def extract(self, text: str, doc_id: str | None = None) -> DocumentMemory:
        """The best of the sampled memories of ``text`` (see the class docstring)."""
        text = validate_document(text, doc_id)
        doc_id = doc_id or "document"
        windows = split_windows(text, self.window_chars)
        candidates: list[DocumentMemory] = []
        failures: dict[str, str] = {}
        for temperature in self.temperatures or ():
            path = f"temperature={temperature}"
            try:
                candidates.append(self._path(text, doc_id, windows, temperature, path))
            except Exception as exc:  # noqa: BLE001 - a failed path is reported and skipped
                failures[path] = f"{type(exc).__name__}: {exc}"
                logger.warning("memory path %s of %s failed: %s", path, doc_id, failures[path])
        if not candidates:
            if self.fallback is None:
                reasons = "; ".join(f"{p}: {r}" for p, r in failures.items())
                raise MemoryExtractionError(f"every path failed for {doc_id!r}: {reasons}")
            memory = self.fallback.extract(text, doc_id)
            return replace(memory, metadata={**memory.metadata, "failed_paths": failures})
        chosen = (
            candidates[0]
            if len(candidates) == 1
            else select_memory(candidates, self._scorer(), k=self.rrf_k)
        )
        return replace(chosen, metadata={**chosen.metadata, "failed_paths": failures})

    def _scorer(self) -> MemoryScorerLike:
        if self.scorer is None:
            from .scoring import MemoryScorer

            self.scorer = MemoryScorer()
        return self.scorer

    def _path(
        self, text: str, doc_id: str, windows: list[tuple[int, int]], temperature: float, path: str
    ) -> DocumentMemory:
        units: list[MemoryUnit] = []
        warnings: list[str] = []
        for start, end in windows:
            part = self._window(text[start:end], doc_id, temperature)
            units.extend(replace(u, start=u.start + start, end=u.end + start) for u in part.units)
            warnings.extend(part.metadata.get("parse_warnings", []))
        return DocumentMemory(
            doc_id=doc_id,
            units=units,
            source=text,
            extractor="llm",
            model=model_name(self.llm),
            path=path,
            metadata={"parse_warnings": warnings, "windows": len(windows), "think": self.think},
        )

    def _window(self, window: str, doc_id: str, temperature: float) -> DocumentMemory:
        prompt = extraction_prompt(window, think=self.think)
        for attempt in range(self.max_retries + 1):
            try:
                raw = self._complete(prompt, temperature)
                return parse_memory_output(
                    raw, window, doc_id=doc_id, min_chunk_chars=self.min_chunk_chars
                )
            except Exception:
                if attempt == self.max_retries:
                    raise
                self.sleep(self.backoff * 2**attempt)
        raise AssertionError("unreachable")  # pragma: no cover
