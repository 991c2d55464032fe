"""MoM with a guide language model: sampled paths, windows, concurrency, retries, selection."""

from __future__ import annotations

import asyncio
import inspect
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from tqdm.auto import tqdm

from mom_micro.errors import MomMicroError
from mom_micro.text import text_length

from .document import MemoryExtractor, describe_reader, validate_document
from .guide import as_async_completion_fn, context_window, model_name, retrying, run_sync
from .parsing import CopiedFormatExample, MemoryParseError, parse_memory_output
from .prompts import extraction_prompt
from .schema import DocumentMemory, MemoryUnit
from .selection import MemoryScorerLike, select_memory

__all__ = ["LLMExtractor", "MemoryExtractionError", "split_windows", "window_chars"]

logger = logging.getLogger(__name__)

_DEFAULT_TEMPERATURES = (0.1, 0.5, 0.9, 0.3, 0.7, 1.1)
#: The settings :meth:`LLMExtractor.config` records.
_SETTINGS = (
    "n_paths",
    "temperatures",
    "think",
    "rrf_k",
    "context_tokens",
    "chars_per_token",
    "max_retries",
    "backoff",
    "max_backoff",
    "max_concurrency",
    "min_chunk_chars",
    "continuations",
    "reasks",
)


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


def window_chars(context_tokens: int, chars_per_token: float = 4.0) -> int:
    """Characters of document per call for a model reading ``context_tokens`` tokens: what
    is left after the instruction (~600 tokens) and room for the answer (40% of the rest).

    The teacher data (:mod:`.reasoning`) cuts documents with the same rule, so a reader
    trained on it sees windows of the size it learned.

    Example:
        >>> window_chars(2048)
        3475
    """
    return max(500, int((context_tokens - 600) * 0.6 * chars_per_token))


@dataclass
class _Path:
    """One sampled path over a document: its memory, and the windows the fallback read."""

    memory: DocumentMemory
    fallback_windows: dict[int, str]


