"""``mom-micro bench reader``: memory readers compared on held-out documents.

Every reader reads the same sections (the documents cut with
:func:`~mom_micro.memory.window_chars` of ``student_context``, the windows a trained
reader learned on) of documents it never saw. A reader is ``extractive`` (the offline
:class:`~mom_micro.memory.ExtractiveExtractor`, at the retrieval granularity), or a
model: ``smollm2`` (the untrained offline LM), a reader folder from
``mom-micro train-reader``, another model folder, or a LangChain/LlamaIndex class as
``module:Class``. A model's raw answer for each section is parsed as the index would
parse it; the extractive reader's memory is written in the tagged format and parsed back.

Per reader:

- ``parse``: share of sections whose answer parses (:func:`~mom_micro.memory.parse_memory_output`);
- ``anchors_exact`` / ``anchors_fuzzy`` / ``anchors_missing``: shares of the anchors
  written (chunk heads and tails) found exactly, only after normalising or fuzzily, or
  not at all;
- ``coverage``: mean share of a section's text inside the chunks the reader wrote (a
  section that does not parse counts 0; ``coverage_parsed`` is the mean over parsed ones);
- ``chunks_per_section``, ``mean_chunk_words``;
- ``clarity`` and ``completeness``: MoM's scores from a scorer (the CLI's: :class:`~mom_micro.memory.MemoryScorer`)
  on up to ``pairs_per_section`` boundaries and units drawn from each parsed memory;
- ``s_per_1000_words``: reading time (the model's calls and the parsing);
- ``continued``: mean further calls per section (:meth:`~mom_micro.memory.LLMExtractor.aread`);
- ``hit@B`` with ``retrieval``: the reader feeds the ``mom`` system of
  :func:`~mom_micro.bench.retrieval.run_benchmark` on a QA data set (a model reader
  with the extractive reader as fallback for what it cannot read; the share of windows
  that fell back is reported as ``fallback_windows``).
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from mom_micro.figures import atomic_write_figure, pyplot
from mom_micro.files import atomic_write_text
from mom_micro.memory import (
    DocumentMemory,
    ExtractiveExtractor,
    LLMExtractor,
    MemoryParseError,
    describe_reader,
    format_memory_output,
    parse_memory_output,
    split_windows,
    window_chars,
)
from mom_micro.memory.guide import run_sync
from mom_micro.memory.loading import build_reader, is_trained_reader, load_trained_reader

from .data import BenchDataset
from .memory import sampled_clarity, sampled_completeness
from .outputs import markdown_rows, write_outputs

__all__ = [
    "Decoding",
    "Section",
    "markdown_table",
    "reader_sections",
    "run_reader_bench",
    "write_reader_outputs",
]

#: The chunk length of the extractive reader in this benchmark: the retrieval granularity.
EXTRACTIVE_TARGET_WORDS = 60


@dataclass(frozen=True)
class Section:
    """One window of a held-out document."""

    doc_id: str
    index: int
    text: str


def reader_sections(
    dataset: BenchDataset, student_context: int, max_sections: int | None, seed: int = 0
) -> list[Section]:
    """The sections of every document of ``dataset``; at most ``max_sections`` of them,
    drawn with ``seed`` and kept in document order."""
    sections = [
        Section(doc_id, i, text[a:b])
        for doc_id, text in dataset.documents.items()
        for i, (a, b) in enumerate(split_windows(text, window_chars(student_context)))
    ]
    if max_sections is not None and len(sections) > max_sections:
        keep = set(random.Random(seed).sample(range(len(sections)), max_sections))
        sections = [s for i, s in enumerate(sections) if i in keep]
    return sections


@dataclass(frozen=True)
class Decoding:
    """How model readers decode; ``None`` keeps a reader's own default (a trained
    reader's: tiling copy and 2 continuations; another model's: tiling copy where it is
    local, no continuation)."""

    max_new_tokens: int | None = None
    copy_chunks: str | None = None
    continuations: int | None = None


def _reader(spec: str, guide_kwargs: dict[str, Any] | None, decoding: Decoding) -> Any:
    if spec == "extractive":
        return ExtractiveExtractor(target_words=EXTRACTIVE_TARGET_WORDS)
    if is_trained_reader(Path(spec).expanduser()):
        given = {k: v for k, v in vars(decoding).items() if v is not None}
        return load_trained_reader(Path(spec).expanduser(), **given)
    reader = build_reader(spec, guide_kwargs=guide_kwargs, n_paths=1)
    for name in ("max_new_tokens", "copy_chunks"):
        if getattr(decoding, name) is not None and hasattr(reader.llm, name):
            setattr(reader.llm, name, getattr(decoding, name))
    if decoding.continuations is not None:
        reader.continuations = decoding.continuations
    return reader


def _read(reader: Any, section: Section, min_chars: int) -> DocumentMemory:
    """The memory of a section as the index reads it: a model's answer (and its
    continuations) parsed onto the section; the extractive memory written in the tagged
    format and parsed back."""
    if isinstance(reader, LLMExtractor):
        return run_sync(reader.aread(section.text, section.doc_id))
    raw = format_memory_output(reader.extract(section.text, section.doc_id))
    return parse_memory_output(raw, section.text, doc_id=section.doc_id, min_chunk_chars=min_chars)


def _read_sections(
    name: str, reader: Any, sections: Sequence[Section], show_progress: bool
) -> tuple[list[DocumentMemory | None], float]:
    """The parsed memory of each section (``None`` when its answer does not parse) and
    the seconds it took."""
    min_chars = getattr(reader, "min_chunk_chars", 40)
    out: list[DocumentMemory | None] = []
    started = time.perf_counter()
    for section in tqdm(sections, desc=name, disable=not show_progress):
        try:
            out.append(_read(reader, section, min_chars))
        except MemoryParseError:
            out.append(None)
    return out, time.perf_counter() - started


def _figures(
    sections: Sequence[Section], memories: Sequence[DocumentMemory | None], seconds: float
) -> dict[str, float]:
    parsed = [m for m in memories if m is not None]
    anchors = {
        k: sum(m.metadata["anchors"][k] for m in parsed)
        for k in ("exact", "normalized", "fuzzy", "missing")
    }
    written = max(sum(anchors.values()), 1)
    coverage = [m.metadata["coverage_as_written"] if m else 0.0 for m in memories]
    words = sum(len(s.text.split()) for s in sections)
    chunk_words = [len(c.split()) for m in parsed for c in m.chunks()]
    return {
        "sections": len(sections),
        "parse": len(parsed) / len(sections),
        "anchors_exact": anchors["exact"] / written,
        "anchors_fuzzy": (anchors["normalized"] + anchors["fuzzy"]) / written,
        "anchors_missing": anchors["missing"] / written,
        "coverage": float(np.mean(coverage)),
        "coverage_parsed": float(np.mean([c for c, m in zip(coverage, memories) if m]))
        if parsed
        else 0.0,
        "chunks_per_section": float(np.mean([len(m.units) for m in parsed])) if parsed else 0.0,
        "mean_chunk_words": float(np.mean(chunk_words)) if chunk_words else 0.0,
        "s_per_1000_words": seconds / max(words, 1) * 1000,
        "continued": float(np.mean([m.metadata.get("continued", 0) for m in parsed]))
        if parsed
        else 0.0,
    }


def _retrieval(
    spec: str,
    dataset: BenchDataset,
    budgets: Sequence[int],
    guide_kwargs: dict[str, Any] | None,
    decoding: Decoding,
    log: Callable[[str], None],
    memory_cache: Path | None = None,
) -> dict[str, float]:
    """hit@B and recall@B of the ``mom`` system with this reader (corpus scope); a model
    reader's memories are kept in ``memory_cache`` when given (see :class:`_Recorder`)."""
    from mom_micro.retrievers.nodes import default_reader

    from .retrieval import run_benchmark

    reader = None if spec == "extractive" else _reader(spec, guide_kwargs, decoding)
    if isinstance(reader, LLMExtractor):
        reader.fallback = default_reader()
    recorder = None if reader is None else _Recorder(reader, memory_cache)
    result = run_benchmark(dataset, systems=("mom",), budgets=budgets, reader=recorder, log=log)
    figures = {
        k: v for k, v in result["systems"]["mom"].items() if k.startswith(("hit@", "recall@"))
    }
    figures["ingest_s"] = result["systems"]["mom"]["ingest_s"]
    if recorder is not None and recorder.memories:
        figures["reading_s"] = round(recorder.seconds, 2)
        figures["resumed_documents"] = recorder.resumed
        memories = recorder.memories
        windows = sum(m.metadata.get("windows", 0) for m in memories)
        fell = sum(len(m.metadata.get("fallback_windows", {})) for m in memories)
        figures["fallback_windows"] = fell / max(windows, 1)
        figures["fallback_documents"] = sum(m.extractor != "llm" for m in memories) / len(memories)
    return figures


