"""Reverse reasoning ("chain of memory"): teacher data for small memory readers.

MoM trains its small MemReaders on triples (document, reasoning, memory): a strong guide
model reads the document into several candidate memories, the best is kept by clarity
and completeness, and — with that memory in hand — the guide writes, backwards, the
expert's reasoning that leads to it. Each triple becomes one chat record in the
conversational format that TRL's ``SFTTrainer`` reads from JSONL::

    {"messages": [{"role": "user", "content": <instruction + document>},
                  {"role": "assistant", "content": "<think>reasoning</think>\\n<memory>"}],
     "meta": {"doc_id": ..., "section": ..., "reasoning": "teacher" | "template", ...}}

:class:`ChainOfMemoryBuilder` makes them: long documents are cut into sections that fit
the student's context (:func:`~mom_micro.memory.llm_extractor.window_chars`, the rule the
reader uses at inference), sections are read concurrently, and records are journalled as
they are made, so an interrupted run resumes where it stopped.

When the teacher cannot write reasoning (the offline extractive reader has no language
model; a small LM writes filler), :func:`template_reasoning` writes it from the chosen
memory itself; :func:`reasoning_problem` is the test that rejects filler.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import threading
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from mom_micro.errors import MomMicroError
from mom_micro.files import JsonlJournal

from .document import InvalidDocumentError, MemoryExtractor, read_document
from .guide import as_async_completion_fn, retrying, run_sync
from .llm_extractor import split_windows, window_chars
from .parsing import format_memory_output
from .prompts import extraction_prompt, reasoning_prompt
from .schema import DocumentMemory

__all__ = [
    "ChainOfMemoryBuilder",
    "SFTBuildReport",
    "SFTDataError",
    "reasoning_problem",
    "sft_record",
    "template_reasoning",
]

logger = logging.getLogger(__name__)

_TAGS = re.compile(r"<\s*/?\s*(?:outline|scenario|chunk|memory|document)\s*>", re.IGNORECASE)


class SFTDataError(MomMicroError, ValueError):
    """Fine-tuning data cannot be made or read; the message names the file and line."""


def sft_record(
    memory: DocumentMemory, reasoning: str, meta: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """One chat record: the ``<think>`` extraction prompt for the document as the user
    turn; ``<think>reasoning</think>`` and the tagged memory as the assistant turn; and
    ``meta`` (where the record came from) when given.

    Example:
        >>> from mom_micro.memory import DocumentMemory, MemoryUnit
        >>> m = DocumentMemory("d", [MemoryUnit("Cats", "Cats nap.", 0, 9)], "Cats nap.")
        >>> record = sft_record(m, "Short note about cats.")
        >>> [turn["role"] for turn in record["messages"]]
        ['user', 'assistant']
        >>> record["messages"][1]["content"].startswith("<think>Short note about cats.</think>")
        True
    """
    answer = f"<think>{reasoning.strip()}</think>\n{format_memory_output(memory)}"
    record: dict[str, Any] = {
        "messages": [
            {"role": "user", "content": extraction_prompt(memory.source, think=True)},
            {"role": "assistant", "content": answer},
        ]
    }
    if meta is not None:
        record["meta"] = dict(meta)
    return record


def template_reasoning(memory: DocumentMemory, opening_words: int = 4) -> str:
    """The chain of memory written from the memory itself, when no teacher can write one.

    Three lines: how many parts the text has and what it opens with (the first outline
    title); where each later part begins (its first ``opening_words`` words, in order); and
    what the core contents keep. Everything comes from the memory, nothing is repeated
    filler, and it stays short (a small reader generates every token of it): the student
    learns to find where the subject changes before it writes the outline.

    Example:
        >>> from mom_micro.memory import DocumentMemory, MemoryUnit
        >>> text = "Cats purr when content.\\n\\nDogs bark at strangers."
        >>> m = DocumentMemory("d", [MemoryUnit("Cats", "Cats purr.", 0, 23),
        ...                          MemoryUnit("Dogs", "Dogs bark.", 25, 48)], text)
        >>> print(template_reasoning(m, opening_words=2))
        The text has 2 parts and opens with Cats.
        New parts begin at "Dogs bark".
        Each core keeps the sentences that carry the main point of its part.
    """
    units = memory.units
    if len(units) == 1:
        lines = [f"The text has 1 part, about {units[0].title}: it keeps to one subject."]
    else:
        openings = ", ".join(
            '"' + " ".join(chunk.split()[:opening_words]) + '"' for chunk in memory.chunks()[1:]
        )
        lines = [
            f"The text has {len(units)} parts and opens with {units[0].title}.",
            f"New parts begin at {openings}.",
        ]
    lines.append("Each core keeps the sentences that carry the main point of its part.")
    return "\n".join(lines)


def reasoning_problem(text: str, min_words: int = 20) -> str | None:
    """Why ``text`` is not usable reasoning, or ``None`` when it is.

    Refused: fewer than ``min_words`` words; memory tags inside it (the model wrote the
    memory, not the reasoning); a sentence repeated three times or more; or fewer than
    half of its word trigrams distinct (a model stuck in a loop).

    Example:
        >>> reasoning_problem("The plan. " * 12, min_words=5)
        'the reasoning repeats one sentence 12 times'
        >>> reasoning_problem("It is a guide for residents in five parts, from history "
        ...                   "to emergencies; each part starts at its heading.", min_words=5)
    """
    words = text.split()
    if len(words) < min_words:
        return f"{len(words)} words of reasoning (at least {min_words} needed)"
    if _TAGS.search(text):
        return "the reasoning holds memory tags"
    sentences = [
        " ".join(s.lower().split()) for s in re.split(r"(?<=[.!?])\s+|\n+", text) if s.strip()
    ]
    sentence, count = Counter(sentences).most_common(1)[0]
    if count >= 3:
        return f"the reasoning repeats one sentence {count} times"
    lowered = [w.lower() for w in words]
    trigrams = list(zip(lowered, lowered[1:], lowered[2:]))
    if trigrams and len(set(trigrams)) < 0.5 * len(trigrams):
        share = len(set(trigrams)) / len(trigrams)
        return f"the reasoning repeats itself ({share:.0%} of its word trigrams distinct)"
    return None


@dataclass(frozen=True)
class _Section:
    doc_id: str
    index: int
    start: int
    end: int
    text: str

    @property
    def key(self) -> str:
        """Identifies the section's text, so a resumed run skips exactly what it has."""
        digest = hashlib.sha1(self.text.encode("utf-8")).hexdigest()[:12]
        return f"{self.doc_id}#{self.index}:{digest}"