@dataclass
class LLMExtractor:
    """Read documents into memories with a guide LLM, as MoM does.

    For each temperature (one sampled path each) the document — in windows that fit the
    model's context — is sent with the MoM extraction prompt; the tagged output is parsed
    onto the source (:func:`~mom_micro.memory.parsing.parse_memory_output`) and the windows'
    memories are stitched in order. The surviving candidates are scored and fused by
    reciprocal rank fusion (:func:`~mom_micro.memory.selection.select_memory`).

    Calls run concurrently: every window of every path of every document is one call, and
    at most ``max_concurrency`` are in flight at once (``ainvoke`` of a LangChain model,
    ``acomplete`` of a LlamaIndex LLM, a worker thread for a plain callable). A call that
    fails for a transient reason (:func:`~mom_micro.memory.guide.is_transient_error`: a
    time-out, a dropped connection, a rate limit, a server error) is retried with
    exponential back-off (tenacity); any other failure, or an answer that cannot be
    parsed, is not. A window that still fails is read by the ``fallback`` reader when there
    is one (listed in ``metadata["fallback_windows"]``); without one, its path fails. A
    failed path is logged, recorded in ``metadata["failed_paths"]`` and skipped; when
    every path fails, the fallback reads the whole document, or
    :class:`MemoryExtractionError` is raised.

    Args:
        llm: a LangChain chat model or LLM, a LlamaIndex LLM, or a callable
            ``(prompt, temperature) -> str`` (or an async one).
        n_paths: number of sampled paths (ignored when ``temperatures`` is given).
        temperatures: one decoding temperature per path (the paper does not publish them;
            the default spreads them over 0.1-1.1).
        think: use the variant that reasons inside ``<think>`` first (for small models).
        scorer: scores the candidates; default the paper's LM scorer
            (:class:`~mom_micro.memory.scoring.MemoryScorer`, offline SmolLM2).
        rrf_k: the ``k`` of reciprocal rank fusion.
        context_tokens: the model's context window; default what the model declares, else
            8192. Windows are :func:`window_chars` characters.
        chars_per_token: rough size of a token, to turn tokens into characters.
        max_retries: retries of a call after its first try, for transient errors only.
        backoff, max_backoff: the first wait in seconds (doubled at each retry), and the
            longest wait.
        max_concurrency: model calls in flight at once.
        fallback: a reader for what the model cannot read (e.g. ``ExtractiveExtractor()``).
        min_chunk_chars: passed to the parser (shorter chunks are merged).
        continuations: further calls per window on the text after the model's last chunk,
            when its answer stopped before the window's end (:meth:`aread`).
        reasks: how many times a window is asked again when the answer copies the
            prompt's format example (:class:`~mom_micro.memory.parsing.CopiedFormatExample`)
            before the window counts as failed (then the ``fallback`` reads it).
        show_progress: a progress bar over the documents of :meth:`extract_many`.
        sleep: how to wait between retries (default ``asyncio.sleep``; tests pass a
            recorder).

    Example:
        >>> from langchain_openai import ChatOpenAI                      # doctest: +SKIP
        >>> reader = LLMExtractor(ChatOpenAI(model="gpt-4o-mini"), n_paths=3,
        ...                       max_concurrency=8)                     # doctest: +SKIP
        >>> memories = reader.extract_many(texts, doc_ids)               # doctest: +SKIP
        >>> [c.scores["rrf"] for c in memories[0].candidates]           # doctest: +SKIP
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
    max_backoff: float = 60.0
    max_concurrency: int = 4
    fallback: MemoryExtractor | None = None
    min_chunk_chars: int = 40
    continuations: int = 0
    reasks: int = 1
    show_progress: bool = False
    sleep: Callable[[float], Any] | None = field(default=None, repr=False)
    _gate: tuple[Any, asyncio.Semaphore] | None = field(
        default=None, init=False, repr=False, compare=False
    )
    _local: threading.Lock = field(
        default_factory=threading.Lock, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        self._acomplete = as_async_completion_fn(self.llm)
        if self.temperatures is None:
            if not 1 <= self.n_paths <= len(_DEFAULT_TEMPERATURES):
                raise ValueError(
                    f"n_paths must be 1-{len(_DEFAULT_TEMPERATURES)} without explicit "
                    f"temperatures, got {self.n_paths}"
                )
            self.temperatures = _DEFAULT_TEMPERATURES[: self.n_paths]
        if not self.temperatures:
            raise ValueError("temperatures must not be empty")
        self.temperatures = tuple(float(t) for t in self.temperatures)
        self.n_paths = len(self.temperatures)
        if self.max_retries < 0:
            raise ValueError(f"max_retries must be >= 0, got {self.max_retries}")
        if self.max_concurrency < 1:
            raise ValueError(f"max_concurrency must be >= 1, got {self.max_concurrency}")
        if self.continuations < 0:
            raise ValueError(f"continuations must be >= 0, got {self.continuations}")
        if self.reasks < 0:
            raise ValueError(f"reasks must be >= 0, got {self.reasks}")

    @property
    def window_chars(self) -> int:
        """Characters of document per call (:func:`window_chars` of the context)."""
        tokens = self.context_tokens or context_window(self.llm, 8192)
        return window_chars(tokens, self.chars_per_token)

    # -- public API ---------------------------------------------------------------------
    def extract(self, text: str, doc_id: str | None = None) -> DocumentMemory:
        """The best of the sampled memories of ``text`` (see the class docstring)."""
        return run_sync(self.aextract(text, doc_id))

    def extract_many(
        self, texts: Sequence[str], doc_ids: Sequence[str] | None = None
    ) -> list[DocumentMemory]:
        """:meth:`extract` of each text, all documents read concurrently."""
        return run_sync(self.aextract_many(texts, doc_ids))

    async def aextract(self, text: str, doc_id: str | None = None) -> DocumentMemory:
        """:meth:`extract`, asynchronously: the paths and windows are read concurrently."""
        text = validate_document(text, doc_id)
        doc_id = doc_id or "document"
        windows = split_windows(text, self.window_chars)
        paths = [f"temperature={t}" for t in self.temperatures or ()]
        outcomes = await asyncio.gather(
            *(
                self._path(text, doc_id, windows, t, path)
                for t, path in zip(self.temperatures or (), paths)
            ),
            return_exceptions=True,
        )
        candidates: list[_Path] = []
        failures: dict[str, str] = {}
        for path, outcome in zip(paths, outcomes):
            if isinstance(outcome, _Path):
                candidates.append(outcome)
            elif isinstance(outcome, Exception):
                failures[path] = f"{type(outcome).__name__}: {outcome}"
                logger.warning("memory path %s of %s failed: %s", path, doc_id, failures[path])
            else:  # a BaseException such as cancellation: not ours to swallow
                raise outcome
        if not candidates:
            if self.fallback is None:
                reasons = "; ".join(f"{p}: {r}" for p, r in failures.items())
                raise MemoryExtractionError(f"every path failed for {doc_id!r}: {reasons}")
            memory = await self._locally(self.fallback.extract, text, doc_id)
            return replace(memory, metadata={**memory.metadata, "failed_paths": failures})
        if len(candidates) == 1:
            chosen = candidates[0]
        else:
            best = await self._locally(
                select_memory, [c.memory for c in candidates], self._scorer(), self.rrf_k
            )
            index = next(i for i, c in enumerate(best.candidates) if c.chosen)
            chosen = _Path(best, candidates[index].fallback_windows)
        return replace(
            chosen.memory,
            metadata={
                **chosen.memory.metadata,
                "failed_paths": failures,
                "fallback_windows": chosen.fallback_windows,
            },
        )

    async def aextract_many(
        self,
        texts: Sequence[str],
        doc_ids: Sequence[str] | None = None,
        *,
        return_exceptions: bool = False,
        show_progress: bool | None = None,
    ) -> list[Any]:
        """The memory of each text, all read concurrently (``max_concurrency`` model calls
        at a time), with a progress bar over documents when ``show_progress`` (default
        the instance's). With ``return_exceptions``, a document that fails gives its
        exception in its place instead of failing the batch."""
        if doc_ids is not None and len(doc_ids) != len(texts):
            raise ValueError(f"{len(texts)} texts but {len(doc_ids)} doc_ids")
        ids = list(doc_ids) if doc_ids is not None else [f"doc-{i}" for i in range(len(texts))]
        progress = self.show_progress if show_progress is None else show_progress
        with tqdm(total=len(texts), desc="reading documents", disable=not progress) as bar:

            async def one(text: str, doc_id: str) -> Any:
                try:
                    return await self.aextract(text, doc_id)
                except Exception as exc:
                    if not return_exceptions:
                        raise
                    return exc
                finally:
                    bar.update(1)

            return list(await asyncio.gather(*(one(t, d) for t, d in zip(texts, ids))))

    def config(self) -> dict[str, Any]:
        """The reader as JSON: kind ``"llm"``, the model's class and identifier (never its
        credentials or client settings), the reading settings, the decoding settings of a
        local model (``model_settings``: its ``copy_chunks``), the scorer and the
        fallback's own configuration."""
        settings = {name: getattr(self, name) for name in _SETTINGS}
        settings["temperatures"] = list(self.temperatures or ())
        model = type(self.llm)
        copy_chunks = getattr(self.llm, "copy_chunks", None)
        return {
            "kind": "llm",
            "model": model_name(self.llm),
            "model_class": f"{model.__module__}.{model.__qualname__}",
            "settings": settings,
            "model_settings": {} if copy_chunks is None else {"copy_chunks": copy_chunks},
            "scorer": "MemoryScorer" if self.scorer is None else type(self.scorer).__name__,
            "fallback": None if self.fallback is None else describe_reader(self.fallback),
        }

    # -- internals ----------------------------------------------------------------------
    def _scorer(self) -> MemoryScorerLike:
        if self.scorer is None:
            from .scoring import MemoryScorer

            self.scorer = MemoryScorer()
        return self.scorer

    async def _locally(self, func: Callable[..., Any], *args: Any) -> Any:
        """Run local CPU work (scoring, the fallback reader) in a worker thread, one piece
        at a time, so the event loop keeps the model calls going meanwhile."""

        def locked() -> Any:
            with self._local:
                return func(*args)

        return await asyncio.to_thread(locked)

    def _semaphore(self) -> asyncio.Semaphore:
        """The ``max_concurrency`` gate of the running event loop."""
        loop = asyncio.get_running_loop()
        if self._gate is None or self._gate[0] is not loop:
            self._gate = (loop, asyncio.Semaphore(self.max_concurrency))
        return self._gate[1]

    async def _wait(self, seconds: float) -> None:
        if self.sleep is None:
            await asyncio.sleep(seconds)
        elif inspect.isawaitable(waited := self.sleep(seconds)):
            await waited

    async def _complete(self, prompt: str, temperature: float) -> str:
        """One model call under the concurrency gate, retried on transient errors only."""
        raw = ""
        async for attempt in retrying(self.max_retries, self.backoff, self.max_backoff, self._wait):
            with attempt:
                async with self._semaphore():
                    raw = await self._acomplete(prompt, temperature)
        return raw

    async def araw(self, window: str, temperature: float | None = None) -> str:
        """The model's raw answer for one window, prompted as :meth:`aextract` prompts it
        (at the first path's temperature unless given); for benchmarks of the format."""
        if temperature is None:
            temperature = (self.temperatures or (0.0,))[0]
        return await self._complete(extraction_prompt(window, think=self.think), temperature)

    async def aread(
        self, window: str, doc_id: str = "document", temperature: float | None = None
    ) -> DocumentMemory:
        """One window read into a memory: the model's answer (:meth:`araw`) parsed onto
        it; then, up to ``continuations`` times, the text after the last chunk the model
        wrote, when at least ``min_chunk_chars`` of it are left (the answer stopped early
        or ran out of tokens), read by one more call and joined on in document order. A
        continuation whose answer does not parse ends the reading (noted in
        ``metadata["parse_warnings"]``); an answer to the first call that does not parse
        raises :class:`~mom_micro.memory.MemoryParseError`.

        Example:
            >>> source = "Cats purr when content. They nap a lot. Dogs bark at strangers."
            >>> answers = iter(["<chunk>Cats purr[MASK]content.</chunk>Cats purr.",
            ...                 "<chunk>They nap[MASK]strangers.</chunk>Naps, barks."])
            >>> reader = LLMExtractor(lambda prompt, t: next(answers), n_paths=1,
            ...                       min_chunk_chars=5, continuations=1)
            >>> memory = run_sync(reader.aread(source))
            >>> memory.chunks(), memory.metadata["coverage_as_written"]
            (['Cats purr when content.', 'They nap a lot. Dogs bark at strangers.'], 1.0)
        """
        memory = await self._first_reading(window, doc_id, temperature)
        for _ in range(self.continuations):
            end = int(memory.metadata["written_end"])
            rest = window[end:]
            if text_length(rest) < self.min_chunk_chars:
                break
            try:
                more = self._parse(await self.araw(rest, temperature), rest, doc_id)
            except MemoryParseError as exc:
                memory.metadata["parse_warnings"].append(f"continuation at {end}: {exc}")
                break
            memory = _joined(memory, more, end)
        return memory

    async def _first_reading(
        self, window: str, doc_id: str, temperature: float | None
    ) -> DocumentMemory:
        """The window's answer parsed, asked again up to ``reasks`` times while it copies
        the format example; the count of re-asks is noted in ``metadata["reasks"]``."""
        asked = 0
        while True:
            try:
                memory = self._parse(await self.araw(window, temperature), window, doc_id)
            except CopiedFormatExample:
                if asked >= self.reasks:
                    raise
                asked += 1
                continue
            memory.metadata["reasks"] = asked
            return memory

    def _parse(self, raw: str, window: str, doc_id: str) -> DocumentMemory:
        return parse_memory_output(raw, window, doc_id=doc_id, min_chunk_chars=self.min_chunk_chars)

    async def _path(
        self,
        text: str,
        doc_id: str,
        windows: list[tuple[int, int]],
        temperature: float,
        path: str,
    ) -> _Path:
        parts = await asyncio.gather(
            *(self.aread(text[a:b], doc_id, temperature) for a, b in windows),
            return_exceptions=True,
        )
        units: list[MemoryUnit] = []
        warnings: list[str] = []
        anchors: dict[str, int] = {}
        fallback_windows: dict[int, str] = {}
        written = visible = 0.0
        continued = 0
        for i, ((start, end), part) in enumerate(zip(windows, parts)):
            size = len("".join(text[start:end].split()))
            visible += size
            if isinstance(part, BaseException):
                if self.fallback is None or not isinstance(part, Exception):
                    raise part
                fallback_windows[i] = f"{type(part).__name__}: {part}"
                part = await self._locally(self.fallback.extract, text[start:end], doc_id)
            else:
                warnings.extend(part.metadata.get("parse_warnings", []))
                for method, count in part.metadata.get("anchors", {}).items():
                    anchors[method] = anchors.get(method, 0) + count
                written += size * part.metadata.get("coverage_as_written", 1.0)
                continued += part.metadata.get("continued", 0)
            units.extend(replace(u, start=u.start + start, end=u.end + start) for u in part.units)
        if len(fallback_windows) == len(windows):
            reasons = "; ".join(sorted(set(fallback_windows.values())))
            raise MemoryExtractionError(f"no window of {doc_id!r} could be read: {reasons}")
        memory = DocumentMemory(
            doc_id=doc_id,
            units=units,
            source=text,
            extractor="llm",
            model=model_name(self.llm),
            path=path,
            metadata={
                "parse_warnings": warnings,
                "anchors": anchors,
                "coverage_as_written": written / max(visible, 1.0),
                "windows": len(windows),
                "continued": continued,
                "think": self.think,
            },
        )
        return _Path(memory, fallback_windows)