def _slug(spec: str) -> str:
    """A folder name for a reader spec (a path or ``module:Class``)."""
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in spec).strip("._") or "reader"


class _Recorder:
    """A reader that keeps the memories it made (to count what fell back) and the
    seconds its reading took.

    With a ``cache`` folder each memory is also written there as JSON (with its reading
    seconds), under a hash of the reader's configuration and the text, and a later run
    with the same reader takes it from there instead of reading again: a model reader
    needs hours for a corpus on a CPU, so a stopped run resumes where it stopped. The
    index's own resume (unchanged documents skipped) does not serve here, because each
    bench run builds a fresh index.
    """

    def __init__(self, reader: Any, cache: Path | None = None) -> None:
        self.reader = reader
        self.cache = cache
        self.memories: list[DocumentMemory] = []
        self.seconds = 0.0
        self.resumed = 0
        self._reader_key = json.dumps(describe_reader(reader), sort_keys=True, default=str)

    def _path(self, text: str) -> Path | None:
        if self.cache is None:
            return None
        key = hashlib.sha256(f"{self._reader_key}\0{text}".encode()).hexdigest()
        return self.cache / f"{key[:32]}.json"

    def extract(self, text: str, doc_id: str | None = None) -> DocumentMemory:
        path = self._path(text)
        if path is not None and path.is_file():
            try:
                stored = json.loads(path.read_text(encoding="utf-8"))
                memory, seconds = DocumentMemory.from_dict(stored["memory"]), stored["seconds"]
            except (ValueError, KeyError, TypeError) as exc:
                raise ValueError(
                    f"{path} is not a cached memory (delete it to read again): {exc}"
                ) from exc
            self.resumed += 1
        else:
            started = time.perf_counter()
            memory = self.reader.extract(text, doc_id)
            seconds = time.perf_counter() - started
            if path is not None:
                payload = {"doc_id": doc_id, "seconds": seconds, "memory": memory.to_dict()}
                atomic_write_text(path, json.dumps(payload))
        self.seconds += seconds
        self.memories.append(memory)
        return memory