@dataclass
class SFTBuildReport:
    """What :meth:`ChainOfMemoryBuilder.build` wrote and what it skipped (with reasons).

    ``skipped`` maps a document (unreadable) or a section (``doc#i``: the teacher gave no
    usable memory) to the reason; ``reasoning`` counts the records whose reasoning came
    from the ``teacher`` or the ``template``; ``resumed`` the records kept from an
    interrupted run.
    """

    written: int
    sections: int = 0
    resumed: int = 0
    skipped: dict[str, str] = field(default_factory=dict)
    reasoning: dict[str, int] = field(default_factory=dict)
    out: Path | None = None

    @property
    def skipped_documents(self) -> int:
        """Documents with at least one skipped section, or unreadable."""
        return len({key.split("#", 1)[0] for key in self.skipped})


@dataclass
class ChainOfMemoryBuilder:
    """Builds chain-of-memory fine-tuning data from documents, with any teacher.

    Each document is cut into sections of at most ``section_chars`` characters; the
    ``reader`` (the teacher: an :class:`~mom_micro.memory.LLMExtractor` sampling N paths
    of a guide model and keeping the memory its scorer prefers, or the offline
    :class:`~mom_micro.memory.ExtractiveExtractor` with ``n_paths``) reads each section;
    the ``guide`` writes the reverse reasoning for the chosen memory, which is kept only
    if :func:`reasoning_problem` finds nothing wrong with it — else, or without a guide,
    the reasoning is :func:`template_reasoning`. A section the teacher cannot read (no
    tags, every path failed) is skipped and counted.

    Args:
        reader: makes the memory of each section (the teacher's memory reader).
        guide: writes the reasoning (LangChain, LlamaIndex, or a callable
            ``(prompt, temperature) -> str``); ``None``: the template.
        student_context: the student's context in tokens; sections are at most
            ``window_chars(student_context, chars_per_token)`` characters, the windows
            the student will read at inference.
        chars_per_token: rough size of a token.
        temperature: decoding temperature for the reasoning.
        min_reasoning_words: shorter reasoning is replaced by the template.
        max_concurrency: sections read at once.
        max_retries: retries of a reasoning call on transient errors.
        show_progress: a progress bar over sections.

    Example:
        >>> builder = ChainOfMemoryBuilder(reader=ExtractiveExtractor(n_paths=3))  # doctest: +SKIP
        >>> builder.build(sorted(Path("docs").glob("*.txt")), "com.jsonl")       # doctest: +SKIP
        SFTBuildReport(written=12, sections=12, ...)
    """

    reader: MemoryExtractor
    guide: Any = None
    student_context: int = 2048
    chars_per_token: float = 4.0
    temperature: float = 0.3
    min_reasoning_words: int = 20
    max_concurrency: int = 4
    max_retries: int = 2
    show_progress: bool = True
    _local: threading.Lock = field(
        default_factory=threading.Lock, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        if self.max_concurrency < 1:
            raise ValueError(f"max_concurrency must be >= 1, got {self.max_concurrency}")
        self._reason = None if self.guide is None else as_async_completion_fn(self.guide)

    @property
    def section_chars(self) -> int:
        """The longest section, in characters."""
        return window_chars(self.student_context, self.chars_per_token)

    def sections(self, doc_id: str, text: str) -> list[_Section]:
        """The sections a document is cut into (as the reader cuts it at inference)."""
        return [
            _Section(doc_id, i, start, end, text[start:end])
            for i, (start, end) in enumerate(split_windows(text, self.section_chars))
        ]

    async def reasoning(self, memory: DocumentMemory) -> tuple[str, str]:
        """The reasoning for ``memory`` and where it came from (``teacher``/``template``)."""
        if self._reason is not None:
            prompt = reasoning_prompt(memory.source, format_memory_output(memory))
            raw = ""
            try:
                async for attempt in retrying(self.max_retries):
                    with attempt:
                        raw = await self._reason(prompt, self.temperature)
            except Exception as exc:  # noqa: BLE001 - the memory is good; the template will do
                logger.warning("no reasoning for %s (%s): the template is used", memory.doc_id, exc)
            text = re.sub(r"</?\s*think\s*>", " ", raw, flags=re.IGNORECASE).strip()
            if reasoning_problem(text, self.min_reasoning_words) is None:
                return text, "teacher"
        return template_reasoning(memory), "template"

    async def record(self, section: _Section) -> dict[str, Any]:
        """The SFT record of one section (raises when the teacher cannot read it)."""
        memory = await self._read(section)
        reasoning, source = await self.reasoning(memory)
        meta = {
            "key": section.key,
            "doc_id": section.doc_id,
            "section": section.index,
            "start": section.start,
            "end": section.end,
            "reasoning": source,
            "teacher": memory.model or memory.extractor,
            "path": memory.path,
            "student_context": self.student_context,
            "chars_per_token": self.chars_per_token,
        }
        return sft_record(memory, reasoning, meta)

    def build(
        self, documents: Mapping[str, str] | Sequence[str | Path], out: str | Path
    ) -> SFTBuildReport:
        """:meth:`abuild` from synchronous code."""
        return run_sync(self.abuild(documents, out))

    async def abuild(
        self, documents: Mapping[str, str] | Sequence[str | Path], out: str | Path
    ) -> SFTBuildReport:
        """Records for every section of ``documents`` (``{doc_id: text}``, or text files
        named by path), written to ``out`` (JSONL) when all are done.

        Records are journalled in ``out.partial`` as they are made; a rerun with the same
        documents and settings keeps them and reads only the rest. An unreadable
        document or a section the teacher cannot read is skipped and reported; if no
        record at all can be made, :class:`SFTDataError` is raised and nothing is
        written.
        """
        if not documents:
            raise SFTDataError("no documents given")
        report = SFTBuildReport(written=0)
        texts = self._texts(documents, report.skipped)
        plan = [s for doc_id, text in texts.items() for s in self.sections(doc_id, text)]
        report.sections = len(plan)
        journal = JsonlJournal(out)
        wanted = {s.key for s in plan}
        done = {
            r["meta"]["key"]: r for r in journal.resume() if r.get("meta", {}).get("key") in wanted
        }
        report.resumed = len(done)
        gate = asyncio.Semaphore(self.max_concurrency)
        todo = [s for s in plan if s.key not in done]
        with tqdm(
            total=len(plan),
            initial=len(done),
            desc="teacher records",
            unit="section",
            disable=not self.show_progress,
        ) as bar:

            async def make(section: _Section) -> None:
                async with gate:
                    try:
                        record = await self.record(section)
                    except (ValueError, RuntimeError) as exc:  # no usable memory: skip
                        report.skipped[f"{section.doc_id}#{section.index}"] = (
                            f"{type(exc).__name__}: {exc}"
                        )
                    else:
                        journal.append(record)
                        done[section.key] = record
                    finally:
                        bar.update(1)

            await asyncio.gather(*(make(s) for s in todo))
        records = [done[s.key] for s in plan if s.key in done]
        if not records:
            reasons = "; ".join(f"{k}: {v}" for k, v in list(report.skipped.items())[:3])
            raise SFTDataError(
                f"no record could be made from {len(texts) or len(documents)} documents "
                f"({report.sections} sections): {reasons}"
            )
        report.written = len(records)
        report.reasoning = dict(Counter(r["meta"]["reasoning"] for r in records))
        report.out = journal.finish(records)
        return report

    # -- internals ----------------------------------------------------------------------
    def _texts(
        self, documents: Mapping[str, str] | Sequence[str | Path], skipped: dict[str, str]
    ) -> dict[str, str]:
        if isinstance(documents, Mapping):
            return dict(documents)
        texts = {}
        for path in documents:
            try:
                texts[Path(path).name] = read_document(path)
            except InvalidDocumentError as exc:
                skipped[str(path)] = str(exc)
        return texts

    async def _read(self, section: _Section) -> DocumentMemory:
        doc_id = f"{section.doc_id}#{section.index}"
        read_async = getattr(self.reader, "aextract", None)
        if callable(read_async):
            memory: DocumentMemory = await read_async(section.text, doc_id)
            return memory

        def locked() -> DocumentMemory:
            with self._local:
                return self.reader.extract(section.text, doc_id)

        return await asyncio.to_thread(locked)