def _joined(first: DocumentMemory, more: DocumentMemory, at: int) -> DocumentMemory:
    """``first`` (a window's memory) up to ``at``, where its last written chunk ends, and
    ``more`` (the memory of the window's text from ``at``) after it, as one memory of the
    window; anchors, warnings and outline items added up, ``coverage_as_written`` over the
    whole window."""
    units = [replace(u, end=min(u.end, at)) for u in first.units if u.start < at]
    units += [replace(u, start=u.start + at, end=u.end + at) for u in more.units]
    visible = len("".join(first.source.split()))
    rest = len("".join(more.source.split()))
    skipped = max((1.0 - first.metadata["coverage_as_written"]) * visible - rest, 0.0)
    skipped += (1.0 - more.metadata["coverage_as_written"]) * rest
    anchors = dict(first.metadata["anchors"])
    for method, count in more.metadata["anchors"].items():
        anchors[method] = anchors.get(method, 0) + count
    return replace(
        first,
        units=units,
        metadata={
            **first.metadata,
            "parse_warnings": first.metadata["parse_warnings"] + more.metadata["parse_warnings"],
            "outline_items": first.metadata["outline_items"] + more.metadata["outline_items"],
            "anchors": anchors,
            "coverage_as_written": 1.0 - skipped / max(visible, 1),
            "written_end": at + int(more.metadata["written_end"]),
            "continued": first.metadata.get("continued", 0) + 1,
        },
    )