def run_reader_bench(
    dataset: BenchDataset,
    readers: Sequence[str] | Mapping[str, Any],
    student_context: int = 2048,
    max_sections: int | None = 40,
    guide_kwargs: dict[str, Any] | None = None,
    decoding: Decoding = Decoding(),
    scorer: Any = None,
    pairs_per_section: int = 2,
    retrieval: BenchDataset | None = None,
    retrieval_readers: Sequence[str] | None = None,
    budgets: Sequence[int] = (100, 200, 400, 800),
    memory_cache: str | Path | None = None,
    seed: int = 0,
    show_progress: bool = True,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Read the sections of ``dataset`` with every reader of ``readers`` (names, or
    ``{name: reader}``) and return the figures (see the module docstring); clarity and
    completeness with a ``scorer`` (e.g. :class:`~mom_micro.memory.MemoryScorer`); model
    readers decode as ``decoding`` says; with
    ``retrieval``, also the retrieval hits of each named reader in ``retrieval_readers``
    (default: all of ``readers``); with ``memory_cache``, a folder where the model
    readers' memories of the retrieval documents are kept, a stopped run resumes
    (``reading_s`` then sums the reading seconds of every run, ``ingest_s`` is this
    run's, ``resumed_documents`` counts the memories taken from the folder)."""
    if not readers:
        raise ValueError("name at least one reader")
    if not isinstance(readers, Mapping):
        readers = {spec: None for spec in readers}
    sections = reader_sections(dataset, student_context, max_sections, seed)
    result: dict[str, Any] = {
        "dataset": dataset.name,
        "docs": len({s.doc_id for s in sections}),
        "sections": len(sections),
        "words": sum(len(s.text.split()) for s in sections),
        "student_context": student_context,
        "section_chars": window_chars(student_context),
        "readers": {},
    }
    for spec, given in readers.items():
        reader = given if given is not None else _reader(spec, guide_kwargs, decoding)
        if isinstance(reader, ExtractiveExtractor):
            reader.extract("Warm-up sentence one. Warm-up sentence two.")  # load MiniLM first
        memories, seconds = _read_sections(spec, reader, sections, show_progress)
        figures = _figures(sections, memories, seconds)
        parsed = [m for m in memories if m is not None]
        if scorer is not None and parsed:
            rng = random.Random(seed)
            figures["clarity"] = sampled_clarity(
                scorer, [m.chunks() for m in parsed], pairs_per_section, rng
            )
            figures["completeness"] = sampled_completeness(scorer, parsed, pairs_per_section, rng)
        result["readers"][spec] = figures
        log(f"[{dataset.name}] {spec}: " + ", ".join(f"{k}={v:.3g}" for k, v in figures.items()))
    if retrieval is not None:
        result["retrieval"] = {"dataset": retrieval.name, "docs": len(retrieval.documents)}
        for spec in retrieval_readers or readers:
            log(f"[{retrieval.name}] retrieval with the {spec} reader ...")
            cache = None if memory_cache is None else Path(memory_cache) / _slug(spec)
            result["retrieval"][spec] = _retrieval(
                spec, retrieval, budgets, guide_kwargs, decoding, log, cache
            )
    return result


_COLUMNS = (
    "parse",
    "anchors_exact",
    "anchors_fuzzy",
    "anchors_missing",
    "coverage",
    "chunks_per_section",
    "mean_chunk_words",
    "clarity",
    "completeness",
    "s_per_1000_words",
    "continued",
)


def _cell(value: Any) -> str:
    return f"{value:.3f}" if isinstance(value, float) else str(value if value is not None else "–")


def markdown_table(result: dict[str, Any]) -> str:
    """The figures as Markdown: one row per reader (and the retrieval hits, if any)."""
    lines = [
        f"### {result['dataset']} — {result['sections']} sections of {result['docs']} "
        f"documents ({result['words']} words, sections of {result['section_chars']} characters)",
        "",
        *markdown_rows("reader", _COLUMNS, result["readers"], _cell),
    ]
    retrieval = result.get("retrieval")
    if retrieval:
        rows = {k: v for k, v in retrieval.items() if k not in ("dataset", "docs")}
        cols = sorted({c for r in rows.values() for c in r}, key=lambda c: (c[0] != "h", c))
        lines += [
            "",
            f"Retrieval (`mom`, corpus scope) on {retrieval['dataset']}, "
            f"{retrieval['docs']} documents:",
            "",
            *markdown_rows("reader", cols, rows, _cell),
        ]
    return "\n".join(lines) + "\n"


def _plot(result: dict[str, Any], path: Path) -> Path:
    """Bars of parse rate, exact anchors and coverage per reader."""
    plt = pyplot()
    metrics = ("parse", "anchors_exact", "coverage")
    names = list(result["readers"])
    fig, axes = plt.subplots(1, len(metrics), figsize=(4 * len(metrics), 3.6))
    for ax, metric in zip(axes, metrics):
        ax.bar(range(len(names)), [result["readers"][n][metric] for n in names])
        ax.set_xticks(range(len(names)), [Path(n).name for n in names], rotation=15)
        ax.set_ylim(0, 1.05)
        ax.set_title(metric)
    fig.suptitle(f"{result['dataset']}: {result['sections']} held-out sections")
    fig.tight_layout()
    return atomic_write_figure(path, fig)


def write_reader_outputs(result: dict[str, Any], out: str | Path) -> list[Path]:
    """``out`` (JSON), and beside it ``.md`` (table) and ``.png`` (bars)."""
    return write_outputs(result, out, markdown_table(result), _plot)
